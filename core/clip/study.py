"""The accuracy-vs-k study of the course (Task 3): Flickr30k images labelled into 10 classes from their captions.

Labelling rule (the course did not publish its own, so this one is explicit and tested):
1. Each caption is lower-cased and split into words ([a-z]+). A caption *mentions* a class when one of its words is
   in that class's keyword list below (every keyword belongs to exactly one class; a test checks it).
2. A class's score is the number of the image's captions (0..5) that mention it.
3. The label is the class with the highest score. Ties go to the class listed first in PRIORITY: specific objects
   (horse, bicycle, dog, food) before activities and scenes (sports, water, indoor, nature, outdoor), and "people"
   last, because almost every Flickr30k caption mentions a person and "a man rides a horse" is about the horse.
4. An image whose captions mention no class gets no label and is left out (the script reports how many).

Prompts: the course's zero-shot prompt is "a photo of a {class}" with the class names as they are (its report,
Task 3); that is the default (PROMPT_SETS["course"]). This study's own phrasing, "a photo of {}." with names that
read as English ("an outdoor scene", "a dog"), is the option PROMPT_SETS["study"]; the script reports the two side
by side when asked for both.

Balance: the course's set is about 100 images per class (1,000 images, 10 classes); a keyword labeller on
Flickr30k's captions gives very uneven classes (almost every caption mentions a person). `balance` caps each class
at N images (seeded), the script's --per-class.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASSES = ("people", "dog", "water", "sports", "outdoor", "horse", "bicycle", "food", "nature", "indoor")
PRIORITY = ("horse", "bicycle", "dog", "food", "sports", "water", "indoor", "nature", "outdoor", "people")
KEYWORDS: dict[str, tuple[str, ...]] = {
    "people": ("man", "men", "woman", "women", "person", "people", "boy", "boys", "girl", "girls", "child",
               "children", "kid", "kids", "guy", "guys", "lady", "ladies", "baby", "toddler", "crowd", "couple"),
    "dog": ("dog", "dogs", "puppy", "puppies", "poodle", "terrier", "retriever", "collie", "dachshund"),
    "water": ("water", "ocean", "sea", "lake", "river", "pool", "beach", "wave", "waves", "swim", "swims",
              "swimming", "swimmer", "surf", "surfer", "surfing", "boat", "boats", "splash", "splashes", "kayak"),
    "sports": ("ball", "soccer", "football", "basketball", "baseball", "tennis", "hockey", "volleyball", "rugby",
               "golf", "player", "players", "team", "race", "racing", "skateboard", "skateboarder", "skateboarding",
               "ski", "skiing", "skier", "snowboard", "snowboarder", "athlete", "jersey", "uniform", "goal"),
    "outdoor": ("street", "streets", "road", "sidewalk", "park", "city", "outside", "outdoors", "building",
                "buildings", "market", "crosswalk", "parade", "town"),
    "horse": ("horse", "horses", "pony", "ponies", "rodeo", "saddle", "jockey", "equestrian"),
    "bicycle": ("bicycle", "bicycles", "bike", "bikes", "biker", "bikers", "cyclist", "cyclists", "cycling", "bmx"),
    "food": ("food", "eat", "eats", "eating", "meal", "meals", "cook", "cooks", "cooking", "pizza", "cake",
             "sandwich", "dinner", "lunch", "breakfast", "fruit", "vegetables", "bread", "grill", "grilling"),
    "nature": ("mountain", "mountains", "forest", "woods", "tree", "trees", "grass", "grassy", "field", "snow",
               "snowy", "hill", "hills", "desert", "rocks", "rocky", "flowers", "trail", "cliff", "jungle"),
    "indoor": ("room", "inside", "indoors", "kitchen", "restaurant", "stage", "store", "shop", "office", "bar",
               "couch", "bed", "classroom", "gym", "table", "church", "museum", "library"),
}  # fmt: skip
# What the zero-shot prompts say for each class ("a photo of {}."): a bare "outdoor" reads badly in a sentence.
PROMPT_NAMES = {
    "people": "people", "dog": "a dog", "water": "water", "sports": "sports", "outdoor": "an outdoor scene",
    "horse": "a horse", "bicycle": "a bicycle", "food": "food", "nature": "nature", "indoor": "an indoor scene",
}  # fmt: skip
STUDY_TEMPLATE = "a photo of {}."
COURSE_TEMPLATE = "a photo of a {}"  # the course's prompt, word for word
# prompt set -> (template, class -> name in the prompt)
PROMPT_SETS: dict[str, tuple[str, dict[str, str]]] = {
    "course": (COURSE_TEMPLATE, {c: c for c in CLASSES}),
    "study": (STUDY_TEMPLATE, PROMPT_NAMES),
}
_WORD = re.compile(r"[a-z]+")
_CLASS_OF = {word: c for c, words in KEYWORDS.items() for word in words}


def class_scores(captions: Iterable[str]) -> dict[str, int]:
    """How many of the captions mention each class."""
    scores = dict.fromkeys(CLASSES, 0)
    for caption in captions:
        for c in {_CLASS_OF[w] for w in _WORD.findall(caption.lower()) if w in _CLASS_OF}:
            scores[c] += 1
    return scores


def label_captions(captions: Iterable[str]) -> str | None:
    """The image's class by the rule in the module docstring, or None when no caption mentions any class."""
    scores = class_scores(captions)
    best = max(scores.values())
    if best == 0:
        return None
    return next(c for c in PRIORITY if scores[c] == best)


# ---- data: a local folder (Flickr30k's own files or common re-packagings) or the Hub -------------------------


@dataclass
class CaptionedImage:
    path: str
    captions: list[str]
    split: str | None = None


CAPTION_FILES = ("dataset_flickr30k.json", "flickr_annotations_30k.csv", "results_20130124.token", "results.csv",
                 "captions.txt")  # fmt: skip


def read_captions(file: Path) -> dict[str, tuple[list[str], str | None]]:
    """filename -> (captions, split or None) from any of the formats Flickr30k is distributed in.

    - Karpathy's dataset_flickr30k.json ({"images": [{"filename", "split", "sentences": [{"raw"}]}]});
    - the Hub's flickr_annotations_30k.csv (columns raw = JSON list of captions, split, filename);
    - the original results_20130124.token ("1000092795.jpg#0<TAB>caption");
    - Kaggle's results.csv ("image_name| comment_number| comment") and captions.txt ("image,caption").
    """
    out: dict[str, tuple[list[str], str | None]] = {}
    text = file.read_text(encoding="utf-8", errors="replace")
    if file.suffix == ".json":
        for im in json.loads(text)["images"]:
            out[im["filename"]] = ([s["raw"] for s in im["sentences"]], im.get("split"))
        return out
    lines = text.splitlines()
    if lines and "\t" in lines[0]:
        for line in lines:
            name, _, caption = line.partition("\t")
            out.setdefault(name.split("#")[0].strip(), ([], None))[0].append(caption.strip())
        return out
    delimiter = "|" if lines and lines[0].count("|") >= 2 else ","
    rows = csv.DictReader(lines, delimiter=delimiter, skipinitialspace=True)
    for row in rows:
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if "raw" in row:  # the Hub's CSV: five captions in one JSON cell
            out[row["filename"]] = (json.loads(row["raw"]), row.get("split") or None)
            continue
        name = row.get("image_name") or row.get("image") or row.get("filename") or ""
        caption = row.get("comment") or row.get("caption") or ""
        if name and caption:
            out.setdefault(name, ([], None))[0].append(caption)
    return out


def local_flickr(data_dir: Path, captions_file: Path | None = None) -> list[CaptionedImage]:
    """Images + captions from a folder; the images may sit in the folder itself or a sub-folder of it."""
    data_dir = Path(data_dir)
    file = captions_file or next((data_dir / n for n in CAPTION_FILES if (data_dir / n).exists()), None)
    if file is None or not Path(file).exists():
        raise FileNotFoundError(
            f"No captions file in {data_dir}: expected one of {', '.join(CAPTION_FILES)} (or pass --captions)."
        )
    found = {p.name: p for p in data_dir.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")}
    items = [
        CaptionedImage(str(found[name]), caps, split)
        for name, (caps, split) in sorted(read_captions(Path(file)).items())
        if name in found and caps
    ]
    if not items:
        raise FileNotFoundError(f"None of the images named in {file} were found under {data_dir}.")
    return items


HUB_REPO = "nlphuji/flickr30k"
HUB_FILES = ("flickr_annotations_30k.csv", "flickr30k-images.zip")


def hub_flickr(
    cache_dir: Path, split: str | None = "test", choose: Callable[[dict[str, list[str]]], set[str]] | None = None
) -> list[CaptionedImage]:
    """The Hub copy: the annotations CSV, then the selected split's images (every split for None) extracted from
    the 4.4 GB zip; `choose` (captions by file name -> the names to keep) extracts only the images it keeps."""
    import zipfile

    from huggingface_hub import hf_hub_download

    from core.catalog.weights import hub_available

    # Unreachable Hub: use what a previous run cached, without the download client's minute of retries.
    local_only = not hub_available()
    try:
        csv_path = hf_hub_download(HUB_REPO, HUB_FILES[0], repo_type="dataset", local_files_only=local_only)
        zip_path = hf_hub_download(HUB_REPO, HUB_FILES[1], repo_type="dataset", local_files_only=local_only)
    except Exception as exc:
        raise FileNotFoundError(
            f"Could not get Flickr30k from the Hub ({HUB_REPO}: {type(exc).__name__}"
            + (", the Hub is unreachable and nothing is cached" if local_only else "")
            + f"). Online, run `hf download {HUB_REPO} {' '.join(HUB_FILES)} --repo-type dataset`; offline, pass "
            "--data-dir with the images and a captions file."
        ) from exc
    captions = {n: c for n, c in read_captions(Path(csv_path)).items() if split is None or c[1] == split}
    if choose is not None:
        keep = choose({n: c[0] for n, c in captions.items()})
        captions = {n: c for n, c in captions.items() if n in keep}
    out_dir = Path(cache_dir) / "flickr30k_images"
    out_dir.mkdir(parents=True, exist_ok=True)
    items = []
    with zipfile.ZipFile(zip_path) as zf:
        members = {Path(m).name: m for m in zf.namelist()}
        for name, (caps, sp) in sorted(captions.items()):
            target = out_dir / name
            if not target.exists() and name in members:
                target.write_bytes(zf.read(members[name]))
            if target.exists():
                items.append(CaptionedImage(str(target), caps, sp))
    return items


def select_images(
    items: Sequence[CaptionedImage], num_images: int, seed: int, *, all_splits: bool = False, keep_all: bool = False
) -> list[CaptionedImage]:
    """The test split when the captions say which images it holds (every split with `all_splits`), then a seeded
    sample of `num_images` from it unless `keep_all` (balanced mode, which caps per class afterwards)."""
    test = [] if all_splits else [it for it in items if it.split == "test"]
    pool = test or list(items)
    if keep_all or len(pool) <= num_images:
        return list(pool)
    rng = np.random.default_rng(seed)
    return [pool[i] for i in sorted(rng.choice(len(pool), num_images, replace=False))]


def class_counts(labels: Sequence[str | None]) -> dict[str, int]:
    counts = Counter(labels)
    return {c: counts.get(c, 0) for c in CLASSES} | {"(no label)": counts.get(None, 0)}


def balance(labels: Sequence[str | None], per_class: int, seed: int) -> list[int]:
    """Indices of at most `per_class` labelled items per class, drawn at random (seeded), in their original order."""
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for c in CLASSES:
        idx = [i for i, lab in enumerate(labels) if lab == c]
        keep += idx if len(idx) <= per_class else rng.choice(idx, per_class, replace=False).tolist()
    return sorted(keep)

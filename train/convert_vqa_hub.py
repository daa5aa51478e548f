"""Convert a Hugging Face VQA dataset repo (or a local copy of one) into the layout of core/vqa/data.py.

Default: Tamir39/foodlensvn (FoodLensVN, Vietnamese food VQA, 20 dishes, ~5.6k rows, CC BY-SA 4.0). The column
names are flags because Hub datasets name them differently; images may be files in the repo (a path column) or
embedded bytes (the `{"bytes", "path"}` structs of Parquet/`datasets` exports). Reading .parquet needs pyarrow
(`pip install pyarrow`); .json, .jsonl and .csv need nothing extra. The schema of the default repo could not be
checked from the machine this was written on (no Hub access): if its columns differ, pass --question-column etc.

Example:
  python -m train.convert_vqa_hub --out data/food
  python -m train.vqa --dataset folder --data-dir data/food --name food --pretrained-backbone
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import unicodedata
from pathlib import Path

DEFAULT_REPO = "Tamir39/foodlensvn"
TABLE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", default=DEFAULT_REPO, help=f"Hub dataset repo id (default {DEFAULT_REPO})")
    p.add_argument("--local-dir", help="an already downloaded copy of the repo (skips the download)")
    p.add_argument("--out", required=True, help="output folder: images/ + annotations.json")
    p.add_argument("--image-column", default="image", help="column with the image path or embedded image")
    p.add_argument("--question-column", default="question", help="column with the question")
    p.add_argument("--answer-column", default="answer", help="column with the answer")
    p.add_argument("--split-column", default="split", help="column with train/val/test, if any")
    return p.parse_args(argv)


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, list) else data.get("data") or data.get("annotations") or []
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    import pyarrow.parquet as pq  # optional dependency, only for .parquet

    return pq.read_table(path).to_pylist()


def convert(source: Path, out: Path, cols: argparse.Namespace) -> int:
    out_images = out / "images"
    out_images.mkdir(parents=True, exist_ok=True)
    rows_out = []
    tables = sorted(p for p in source.rglob("*") if p.suffix in TABLE_SUFFIXES and p.is_file())
    for table in tables:
        split_from_name = next((s for s in ("train", "val", "test") if s in table.stem.lower()), "")
        for row in read_rows(table):
            if cols.question_column not in row or cols.answer_column not in row:
                continue  # another table in the repo (e.g. metadata)
            name = _store_image(row.get(cols.image_column), table.parent, source, out_images)
            if name is None:
                continue
            rows_out.append(
                {
                    "image": name,
                    "question": unicodedata.normalize("NFC", str(row[cols.question_column])),
                    "answer": unicodedata.normalize("NFC", str(row[cols.answer_column])),
                    "split": str(row.get(cols.split_column) or split_from_name),
                }
            )
    if not rows_out:
        raise SystemExit(
            f"no rows with columns {cols.question_column!r}/{cols.answer_column!r} in {source}; "
            "pass --question-column/--answer-column/--image-column"
        )
    (out / "annotations.json").write_text(json.dumps(rows_out, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(rows_out)


def _store_image(value, table_dir: Path, root: Path, out_images: Path) -> str | None:
    """Copy or decode one image into out_images; never read outside the downloaded repo."""
    if isinstance(value, dict):  # embedded: {"bytes": b"...", "path": "x.jpg"}
        data, hint = value.get("bytes"), value.get("path") or ""
        if not data and hint:
            value = hint
        elif data:
            name = hashlib.sha1(data).hexdigest()[:16] + (Path(hint).suffix or ".jpg")
            (out_images / name).write_bytes(data)
            return name
    if not isinstance(value, str) or not value:
        return None
    for base in (table_dir, root):
        path = (base / value).resolve()
        if path.is_relative_to(root.resolve()) and path.is_file():
            name = hashlib.sha1(str(path).encode()).hexdigest()[:16] + path.suffix
            (out_images / name).write_bytes(path.read_bytes())
            return name
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.local_dir:
        source = Path(args.local_dir)
    else:
        from huggingface_hub import snapshot_download

        try:
            source = Path(snapshot_download(args.repo, repo_type="dataset"))
        except Exception as exc:
            raise SystemExit(
                f"Cannot download {args.repo} ({type(exc).__name__}): no network? Download it "
                "elsewhere and pass --local-dir."
            ) from None
    n = convert(source, Path(args.out), args)
    print(f"wrote {n} rows to {Path(args.out) / 'annotations.json'}")
    return n


if __name__ == "__main__":
    main()

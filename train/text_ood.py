"""Calibrate the out-of-domain signal of the WordNet text classifiers (core/text/ood.py): writes ood.json beside
each checkpoint and prints the measured rates (docs/OOD_VQA_TEXT.md).

Score: the energy of the logits (core/text/ood.py); threshold: a percentile of the validation glosses' energies;
then the share flagged of the test glosses (in-domain, not used above), of the definitions written for this project
(examples/text/wordnet: in-domain in kind, not WordNet's words), and of texts from other worlds (the newsgroup-style
posts in examples/text, each post and each of its sentences, and the sentences below), none used for calibration.

  python -m train.text_ood                       # gru_wordnet and minilm_wordnet
  python -m train.text_ood --models gru_wordnet --percentile 99
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

from core.text import tokenizer as wp
from core.text.ood import energy
from core.text.service import load_text_model
from core.text.wordnet import load_splits
from core.training import ood

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "text"
# Texts of other kinds, written for this script: chat, news, instructions, questions, code, numbers, Vietnamese.
OTHER_WORLDS = (
    "hey, are we still meeting for lunch tomorrow at noon?",
    "lol that movie was so bad i walked out halfway through",
    "The central bank raised interest rates by half a percentage point on Tuesday, citing persistent inflation.",
    "Preheat the oven to 180 degrees, then bake for 25 minutes until golden.",
    "Click the button in the top right corner to save your changes.",
    "Why does my laptop fan get so loud when I open a browser?",
    "for i in range(10): print(i * i)",
    "SELECT name, price FROM products WHERE price > 100 ORDER BY price;",
    "3.14159 2.71828 1.41421 1.73205",
    "Hôm nay trời đẹp quá, chúng mình đi dạo công viên nhé.",
    "Món phở này ngon tuyệt, nước dùng rất đậm đà.",
    "I think the referee made the wrong call in the last minute of the game.",
    "Please find attached the invoice for last month's services.",
    "She said she would call back after the meeting, but she never did.",
    "My car won't start when it's cold outside; the battery is only two years old.",
    "The patient reported a mild headache and was advised to rest and drink water.",
    "Thanks so much for your help yesterday, you really saved my day!",
    "Breaking: heavy rain expected across the northern provinces this weekend.",
    "Can you recommend a good book about the history of Rome?",
    "Error 404: the page you requested could not be found.",
    "We won 3-1 and moved up to second place in the league.",
    "I love you more than words can say.",
    "Turn left at the second traffic light and the shop is on your right.",
    "To be or not to be, that is the question.",
    "Buy two, get one free this Friday only!",
    "The election results will be announced after all the ballots are counted.",
    "Our flight was delayed by three hours because of a storm.",
    "Remember to water the plants while I'm away.",
    "The new phone has a better camera but the battery life is worse.",
    "Who won the world cup in 2010?",
)


def other_texts() -> dict[str, list[str]]:
    posts = [" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(EXAMPLES.glob("*.txt"))]
    sentences = [s for post in posts for s in re.split(r"(?<=[.?!])\s+", post) if len(s.split()) >= 4]
    return {"posts": posts, "post_sentences": sentences, "written_sentences": list(OTHER_WORLDS)}


def project_definitions() -> list[str]:
    return [" ".join(p.read_text(encoding="utf-8").split()) for p in sorted((EXAMPLES / "wordnet").glob("*.txt"))]


@torch.inference_mode()
def energies(model, texts: list[str]) -> np.ndarray:
    """core.text.ood.energy of each text, one text at a time, as the app reads it."""
    rows = wp.encode_batch(model.tokenizer, texts)
    return np.array([energy(model.module(torch.tensor([r])))[0] for r in rows])


def calibrate(name: str, args, splits, command: str) -> dict:
    model = load_text_model(name)
    val = energies(model, [t for t, _ in splits.val[: args.max_val]])
    threshold = ood.percentile_threshold(val, args.percentile)
    test = energies(model, [t for t, _ in splits.test[: args.max_test]])
    written = energies(model, project_definitions())
    others = {k: energies(model, v) for k, v in other_texts().items()}
    measured = {
        "in_domain_flagged": {
            "val glosses (calibration)": ood.flag_rate(val, threshold),
            "test glosses": ood.flag_rate(test, threshold),
            "project definitions (examples/text/wordnet)": ood.flag_rate(written, threshold),
        },
        "other_texts_flagged": {k: ood.flag_rate(v, threshold) for k, v in others.items()},
        "counts": {"val": len(val), "test": len(test), "project definitions": len(written),
                   **{k: len(v) for k, v in others.items()}},
        "median_score": {"test glosses": float(np.median(test)), **{k: float(np.median(v)) for k, v in others.items()}},
    }  # fmt: skip
    calibration = {
        "method": "energy score, -logsumexp(logits) (Liu et al. 2020)",
        "feature": "energy",
        "threshold": round(threshold, 5),
        "percentile": args.percentile,
        "measured": measured,
        "command": command,
    }
    ood.write_calibration(model.checkpoint_dir, calibration)
    print(f"{name}: threshold {threshold:.3f}; {json.dumps(measured)}", flush=True)
    return measured


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["gru_wordnet", "minilm_wordnet"])
    p.add_argument("--percentile", type=float, default=95, help="threshold: this percentile of validation scores")
    p.add_argument("--max-val", type=int, default=800, help="validation glosses the threshold is taken from")
    p.add_argument("--max-test", type=int, default=800, help="test glosses the false-alarm rate is measured on")
    args = p.parse_args(argv)
    command = "python -m train.text_ood " + shlex.join(sys.argv[1:] if argv is None else argv)
    splits = load_splits()  # the training runs' split (seed 0, 2 % validation, 5 % test)
    return {name: calibrate(name, args, splits, command) for name in args.models}


if __name__ == "__main__":
    main()

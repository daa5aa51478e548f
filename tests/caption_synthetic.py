"""Eight synthetic images (distinct shapes and colours drawn with PIL) with distinct Vietnamese captions, written
in KTVIC's official JSON layout so tests go through the real loader."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

CAPTIONS = (
    "một hình tròn màu đỏ trên nền trắng",
    "hình vuông xanh lá ở giữa bức ảnh",
    "tam giác vàng nằm trên nền đen",
    "hai sọc ngang màu xanh dương",
    "một ngôi sao tím rực rỡ",
    "hình chữ thập màu cam đậm",
    "những chấm bi hồng nhỏ xíu",
    "đường chéo nâu cắt ngang khung hình",
)
STAR = [(32, 4), (40, 26), (62, 26), (44, 40), (52, 62), (32, 48), (12, 62), (20, 40), (2, 26), (24, 26)]
DRAWINGS = (
    ("white", lambda d: d.ellipse([12, 12, 52, 52], fill="red")),
    ("gray", lambda d: d.rectangle([16, 16, 48, 48], fill="green")),
    ("black", lambda d: d.polygon([(32, 8), (56, 56), (8, 56)], fill="yellow")),
    ("white", lambda d: (d.rectangle([0, 10, 63, 22], fill="blue"), d.rectangle([0, 40, 63, 52], fill="blue"))),
    ("white", lambda d: d.polygon(STAR, fill="purple")),
    ("white", lambda d: (d.rectangle([26, 4, 38, 60], fill="orange"), d.rectangle([4, 26, 60, 38], fill="orange"))),
    (
        "white",
        lambda d: [d.ellipse([x, y, x + 8, y + 8], fill="hotpink") for x in range(2, 60, 14) for y in range(2, 60, 14)],
    ),
    ("lightgray", lambda d: d.line([(0, 0), (63, 63)], fill="brown", width=10)),
)


def write_ktvic(root: Path, splits: tuple[str, ...] = ("train", "test")) -> Path:
    """train_data.json + train-images/ (and the same images as the test split) under root."""
    folders = {"train": "train-images", "test": "public-test-images"}
    for split in splits:
        (root / folders[split]).mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for i, ((background, draw), caption) in enumerate(zip(DRAWINGS, CAPTIONS)):
            image = Image.new("RGB", (64, 64), background)
            draw(ImageDraw.Draw(image))
            image.save(root / folders[split] / f"{i:05d}.png")
            images.append({"id": i, "filename": f"{i:05d}.png"})
            annotations.append({"id": i, "image_id": i, "caption": caption, "segment_caption": caption})
        data = {"images": images, "annotations": annotations}
        (root / f"{split}_data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return root


def pretrain_tiny_gpt2(model, tokenizer, sentences, steps: int = 150, lr: float = 3e-3) -> float:
    """Teach the tiny GPT-2 the sentences as a language model (seconds), so that, like the real Vietnamese GPT-2,
    it already writes them and a prefix only has to choose which one. Returns the last loss."""
    import torch

    eos = tokenizer.eos_token_id
    rows = [[eos, *tokenizer(s).input_ids, eos] for s in sentences]
    width = max(map(len, rows))
    ids = torch.tensor([r + [eos] * (width - len(r)) for r in rows])
    labels = torch.tensor([r + [-100] * (width - len(r)) for r in rows])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        for _ in range(steps):
            loss = model(input_ids=ids, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    return loss.item()

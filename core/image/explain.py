"""Grad-CAM for CNN feature maps and for ViT patch tokens, and the heat-map overlay.

One forward with gradients gives both the prediction and the map: the backward pass goes only to the chosen
feature tensor (torch.autograd.grad), so parameter gradients are never computed or stored. No hooks are
registered, so concurrent requests on the same shared module cannot see each other's activations.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def forward_with_gradcam(module, x: torch.Tensor, class_index: int | None = None) -> tuple[torch.Tensor, np.ndarray]:
    """Logits (1, C) and a map (h, w) in [0, 1] for `class_index` (default: the top class).

    Grad-CAM for feature maps and tokens; gradient x input for models whose `saliency` says so.
    """
    logits, cams = forward_with_gradcam_batch(module, x[:1], None if class_index is None else [class_index])
    return logits, cams[0]


def forward_with_gradcam_batch(
    module, x: torch.Tensor, class_indices: list[int] | None = None
) -> tuple[torch.Tensor, list[np.ndarray]]:
    """`forward_with_gradcam` for a batch (B, ...): logits (B, C) and one map per input (the micro-batcher's path).

    In eval mode the inputs of a batch do not interact, so the gradient of the sum of each row's chosen logit
    with respect to the features is, row by row, the gradient of that row's own logit: one backward for all.
    """
    with torch.enable_grad():
        logits, feats = module.forward_with_features(x)
        idx = logits.argmax(dim=1) if class_indices is None else torch.tensor(class_indices, device=logits.device)
        chosen = logits.gather(1, idx.view(-1, 1)).sum()
        (grads,) = torch.autograd.grad(chosen, feats)
    fmap = module.features_to_grid(feats.detach())  # (B, C, h, w)
    gmap = module.features_to_grid(grads)
    if getattr(module, "saliency", "gradcam") == "grad_x_input":
        # Models explained on their input (pixels, RNN steps): per-position gradient x value.
        cam = torch.relu((gmap * fmap).sum(dim=1))  # (B, h, w)
    else:
        weights = gmap.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1): channel importance
        cam = torch.relu((weights * fmap).sum(dim=1))  # (B, h, w)
    peak = cam.amax(dim=(1, 2), keepdim=True)
    cam = torch.where(peak > 0, cam / peak.clamp_min(1e-30), cam)
    return logits.detach(), list(cam.cpu().numpy())


def _jet(values: np.ndarray) -> np.ndarray:
    """Matplotlib's 'jet' colour map in closed form (avoids importing matplotlib on the request path)."""
    v = np.clip(values, 0.0, 1.0)[..., None]
    rgb = np.clip(1.5 - np.abs(4.0 * v - np.array([3.0, 2.0, 1.0])), 0.0, 1.0)
    return (rgb * 255).astype(np.uint8)


def overlay_heatmap(image: Image.Image, cam: np.ndarray, alpha: float = 0.45) -> Image.Image:
    """Blend a [0, 1] map over an RGB image, upsampling the map smoothly to the image size."""
    heat = Image.fromarray((np.clip(cam, 0, 1) * 255).astype(np.uint8)).resize(image.size, Image.Resampling.BICUBIC)
    colours = Image.fromarray(_jet(np.asarray(heat, dtype=np.float32) / 255.0))
    return Image.blend(image.convert("RGB"), colours, alpha)


def draw_reading_grid(image: Image.Image, rows: int, cols: int) -> Image.Image:
    """Lines showing how a sequence model cuts the image into steps (rows, or patches in raster order)."""
    from PIL import ImageDraw

    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    for r in range(1, rows):
        y = round(r * h / rows)
        draw.line([(0, y), (w, y)], fill=(255, 215, 0), width=1)
    for c in range(1, cols):
        x = round(c * w / cols)
        draw.line([(x, 0), (x, h)], fill=(255, 215, 0), width=1)
    if rows * cols <= 64:  # number the steps when they are few enough to read
        for i in range(rows * cols):
            r, c = divmod(i, cols)
            draw.text((c * w / cols + 2, r * h / rows + 1), str(i + 1), fill=(255, 255, 255))
    return out

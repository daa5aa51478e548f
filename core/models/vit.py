"""ViT-B/16 classifier: Hugging Face ViTModel + Linear(768 -> C) on the [CLS] token (the course's head).

Kept as a thin wrapper around transformers' ViTForImageClassification so that Google's checkpoints
(in21k backbone for fine-tuning, in1k classifier for the ImageNet variant) load with from_pretrained.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from transformers import ViTConfig, ViTForImageClassification

from core.runtime.messages import Bilingual

VIT_B16 = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)


class ViTClassifier(nn.Module):
    family = "Transformer"
    explanation = Bilingual(
        "Grad-CAM on the patch tokens entering the last encoder block",
        "Grad-CAM trên các token mảnh ảnh đi vào khối encoder cuối",
    )

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        image_size: int = 224,
        patch_size: int = 16,
        hidden_size: int = VIT_B16["hidden_size"],
        num_hidden_layers: int = VIT_B16["num_hidden_layers"],
        num_attention_heads: int = VIT_B16["num_attention_heads"],
        intermediate_size: int = VIT_B16["intermediate_size"],
        hf_model: ViTForImageClassification | None = None,
    ):
        super().__init__()
        if hf_model is None:
            config = ViTConfig(
                image_size=image_size,
                patch_size=patch_size,
                hidden_size=hidden_size,
                num_hidden_layers=num_hidden_layers,
                num_attention_heads=num_attention_heads,
                intermediate_size=intermediate_size,
                num_labels=num_classes,
            )
            hf_model = ViTForImageClassification(config)
        self.model = hf_model

    @classmethod
    def from_pretrained(cls, repo_id: str, *, local_files_only: bool, num_classes: int | None = None) -> ViTClassifier:
        """Google's weights from the Hub, safetensors only (never a pickle). A new head if num_classes is given."""
        kwargs = {"num_labels": num_classes, "ignore_mismatched_sizes": True} if num_classes else {}
        hf = ViTForImageClassification.from_pretrained(
            repo_id, use_safetensors=True, local_files_only=local_files_only, **kwargs
        )
        return cls(hf_model=hf)

    def model_args(self) -> dict:
        """Hyperparameters that rebuild this module offline from a checkpoint's JSON."""
        c = self.model.config
        return dict(
            num_classes=self.model.classifier.out_features,
            image_size=c.image_size,
            patch_size=c.patch_size,
            hidden_size=c.hidden_size,
            num_hidden_layers=c.num_hidden_layers,
            num_attention_heads=c.num_attention_heads,
            intermediate_size=c.intermediate_size,
        )

    def hub_labels(self) -> list[str] | None:
        id2label = self.model.config.id2label or {}
        labels = [id2label.get(i) for i in range(len(id2label))]
        return labels if labels and not labels[0].startswith("LABEL_") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=x).logits

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model.vit(pixel_values=x, output_hidden_states=True)
        # The last block's *output* patch tokens do not reach the [CLS] head, so their gradient is zero;
        # its *input* tokens do, through the last attention layer.
        feats = out.hidden_states[-2]  # (B, 1 + N, D)
        logits = self.model.classifier(out.last_hidden_state[:, 0])
        return logits, feats

    @staticmethod
    def features_to_grid(feats: torch.Tensor) -> torch.Tensor:
        tokens = feats[:, 1:]  # drop [CLS]: (B, N, D)
        side = math.isqrt(tokens.shape[1])
        return tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], side, side)  # (B, D, h, w)

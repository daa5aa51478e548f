"""Models, weights, preprocessing and inference. Never imports gradio (DESIGN.md)."""

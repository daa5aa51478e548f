"""Models, weights, preprocessing and inference. Never imports gradio (docs/ARCHITECTURE.md, "Layers")."""

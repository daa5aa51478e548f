"""CLIP (open_clip) shared by the CLIP playground, the caption generator and video search."""

"""Video event search: streaming decode, keyframes, CLIP + OCR index cached on disk, queries and spoken summaries."""

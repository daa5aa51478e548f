"""Models, weights, preprocessing and inference. Never imports gradio (docs/ARCHITECTURE.md, "Layers")."""

from core.runtime.memory import limit_malloc_arenas

# Every process that uses core (the app, train/ scripts, the tests) caps glibc's malloc arenas before its worker
# threads start allocating: see core/runtime/memory.py for why and what it measured.
limit_malloc_arenas()

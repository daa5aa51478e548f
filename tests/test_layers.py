"""The import graph of core/, demo/, train/ and app.py: no cycles, no upward imports, at most 8 layers.

A node is a package one level below core/ or demo/ (core.catalog, demo.tabs, ...), a top-level module of demo/
(demo.api), train, or app. LAYERS is the order docs/ARCHITECTURE.md describes; every import must point to a node
of a strictly lower layer, or stay inside its own node. Imports inside functions count (they are dependencies
too); imports under `if TYPE_CHECKING:` do not (they never run). Within every node, modules import no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = (
    ("core.runtime",),
    ("core.models", "core.catalog"),
    ("core.training",),
    ("core.image", "core.text", "core.clip", "core.vqa", "demo.ui"),
    ("core.caption", "core.video", "demo.server"),
    ("demo.tabs", "demo.prefetch", "train"),
    ("demo.api",),
    ("app",),
)
LAYER_OF = {node: i for i, layer in enumerate(LAYERS) for node in layer}


def _modules() -> dict[str, Path]:
    paths = [*REPO.glob("core/**/*.py"), *REPO.glob("demo/**/*.py"), *REPO.glob("train/**/*.py"), REPO / "app.py"]
    modules = {}
    for path in paths:
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _node(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("app", "train"):
        return parts[0]
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Imported module names, skipping `if TYPE_CHECKING:` blocks."""
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name in _runtime_imports(ast.parse(path.read_text())):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                edges[module].add(name)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return found


def test_no_module_imports_a_cycle():
    edges = _graph()
    # A module importing its own package's __init__ (or the reverse, for re-exports) is not a cycle between concerns.
    within = {
        m: {t for t in targets if not m.startswith(t + ".") and not t.startswith(m + ".")}
        for m, targets in edges.items()
    }
    assert _cycles(within) == []


def test_every_import_points_down_the_layers():
    upward = []
    for module, targets in _graph().items():
        source = _node(module)
        if source in ("core", "demo"):  # the package markers themselves: no imports, no side effects
            assert not targets, f"{module}/__init__.py imports {sorted(targets)}: make it an explicit call instead"
            continue
        assert source in LAYER_OF, f"{module}: its package {source} has no layer in LAYERS (docs/ARCHITECTURE.md)"
        for target in targets:
            node = _node(target)
            if node == source or node in ("core", "demo"):
                continue
            assert node in LAYER_OF, f"{target}: its package {node} has no layer in LAYERS"
            if LAYER_OF[node] >= LAYER_OF[source]:
                upward.append(
                    f"{module} -> {target} ({source} layer {LAYER_OF[source] + 1}, {node} {LAYER_OF[node] + 1})"
                )
    assert upward == []
    assert len(LAYERS) <= 8


def test_core_has_no_loose_modules_and_at_most_ten_packages():
    loose = [p.name for p in (REPO / "core").glob("*.py") if p.name != "__init__.py"]
    packages = [p.name for p in (REPO / "core").iterdir() if (p / "__init__.py").exists()]
    assert loose == [] and len(packages) <= 10, (loose, packages)


def test_core_never_imports_gradio_or_demo():
    for module, path in _modules().items():
        if module.startswith("core"):
            names = _runtime_imports(ast.parse(path.read_text()))
            assert not [n for n in names if n.split(".")[0] in ("gradio", "demo", "train")], module


def test_importing_the_app_imports_no_torch():
    """Building the page needs no model: torch (about 1.2 s of CPU) is imported on the first request that needs it."""
    import subprocess
    import sys

    code = "import sys, app; assert not {'torch', 'matplotlib', 'sklearn'} & set(sys.modules), 'imported at build'"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]

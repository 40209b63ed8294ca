"""The Python package's import graph: no cycles, and the kernel side stays apart.

Read statically (every ``import`` in a module, function-level ones included), so a cycle
fails here even when import order happens to hide it at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "tests" in parts or "labextension" in parts:
            continue
        name = ".".join(parts).removesuffix(".__init__")
        found[name] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in known else base)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    return {t for t in targets if t in known and t != name}


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    path: list[str] = []
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph[node]):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done and (found := visit(target)):
                return found
        on_path.discard(path.pop())
        done.add(node)
        return None

    return visit(start)


def test_no_import_cycles():
    graph = _graph()
    assert "trackside.kernel.mlflow_hook" in graph  # the graph was read
    for module in sorted(graph):
        cycle = _cycle_from(module, graph)
        assert cycle is None, " -> ".join(cycle or [])


def test_the_kernel_side_never_imports_the_server_side():
    graph = _graph()
    for module, targets in graph.items():
        if module.startswith("trackside.kernel"):
            assert not {t for t in targets if t.startswith("trackside.server")}, module


def test_the_projects_package_imports_neither_side():
    # trackside/projects/ is shared by the server's project runner and the kernel magic.
    modules = {n: p for n, p in _modules().items() if n.startswith("trackside.projects")}
    assert "trackside.projects.spec" in modules
    graph = _graph()
    for module, path in modules.items():
        sides = {t for t in graph[module] if t.startswith(("trackside.server", "trackside.kernel"))}
        assert not sides, module
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                assert name.split(".")[0] not in ("jupyter_server", "IPython"), (module, name)

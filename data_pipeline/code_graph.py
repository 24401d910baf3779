"""The import graph of the repository's packages and the code fingerprint of a stage.

``import_graph`` reads every module of ``data_pipeline``, ``training``, ``evaluation`` and
``flows`` with ``ast`` (imports inside functions and ``TYPE_CHECKING`` blocks included): an edge
per in-repo module imported; ``from pkg import name`` counts as ``pkg.name`` when that is a
module, else as ``pkg``. Third-party imports are left out.

``code_fingerprint(module)`` hashes the package version and the source of ``module`` plus every
module it imports transitively: the code part of a stage's cache key. Editing the tokenizer
leaves the ingest stage's cached runs valid; editing a reader does not.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import sys
from functools import lru_cache
from pathlib import Path

PACKAGES = ("data_pipeline", "training", "evaluation", "flows")
#: The folder holding the packages (the repository root for a source checkout).
ROOT = Path(__file__).resolve().parents[1]


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of ``PACKAGES`` under ``root``."""
    out = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _known(name: str, known: dict[str, Path]) -> str | None:
    """``name`` or its nearest enclosing module among ``known`` (None for third-party)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """In-repo modules that ``module`` (source ``path``) imports anywhere in its file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [_known(a.name, known) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else _known(base, known)
                for a in node.names
            ]
        else:
            continue
        found.update(t for t in targets if t and t != module)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the in-repo modules it imports."""
    known = modules(root)
    return {m: imports_of(m, p, known) for m, p in known.items()}


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """``start`` and every module it imports, directly or not."""
    seen, todo = {start}, [start]
    while todo:
        for child in graph.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other (strongly connected, more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        work = [(node, iter(sorted(graph[node])))]
        while work:
            current, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[current])
                if low[current] == index[current]:
                    component = []
                    while (member := stack.pop()) != current:
                        on_stack.discard(member)
                        component.append(member)
                    on_stack.discard(current)
                    if component:
                        found.append(sorted([current, *component]))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[current] = min(low[current], index[child])

    for start in sorted(graph):
        if start not in index:
            visit(start)
    return found


@lru_cache(maxsize=4)
def _graph(root: Path) -> tuple[dict[str, Path], dict[str, set[str]]]:
    return modules(root), import_graph(root)


@lru_cache(maxsize=64)
def code_fingerprint(module: str, root: Path = ROOT) -> str:
    """16 hex characters over the package version and the sources ``module`` depends on (by
    module name, so the same sources give the same key wherever they live). A module outside
    the packages (a stage defined in a test) counts with what it imports from them."""
    from importlib.metadata import PackageNotFoundError, version

    files, graph = _graph(root)
    files = dict(files)
    if module in graph:
        names = reachable(graph, module)
    else:
        files[module] = Path(sys.modules[module].__file__ or "")
        direct = imports_of(module, files[module], files)
        names = {module}.union(*(reachable(graph, d) for d in direct))
    digest = hashlib.sha256()
    with contextlib.suppress(PackageNotFoundError):
        digest.update(version("ladder").encode())
    for name in sorted(names):
        digest.update(name.encode() + b"\0" + files[name].read_bytes())
    return digest.hexdigest()[:16]


def clear_caches() -> None:
    """Forget parsed graphs and fingerprints (after sources changed in this process)."""
    _graph.cache_clear()
    code_fingerprint.cache_clear()

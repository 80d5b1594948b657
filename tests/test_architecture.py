"""The layout of docs/architecture.md, kept true: no import circle, arrows one way, small modules.

Imports are read statically (``ast``), every ``import`` and ``from ... import`` anywhere in a module
(function-level lazy imports included), except those under ``if TYPE_CHECKING:``, which never run.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "scratchnet"

# package -> the packages it may import (besides itself); "library" is scratchnet's own modules
MAY_IMPORT: dict[str, set[str]] = {
    "cli": {"running", "report", "frameworks", "parity", "measures", "cases", "datasets", "store", "library"},
    "quickstart": {"running", "report", "frameworks", "parity", "measures", "cases", "datasets", "store", "library"},
    "running": {"frameworks", "parity", "measures", "cases", "datasets", "store", "library"},
    "report": {"measures", "cases", "store", "library"},
    "frameworks": {"parity", "measures", "cases", "datasets", "store", "library"},
    "parity": {"store", "library"},
    "measures": {"cases", "datasets", "store", "library"},
    "cases": {"datasets", "library"},
    "datasets": {"library"},
    "store": set(),
    "bench": {"library"},   # scratchnet/bench/__init__.py (the moved-module aliases)
    "library": set(),
}
MAX_LINES = 400
LONGER = {  # module -> why it stays above MAX_LINES
    "scratchnet/bench/parity/foreign.py": "405 lines: the foreign-network protocol is one contract (describe() "
                                          "parsing, loading a target, the checked wrapper); splitting it would "
                                          "scatter the checks a user reads together",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(x) for stmt in node.body for x in ast.walk(stmt)}
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            targets = subs + ([base] if len(subs) < len(node.names) else [])
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name and not name.startswith(t + ".")}
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[:2] != ["scratchnet", "bench"]:
        return "library"
    return parts[2] if len(parts) > 2 else "bench"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    assert _cycles(GRAPH) == []


def test_the_checker_sees_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_every_package_is_placed():
    assert {_package(m) for m in MODULES} <= set(MAY_IMPORT)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_arrows_point_one_way(package):
    wrong = sorted(f"{a} -> {b}" for a, targets in GRAPH.items() if _package(a) == package
                   for b in targets if _package(b) != package and _package(b) not in MAY_IMPORT[package])
    assert wrong == [], f"{package} may import only {sorted(MAY_IMPORT[package])}"


def test_modules_stay_small():
    long = {str(p.relative_to(ROOT.parent)): n for p in MODULES.values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert set(long) <= set(LONGER), {m: n for m, n in long.items() if m not in LONGER}


def test_old_module_paths_still_import_with_a_warning():
    import importlib
    import sys

    import scratchnet.bench as bench

    for old, new in bench.MOVED.items():
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
            module = importlib.import_module(old)
        assert module is importlib.import_module(new)

"""Every repository path the reader is pointed at exists: in README.md, docs/*.md and each
``scratchnet-bench`` subcommand's ``--help``, so a move cannot leave a dangling pointer.

A *path* is a token that starts with one of the repository's top-level entries (``scratchnet/``,
``scripts/``, ``docs/`` ... or a top-level file such as ``pyproject.toml``); a *module* is a dotted
``scratchnet.x.y`` name. A path may also be an output the suite writes (``results/fast/...``,
``.venv``): then git must ignore it, since a clean clone does not have it. Placeholders
(``results/<profile>/``, ``{name}``, globs) are not paths.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP = sorted(p.name for p in ROOT.iterdir() if p.name not in (".git",) and not p.name.startswith(".venv"))
PATH = re.compile(r"(?<![\w./-])((?:%s)(?:/[\w.+-]+)*/?)" % "|".join(re.escape(t) for t in TOP + [".ci", ".venv"]))
MODULE = re.compile(r"(?<![\w./])(scratchnet(?:\.[a-z_][a-z0-9_]*)+)")


def _documents() -> dict[str, str]:
    docs = {"README.md": (ROOT / "README.md").read_text(encoding="utf-8")}
    docs.update({f"docs/{p.name}": p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))})
    from scratchnet.bench import cli

    parser = cli._parser()
    sub = next(a for a in parser._actions if getattr(a, "choices", None) and isinstance(a.choices, dict))
    docs["scratchnet-bench --help"] = parser.format_help()
    for name, subparser in sub.choices.items():
        docs[f"scratchnet-bench {name} --help"] = subparser.format_help()
    return docs


def _paths(text: str) -> set[str]:
    found = set()
    for match in PATH.finditer(text):
        token = match.group(1).rstrip(".")
        following = text[match.end():match.end() + 1]
        if following in "<{*" and following:  # a placeholder follows: results/<profile>/...
            continue
        found.add(token)
    return found


def _ignored(path: str) -> bool:
    """git ignores it (as a file or as a folder): an output of the suite, absent from a clean clone."""
    return any(subprocess.run(["git", "check-ignore", "-q", "--no-index", p], cwd=ROOT).returncode == 0
               for p in (path, path.rstrip("/") + "/"))


def _entry_point_groups() -> set[str]:
    """Dotted names that are entry-point groups, not modules (``scratchnet.cases``: case plugins)."""
    from scratchnet.bench.cases.casefile import ENTRY_POINT_GROUP

    return {ENTRY_POINT_GROUP}


def _module_exists(name: str) -> bool:
    """``name`` is a module, or a module's attribute (its longest importable prefix is imported)."""
    if name in _entry_point_groups():
        return True
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except ModuleNotFoundError:
            continue
        if cut == len(parts):
            return True
        obj = importlib.import_module(module)
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


DOCUMENTS = _documents()


@pytest.mark.parametrize("where", sorted(DOCUMENTS))
def test_every_named_path_exists(where):
    missing = sorted(p for p in _paths(DOCUMENTS[where]) if not (ROOT / p).exists() and not _ignored(p))
    assert not missing, f"{where} names paths that do not exist: {missing}"


@pytest.mark.parametrize("where", sorted(DOCUMENTS))
def test_every_named_module_exists(where):
    missing = sorted(m for m in set(MODULE.findall(DOCUMENTS[where])) if not _module_exists(m.rstrip(".")))
    assert not missing, f"{where} names modules that do not exist: {missing}"


def test_a_dangling_pointer_is_caught(tmp_path):
    """The extraction finds a moved file (the pointer that went stale in the re-layout)."""
    text = "the protocol: scratchnet/bench/foreign.py; the tables in results/<profile>/runs.csv"
    assert _paths(text) == {"scratchnet/bench/foreign.py"}
    assert not (ROOT / "scratchnet/bench/foreign.py").exists()
    assert not _module_exists("scratchnet.bench.no_such_module") and _module_exists("scratchnet.bench.running.runner")
    assert not _module_exists("scratchnet.no_such_function") and _module_exists("scratchnet.load_model")

"""Keep the README's headline in step with the results.

``update_readme(readme, results_dir) -> bool`` rewrites the text between
``<!-- headline:start ... -->`` and ``<!-- headline:end -->``; a README without
the markers raises ``ValueError`` naming the file.
"""
from __future__ import annotations

from pathlib import Path

from scratchnet.bench.store.results import atomic_write_bytes
from scratchnet.bench.report.headline_text import headline


README_START = "<!-- headline:start"


README_END = "<!-- headline:end -->"


def update_readme(readme: str | Path, results_dir: str | Path = "results") -> bool:
    """Rewrite the text between the headline markers of ``readme``; returns whether it changed.

    The markers are ``<!-- headline:start ... -->`` and ``<!-- headline:end -->``; a README
    without them raises ValueError naming the file.
    """
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no '{README_START} ... -->' / '{README_END}' markers to fill")
    start = text.index("-->", start) + 3
    new = text[:start] + "\n" + headline(results_dir) + "\n" + text[end:]
    if new != text:
        atomic_write_bytes(path, new.encode("utf-8"))
    return new != text

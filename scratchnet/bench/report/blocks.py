"""The document model shared by every section and both renderers.

A report is a flat list of ``Block``: ``Heading``, ``Answer`` (a section's one line), ``Para`` (a sequence of
``Part``: plain text or ``("code" | "b", text)``), ``Bullets``, ``Table`` (all
cells already text; optional grouped/short headers and an HTML id), ``Image`` (a
PNG in memory, written to ``figures/`` and embedded in the HTML), ``Folded`` (a
titled section, a ``<details>`` element in HTML), ``Collapsed`` (blocks inside a
section behind a one-line summary, ``<details>`` in HTML and markdown) and
``Columns`` (blocks side by side in HTML). Blocks are frozen dataclasses; sections build them with ``section``
(heading and answer), ``para``, ``kv`` and ``table_block``; ``fold`` and ``walk`` serve the assembly.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Union


Part = Union[str, tuple[str, str]]  # plain text, or (style, text) with style "code" / "b"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Part, ...], ...]


@dataclass(frozen=True)
class Table:
    """A table of text cells. ``groups``: optional (label, span) pairs drawn above the
    headers in HTML, where ``short`` (same length as ``headers``) replaces the full
    headers; markdown always shows the full ``headers``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    groups: tuple[tuple[str, int], ...] = ()
    short: tuple[str, ...] = ()
    anchor: str = ""  # HTML id ("" for none)
    csv: str = ""     # a detail table: written to tables/<csv>, the report shows a link (build_report)


@dataclass(frozen=True)
class Image:
    name: str
    caption: str
    png: bytes
    anchor: str = ""  # HTML id ("" for none)


@dataclass(frozen=True)
class Collapsed:
    """Blocks behind a one-line ``summary`` inside a section: what a reader may skip (long
    tables, further figures, the details behind a verdict). ``<details>`` in HTML and in
    markdown (GitHub renders it), so a section stays about one screen tall."""

    summary: str
    blocks: tuple["Block", ...]


@dataclass(frozen=True)
class Answer:
    """A section's one-line answer (:mod:`~scratchnet.bench.report.answers`): the first line under
    its heading; a folded section shows it on its summary line."""

    text: str


@dataclass(frozen=True)
class Folded:
    """A titled section: a level-2 heading in markdown, a ``<details>`` element in HTML; its
    ``answer`` stays visible above (markdown) or on (HTML) the fold."""

    title: str
    blocks: tuple["Block", ...]
    answer: str = ""


@dataclass(frozen=True)
class Columns:
    """Blocks shown side by side in HTML where the width allows (wrapping below where it
    does not); one after the other in markdown."""

    blocks: tuple["Block", ...]


Block = Union[Heading, Answer, Para, Bullets, Table, Image, Folded, Collapsed, Columns]


def section(title: str, answer: str, *blocks: Block) -> list[Block]:
    """A section: its level-2 heading, its one-line ``Answer`` (the first line a reader sees), its blocks."""
    return [Heading(2, title), Answer(answer), *blocks]


def fold(blocks: Sequence[Block]) -> list[Block]:
    """Turn a section that starts with a level-2 heading into one ``Folded`` block (its answer on the fold)."""
    if not blocks or not isinstance(blocks[0], Heading) or blocks[0].level != 2:
        return list(blocks)
    if len(blocks) > 1 and isinstance(blocks[1], Answer):
        return [Folded(blocks[0].text, tuple(blocks[2:]), blocks[1].text)]
    return [Folded(blocks[0].text, tuple(blocks[1:]))]


def walk(blocks: Iterable[Block]) -> Iterator[Block]:
    """Every block of ``blocks`` in document order, the blocks inside folded, collapsed and column blocks included."""
    for block in blocks:
        yield block
        if isinstance(block, (Folded, Columns, Collapsed)):
            yield from walk(block.blocks)


def para(*parts: Part) -> Para:
    return Para(tuple(parts))


def kv(label: str, value: str) -> tuple[Part, ...]:
    return (("b", f"{label}:"), f" {value}")


def collapse_identical(rows: Sequence[tuple[str, ...]], column: int) -> list[tuple[str, ...]]:
    """Rows equal but for ``column`` (a framework's name) become one row naming them all, in order."""
    merged: dict[tuple[str, ...], list[str]] = {}
    for row in rows:
        key = row[:column] + row[column + 1:]
        merged.setdefault(key, []).append(row[column])
    return [key[:column] + (", ".join(names),) + key[column:] for key, names in merged.items()]


def table_block(headers: Sequence[str], rows: Iterable[Sequence[str]],
                groups: Sequence[tuple[str, int]] = (), short: Sequence[str] = (),
                anchor: str = "", csv: str = "", collapse: int | None = None) -> Table:
    """A ``Table`` of text cells. ``csv``: a detail table (written to ``tables/<csv>``, linked);
    ``collapse``: the column whose rows are merged when all other cells agree (:func:`collapse_identical`)."""
    rows = tuple(tuple(str(c) for c in r) for r in rows)
    if collapse is not None:
        rows = tuple(collapse_identical(rows, collapse))
    if short and len(short) != len(headers):
        raise ValueError(f"short headers: {len(short)} for {len(headers)} columns")
    if groups and sum(span for _, span in groups) != len(headers):
        spanned = sum(span for _, span in groups)
        raise ValueError(f"header groups span {spanned} of {len(headers)} columns")
    return Table(tuple(headers), rows, tuple(groups), tuple(short), anchor, csv)

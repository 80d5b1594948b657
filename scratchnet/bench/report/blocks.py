"""The document model shared by every section and both renderers.

A report is a flat list of ``Block``: ``Heading``, ``Para`` (a sequence of
``Part``: plain text or ``("code" | "b", text)``), ``Bullets``, ``Table`` (all
cells already text) and ``Image`` (a PNG in memory, written to ``figures/`` and
embedded in the HTML). Blocks are frozen dataclasses; sections build them with
``para``, ``kv`` and ``table_block``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Image:
    name: str
    caption: str
    png: bytes


Block = Union[Heading, Para, Bullets, Table, Image]


def para(*parts: Part) -> Para:
    return Para(tuple(parts))


def kv(label: str, value: str) -> tuple[Part, ...]:
    return (("b", f"{label}:"), f" {value}")


def table_block(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    return Table(tuple(headers), tuple(tuple(str(c) for c in r) for r in rows))

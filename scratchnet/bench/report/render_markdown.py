"""Render a list of blocks as GitHub-flavoured markdown (pipe tables).

``render_markdown(blocks) -> str``; a ``Folded`` section is a level-2 heading with its
content inside ``<details>``, and a ``Collapsed`` block is ``<details>`` with its summary --
the HTML report's structure, which GitHub renders (blank lines keep the markdown inside
live); images point at ``figures/<name>``; text is escaped so that no cell breaks a table.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable

from scratchnet.bench.report.blocks import (Answer, Block, Bullets, Collapsed, Columns, Folded, Heading, Para, Part,
    Table)


MD_SPECIAL = re.compile(r"([\\`*_<>|])")


def _md_escape(text: str) -> str:
    return MD_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def _md_parts(parts: Iterable[Part]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(_md_escape(part))
        elif part[0] == "code":
            out.append(f"`{part[1]}`")
        else:
            out.append(f"**{_md_escape(part[1])}**")
    return "".join(out)


def _md_table(table: Table) -> str:
    if table.csv:  # a detail table: its rows are in tables/<csv>
        return f"Full table ({len(table.rows)} rows, {len(table.headers)} columns): [tables/{table.csv}](tables/{table.csv})"
    line = lambda cells: "| " + " | ".join(_md_escape(c) for c in cells) + " |"  # noqa: E731
    sep = "|" + "|".join(" --- " for _ in table.headers) + "|"
    return "\n".join([line(table.headers), sep, *(line(r) for r in table.rows)])


def _md_details(summary: str, blocks: Iterable[Block]) -> str:
    inner = "\n\n".join(_md_block(b) for b in blocks)
    return f"<details><summary>{html.escape(summary)}</summary>\n\n{inner}\n\n</details>"


def _md_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {_md_escape(block.text)}"
    if isinstance(block, Answer):
        return f"**{_md_escape(block.text)}**"
    if isinstance(block, Para):
        return _md_parts(block.parts)
    if isinstance(block, Bullets):
        return "\n".join(f"- {_md_parts(item)}" for item in block.items)
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, Columns):
        return "\n\n".join(_md_block(b) for b in block.blocks)
    if isinstance(block, Collapsed):
        return _md_details(block.summary, block.blocks)
    if isinstance(block, Folded):
        answer = f"**{_md_escape(block.answer)}**\n\n" if block.answer else ""
        return f"## {_md_escape(block.title)}\n\n{answer}" + _md_details(f"{block.title}: unfold", block.blocks)
    return f"![{_md_escape(block.caption)}](figures/{block.name})"


def render_markdown(blocks: list[Block]) -> str:
    return "\n\n".join(_md_block(b) for b in blocks) + "\n"

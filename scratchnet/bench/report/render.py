"""Render a list of blocks as GitHub-flavoured markdown or as one HTML page, beside ``figures/`` and ``tables/``.

Markdown: pipe tables, text escaped so no cell breaks a table; a folded section is its heading, its
answer in bold and ``<details>`` (which GitHub renders). HTML: inline CSS, the answer on the folded
section's summary line, figures linked (embedding them tripled the page to 3 MB). A detail table shows
as a link to ``tables/<csv>`` with its size.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable

from scratchnet.bench.report.blocks import (Answer, Block, Bullets, Collapsed, Columns, Folded, Heading, Image, Para,
                                            Part, Table)

MD_SPECIAL = re.compile(r"([\\`*_<>|])")


def _md_escape(text: str) -> str:
    return MD_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def _md_parts(parts: Iterable[Part]) -> str:
    return "".join(_md_escape(p) if isinstance(p, str) else f"`{p[1]}`" if p[0] == "code"
                   else f"**{_md_escape(p[1])}**" for p in parts)


def markdown_table(table: Table) -> str:
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
        return markdown_table(block)
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


HTML_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1em auto;
max-width:1240px;padding:0 .8em;color:#222;line-height:1.4}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid #ddd;
padding-bottom:.1em;margin:.9em 0 .35em}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0;font-size:.82em;display:block;overflow-x:auto;
max-width:100%}
th,td{border:1px solid #ccc;padding:.2em .45em;text-align:left;vertical-align:top;
overflow-wrap:break-word;max-width:28em}
th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}
th.group{text-align:center;background:#e8eef5}
#cases-table{font-size:.78em}#cases-table td:nth-child(2){min-width:15em}
code{background:#f4f4f4;padding:0 .2em}figure{margin:.6em 0}
img{max-width:100%;height:auto}figcaption{font-size:.82em;color:#555}
.columns{display:flex;flex-wrap:wrap;gap:.2em 1.2em;align-items:flex-start}
.columns>div{flex:0 1 auto;min-width:0;max-width:100%}
.columns figure{margin:0;display:table}.columns figcaption{display:table-caption;
caption-side:bottom}.columns table{font-size:.78em;margin:0}
.columns th,.columns td{padding:.15em .35em}
@media (min-width:1000px){.columns{flex-wrap:nowrap}.columns>div:has(figure){flex:0 1 auto}
.columns>div:has(table){flex:0 0 auto}}
details{margin:.6em 0;border:1px solid #e2e2e2;border-radius:4px;padding:.2em .8em}
details>summary{font-size:1.15em;font-weight:600;cursor:pointer;padding:.3em 0}
p.answer{font-weight:600;margin:.3em 0 .5em}summary .answer{display:block;font-size:.8em;font-weight:400;
color:#333;margin:.1em 0 0 1.1em}
details.more{border-style:dashed}details.more>summary{font-size:.95em;font-weight:400;color:#333}
"""


def _id(anchor: str) -> str:
    return f' id="{html.escape(anchor)}"' if anchor else ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _html_parts(parts: Iterable[Part]) -> str:
    tag = {"code": "code", "b": "strong"}
    return "".join(html.escape(p) if isinstance(p, str) else f"<{tag[p[0]]}>{html.escape(p[1])}</{tag[p[0]]}>"
                   for p in parts)


def _html_table(table: Table) -> str:
    if table.csv:  # a detail table: its rows are in tables/<csv>
        name = html.escape(table.csv)
        return (f'<p>Full table ({len(table.rows)} rows, {len(table.headers)} columns): '
                f'<a href="tables/{name}">tables/{name}</a></p>')
    rows = []
    if table.groups:
        rows.append("<tr>" + "".join(
            f'<th class="group" colspan="{span}">{html.escape(label)}</th>'
            if span > 1 else f"<th>{html.escape(label)}</th>"
            for label, span in table.groups) + "</tr>")
    if table.short:
        rows.append("<tr>" + "".join(
            f'<th title="{html.escape(full)}">{html.escape(short)}</th>'
            for full, short in zip(table.headers, table.short)) + "</tr>")
    else:
        rows.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
                    + "</tr>")
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                     for row in table.rows)
    return (f"<table{_id(table.anchor)}>\n<thead>{''.join(rows)}</thead>\n<tbody>\n{body}\n"
            "</tbody>\n</table>")


def _html_image(block: Image) -> str:
    caption = html.escape(block.caption)
    return (f'<figure{_id(block.anchor)}><img src="figures/{html.escape(block.name)}" loading="lazy" '
            f'alt="{caption}"><figcaption>{caption}</figcaption></figure>')


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        tag = f"h{block.level}"
        return f'<{tag} id="{_slug(block.text)}">{html.escape(block.text)}</{tag}>'
    if isinstance(block, Answer):
        return f'<p class="answer">{html.escape(block.text)}</p>'
    if isinstance(block, Para):
        return f"<p>{_html_parts(block.parts)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_html_parts(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Columns):
        inner = "\n".join(f"<div>{_html_block(b)}</div>" for b in block.blocks)
        return f'<div class="columns">\n{inner}\n</div>'
    if isinstance(block, Collapsed):
        inner = "\n".join(_html_block(b) for b in block.blocks)
        return f'<details class="more"><summary>{html.escape(block.summary)}</summary>\n{inner}\n</details>'
    if isinstance(block, Folded):
        inner = "\n".join(_html_block(b) for b in block.blocks)
        answer = f'<span class="answer">{html.escape(block.answer)}</span>' if block.answer else ""
        return (f'<details id="{_slug(block.title)}"><summary>{html.escape(block.title)}{answer}'
                f"</summary>\n{inner}\n</details>")
    return _html_image(block)


def render_html(blocks: list[Block], title: str) -> str:
    body = "\n".join(_html_block(b) for b in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{HTML_CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")

"""Render a list of blocks as one self-contained HTML page.

``render_html(blocks, title) -> str``: inline CSS, figures embedded as base64
PNG data URIs, every text escaped.
"""
from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from .blocks import Block, Bullets, Heading, Para, Part, Table


HTML_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.6em}h3{font-size:1.1em}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}
code{background:#f4f4f4;padding:0 .2em}figure{margin:1em 0}img{max-width:100%}
figcaption{font-size:.85em;color:#555}
"""


def _html_parts(parts: Iterable[Part]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(html.escape(part))
        else:
            tag = "code" if part[0] == "code" else "strong"
            out.append(f"<{tag}>{html.escape(part[1])}</{tag}>")
    return "".join(out)


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                     for row in table.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        return f"<p>{_html_parts(block.parts)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_html_parts(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        return _html_table(block)
    data = base64.b64encode(block.png).decode("ascii")
    caption = html.escape(block.caption)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
            f"<figcaption>{caption}</figcaption></figure>")


def render_html(blocks: list[Block], title: str) -> str:
    body = "\n".join(_html_block(b) for b in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{HTML_CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")

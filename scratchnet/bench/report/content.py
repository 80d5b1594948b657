"""The order of the report: one explicit list of section builders.

A section builder is any ``Callable[[Results], list[Block]]``. ``SECTIONS`` is
the report, top to bottom; ``compose(res)`` concatenates their blocks. To add a
section, write its builder in a module of this package and add one line to
``SECTIONS``. A builder may return ``Image`` blocks: ``build_report`` writes
each to ``figures/<name>`` (names must be unique across the report).
"""
from __future__ import annotations

from collections.abc import Callable

from .blocks import Block
from .claims import claims_blocks
from .comparison import significance_blocks, speed_blocks
from .figures import figure_blocks
from .header import case_blocks, definition_blocks, header_blocks
from .headline_text import headline_blocks
from .missing import missing_blocks
from .parity_table import parity_blocks
from .summary import summary_blocks
from .tables import Results

SectionBuilder = Callable[[Results], list[Block]]

# The report, top to bottom. Add a section: one import above, one line here.
SECTIONS: tuple[SectionBuilder, ...] = (
    header_blocks,
    headline_blocks,
    definition_blocks,
    case_blocks,
    summary_blocks,
    speed_blocks,
    significance_blocks,
    parity_blocks,
    claims_blocks,
    figure_blocks,
    missing_blocks,
)


def compose(res: Results, sections: tuple[SectionBuilder, ...] = SECTIONS) -> list[Block]:
    """Every block of ``sections`` in order, each builder called once with ``res``."""
    return [block for build in sections for block in build(res)]

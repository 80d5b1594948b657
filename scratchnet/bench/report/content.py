"""The order of the report: one explicit list of section builders.

A section builder is any ``Callable[[Results], list[Block]]`` whose blocks start with
a level-2 ``Heading``. ``SECTIONS`` is the report, top to bottom: first the answer
(title, headline, summary figure and table, tutorial claims, figures), then the
details, each wrapped in ``folded`` (a ``<details>`` element in HTML, a plain
section in markdown). ``compose(res)`` concatenates their blocks.

To add a section: write its builder in a module of this package and add one line
to ``SECTIONS`` (``folded(my_blocks),`` for a detail). A builder may return
``Image`` blocks; ``build_report`` writes each to ``figures/<name>`` (names must be
unique across the report). Each section opens with its one-line answer: a function in
``answers.ANSWERS`` under the section's title (``answered``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from scratchnet.bench.report.answers import ANSWERS
from scratchnet.bench.report.blocks import Answer, Block, Folded, Heading, fold
from scratchnet.bench.report.claims import claims_blocks
from scratchnet.bench.report.convergence import convergence_blocks
from scratchnet.bench.report.costs import cost_blocks
from scratchnet.bench.report.comparison import significance_blocks, speed_blocks
from scratchnet.bench.report.figures import figure_blocks
from scratchnet.bench.report.foreign import foreign_blocks
from scratchnet.bench.report.grid import grid_blocks
from scratchnet.bench.report.header import case_blocks, definition_blocks, environment_blocks, title_blocks
from scratchnet.bench.report.headline_text import headline_blocks
from scratchnet.bench.report.lead import lead_blocks
from scratchnet.bench.report.memory import memory_blocks
from scratchnet.bench.report.missing import missing_blocks
from scratchnet.bench.report.overhead import overhead_blocks
from scratchnet.bench.report.parity_table import parity_blocks
from scratchnet.bench.report.summary import summary_blocks
from scratchnet.bench.report.tables import Results

SectionBuilder = Callable[[Results], list[Block]]


def folded(build: SectionBuilder) -> SectionBuilder:
    """``build`` as a detail section: folded in HTML, a plain section in markdown."""
    def folded_section(res: Results) -> list[Block]:
        return fold(build(res))
    folded_section.__name__ = f"folded({build.__name__})"
    return folded_section


# The report, top to bottom. Add a section: one import above, one line here.
SECTIONS: tuple[SectionBuilder, ...] = (
    title_blocks,
    headline_blocks,
    lead_blocks,                 # summary figure + one-row-per-case table
    cost_blocks,                 # fixed cost per epoch and cost per step, the model's check
    claims_blocks,               # tutorial claims and their verdicts
    figure_blocks,               # loss curves (small multiples), convergence
    grid_blocks,                 # test MSE against each grid setting (grid runs only)
    folded(summary_blocks),      # per case, mode and framework
    folded(convergence_blocks),  # shared targets, censored epochs, time to event
    folded(speed_blocks),
    folded(memory_blocks),       # peak during fit, traced, floor
    folded(overhead_blocks),     # scratchnet's framework tax and GEMM share
    folded(significance_blocks),
    folded(parity_blocks),
    folded(foreign_blocks),      # hand-written networks: lockstep check vs Keras
    folded(case_blocks),
    folded(definition_blocks),
    folded(environment_blocks),
    folded(missing_blocks),
)


def answered(blocks: list[Block], res: Results) -> list[Block]:
    """``blocks`` (one section) with its one-line answer (``answers.ANSWERS`` by its title): under its
    heading, or on its fold when the section is folded."""
    if blocks and isinstance(blocks[0], Folded) and blocks[0].title in ANSWERS:
        head = blocks[0]
        return [replace(head, answer=ANSWERS[head.title](res, head.blocks)), *blocks[1:]]
    if blocks and isinstance(blocks[0], Heading) and blocks[0].text in ANSWERS:
        return [blocks[0], Answer(ANSWERS[blocks[0].text](res, blocks[1:])), *blocks[1:]]
    return blocks


def compose(res: Results, sections: tuple[SectionBuilder, ...] = SECTIONS) -> list[Block]:
    """Every block of ``sections`` in order, each builder called once with ``res``, each section
    opening with its one-line answer."""
    return [block for build in sections for block in answered(build(res), res)]

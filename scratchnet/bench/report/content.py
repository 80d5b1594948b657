"""The order of the report: one explicit list of section builders, ``compose(res)`` their blocks in order.

A section builder is any ``Callable[[Results], list[Block]]`` whose blocks open with a level-2 heading and,
but for the headline, the section's one-line answer (``blocks.section``, at most ``MAX_ANSWER``
characters, computed from the section's own numbers). First the answer (title, headline, summary figure
and table, costs, claims, figures), then the details, each ``folded`` (``<details>`` in HTML, its answer
on the summary line). To add a section: its builder in a module here, one line in ``SECTIONS``.
"""
from __future__ import annotations

from collections.abc import Callable

from scratchnet.bench.report.blocks import Block, fold
from scratchnet.bench.report.claims import claims_blocks
from scratchnet.bench.report.convergence import convergence_blocks
from scratchnet.bench.report.costs import cost_blocks
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
MAX_ANSWER = 240


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
    figure_blocks,               # loss curves (small multiples) with parity drift
    grid_blocks,                 # test MSE against each grid setting (grid runs only)
    folded(summary_blocks),      # per case, mode and framework: MSE, convergence, speed, significance
    folded(convergence_blocks),  # shared targets, still improving, time to event
    folded(memory_blocks),       # peak during fit, traced, floor
    folded(overhead_blocks),     # scratchnet's framework tax and GEMM share
    folded(parity_blocks),
    folded(foreign_blocks),      # hand-written networks: lockstep check vs Keras
    folded(case_blocks),
    folded(definition_blocks),
    folded(environment_blocks),
    folded(missing_blocks),
)


def compose(res: Results, sections: tuple[SectionBuilder, ...] = SECTIONS) -> list[Block]:
    """Every block of ``sections`` in order, each builder called once with ``res``."""
    return [block for build in sections for block in build(res)]

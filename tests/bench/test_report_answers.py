"""Every section of the report opens with its one-line answer, computed from the tables.

Held on the fixture run and the committed reference tables: each level-2 section (folded or not)
has an answer right under its heading, no longer than MAX_ANSWER; the answers' numbers follow the
tables (a run turned failed moves the Missing and Summary answers; the parity answer counts the gate).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from scratchnet.bench.report.answers import ANSWERS, MAX_ANSWER, missing_answer, parity_answer, summary_answer
from scratchnet.bench.report.blocks import Answer, Folded, Heading
from scratchnet.bench.report.content import compose
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.render_html import render_html
from scratchnet.bench.report.render_markdown import render_markdown
from scratchnet.bench.report.tables import load_results, main_cases

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
COMMITTED = Path(__file__).resolve().parents[2] / "results"


def _sections(blocks):
    """(title, answer) of every level-2 section of a composed report."""
    out = []
    for i, block in enumerate(blocks):
        if isinstance(block, Folded):
            out.append((block.title, block.answer))
        elif isinstance(block, Heading) and block.level == 2:
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            out.append((block.text, nxt.text if isinstance(nxt, Answer) else ""))
    return out


def test_every_section_opens_with_a_short_answer():
    sections = _sections(compose(load_results(FIXTURE)))
    assert len(sections) >= 10
    for title, answer in sections:
        if title == "Headline":  # the headline's sentences are its answer (test_report_headline)
            continue
        assert title in ANSWERS, f"section {title!r} has no answer function"
        assert answer, f"section {title!r} opens without an answer"
        assert len(answer) <= MAX_ANSWER, (title, len(answer), answer)


def test_committed_answers_are_short_and_say_something():
    res = load_results(COMMITTED)
    for title, answer in ANSWERS.items():
        text = answer(res)
        assert text and len(text) <= MAX_ANSWER, (title, text)


def test_answers_show_on_the_fold_in_both_renderings():
    blocks = compose(load_results(FIXTURE))
    folded = [b for b in blocks if isinstance(b, Folded) and b.answer]
    assert folded
    md, page = render_markdown(blocks), render_html(blocks, "t")
    for section in folded:
        # markdown: the answer sits between the heading and <details>
        head = md.index(f"## {section.title}"[:20])
        assert md.index("<details>", head) > md.index(section.answer.split(",")[0][:30].replace("_", "\\_"), head)
        # HTML: on the summary line, visible without unfolding
        assert f'<span class="answer">' in page
    assert page.count('<span class="answer">') == len(folded)


def test_answers_follow_the_tables(tmp_path):
    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    before = load_results(d)
    runs = pd.read_csv(d / "runs.csv")
    ok = runs.index[runs["status"] == "ok"][:2]
    runs.loc[ok, "status"] = "error"
    runs.to_csv(d / "runs.csv", index=False)
    after = load_results(d)
    assert missing_answer(before).startswith("0 runs failed")
    assert missing_answer(after).startswith("2 runs failed")
    assert "2 failed" in summary_answer(after)
    passed = sum(parity_state(after, c)[0] == "pass" for c in main_cases(after))
    assert parity_answer(after).startswith(f"{passed} of {len(main_cases(after))} cases pass")

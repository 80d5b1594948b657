"""Every section of the report opens with its one-line answer, computed from the tables.

The expectations here are recomputed from the CSV files with plain pandas (not through the report's
helpers): run counts per status, the parity gate's passes and its largest drift, the fastest
framework per case, the claims' verdict marks adding up to the claims table; each section's answer
shows above its fold (markdown) and on its summary line (HTML); a run turned failed moves the answers.
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench.report.blocks import Answer, Folded, Heading
from scratchnet.bench.report.claims import claims_blocks
from scratchnet.bench.report.content import MAX_ANSWER, SECTIONS, compose
from scratchnet.bench.report.missing import missing_blocks
from scratchnet.bench.report.summary import summary_blocks
from scratchnet.bench.report.render import render_html, render_markdown
from scratchnet.bench.report.tables import load_results

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


def _answer(blocks) -> str:
    """The one-line answer of a section's blocks: right under its heading."""
    assert isinstance(blocks[0], Heading) and isinstance(blocks[1], Answer)
    return blocks[1].text


@pytest.fixture(scope="module")
def committed():
    res = load_results(COMMITTED)
    return res, dict(_sections(compose(res)))


@pytest.fixture(scope="module")
def fixture_report():
    blocks = compose(load_results(FIXTURE))
    return blocks, render_markdown(blocks), render_html(blocks, "t")


def test_every_section_opens_with_a_short_answer(fixture_report):
    sections = _sections(fixture_report[0])
    assert len(sections) >= 10
    for title, answer in sections:
        if title == "Headline":  # the headline's sentences are its answer (test_report_headline)
            continue
        assert answer, f"section {title!r} opens without an answer"
        assert len(answer) <= MAX_ANSWER, (title, len(answer), answer)


def test_answers_show_above_the_fold_and_on_the_summary_line(fixture_report):
    blocks, md, page = fixture_report
    folded = [b for b in blocks if isinstance(b, Folded)]
    assert folded and all(b.answer for b in folded)
    for section in folded:
        # markdown: heading, the answer in bold, then <details>
        md_title = re.sub(r"([\\`*_<>|])", r"\\\1", section.title)
        md_answer = re.sub(r"([\\`*_<>|])", r"\\\1", section.answer)
        assert f"## {md_title}\n\n**{md_answer}**\n\n<details>" in md
        # HTML: inside the <summary>, visible without unfolding
        assert (f"<summary>{html.escape(section.title)}<span class=\"answer\">{html.escape(section.answer)}"
                f"</span></summary>") in page
    assert page.count('<span class="answer">') == len(folded)


def test_committed_answers_match_the_csv_files(committed):
    res, answers = committed
    runs = pd.read_csv(COMMITTED / "runs.csv", low_memory=False)
    status = runs["status"].value_counts()
    failed = int(status.reindex(["error", "diverged", "timeout"]).fillna(0).sum())
    assert answers["Summary"].startswith(
        f"{status['ok']} ok runs of {runs['case'].nunique()} cases and {runs['framework'].nunique()} frameworks "
        f"({status.get('unsupported', 0)} unsupported, {failed} failed)")
    assert answers["Missing, failed and unsupported"].startswith(f"{failed} runs failed; {status.get('unsupported', 0)} unsupported")

    parity = pd.read_csv(COMMITTED / "parity.csv")
    cases = [c for c in runs["case"].unique() if "[" not in c]
    all_pass = parity.assign(ok=parity["passed"].astype(str).eq("True")).groupby("case")["ok"].all()
    passed = int(all_pass.reindex(cases).fillna(False).sum())  # a case passes when all its checks do
    assert answers["Parity"].startswith(f"{passed} of {len(cases)} cases pass the parity gate")
    assert f"largest relative weight drift {parity['max_rel_weight_drift'].max():.3g}." in answers["Parity"]

    # fastest per epoch: the framework with the lowest median seconds_per_epoch, ok runs, primary mode
    ok = runs[runs["status"] == "ok"]
    fastest = {}
    for case in cases:
        mine = ok[ok["case"] == case]
        mode = "parity" if (mine["mode"] == "parity").any() else "native"
        med = mine[mine["mode"] == mode].groupby("framework")["seconds_per_epoch"].median().dropna()
        fastest[med.idxmin()] = fastest.get(med.idxmin(), 0) + 1
    for fw, won in fastest.items():
        assert f"{fw} in {won}" in answers["Results per case"], (fw, won, answers["Results per case"])

    assert len(answers) >= len(SECTIONS) - 3  # title and headline have none; grids, your networks: when run
    for title, text in answers.items():
        assert title == "Headline" or (text and len(text) <= MAX_ANSWER), (title, text)


def test_claims_answer_counts_the_marks_of_its_table(committed):
    res, answers = committed
    section = claims_blocks(res)
    table = next(b for b in section if getattr(b, "anchor", "") == "claims-table")
    marks = [row[3] for row in table.rows]
    counts = [int(n) for n in re.findall(r"(\d+) (?:reproduced|within|not)", answers["Tutorial claims"])]
    assert counts == [marks.count(m) for m in ("✓", "~", "✗", "—")]
    assert sum(counts) == len(table.rows) and len(table.rows) > 0


def test_answers_follow_the_tables(tmp_path):
    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    before = load_results(d)
    runs = pd.read_csv(d / "runs.csv")
    ok = runs.index[runs["status"] == "ok"][:2]
    runs.loc[ok, "status"] = "error"
    runs.to_csv(d / "runs.csv", index=False)
    after = load_results(d)
    assert _answer(missing_blocks(before)).startswith("0 runs failed")
    assert _answer(missing_blocks(after)).startswith("2 runs failed")
    n_ok = int(np.sum(runs["status"] == "ok"))
    assert _answer(summary_blocks(after)).startswith(f"{n_ok} ok runs") and "2 failed" in _answer(summary_blocks(after))

"""The headline: a table and at most three short sentences, from one generator, and its rules.

Rules held on the generated text, for the committed reference tables, the fixture and degenerate
tables: every sentence at most MAX_SENTENCE characters, no ratio below 1x (the faster side is the
subject), at most three significant digits in a ratio, and the numbers recomputed here from runs.csv.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench.report import headline
from scratchnet.bench.report.formatting import fmt_time
from scratchnet.bench.report.headline_text import (MAX_SENTENCE, NO_RESULT, TABLE_COLUMNS, headline_sentences,
                                                   headline_table, step_verdicts)
from scratchnet.bench.report.stats import ratio_ci
from scratchnet.bench.report.tables import load_results

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
COMMITTED = Path(__file__).resolve().parents[2] / "results"
RATIO = re.compile(r"(\d+(?:\.\d+)?)×")


def _check_rules(sentences: list[str]) -> None:
    assert len(sentences) <= 4  # three, and a failure count when there are failures
    for sentence in sentences:
        assert len(sentence) <= MAX_SENTENCE, (len(sentence), sentence)
        for value in RATIO.findall(sentence):
            assert float(value) >= 1, sentence
            digits = value.replace(".", "").lstrip("0") if "." in value else value.rstrip("0")
            assert len(digits) <= 3, sentence  # significant digits: 1170 has three


def _with(tmp_path: Path, name: str, change) -> Path:
    d = tmp_path / name
    shutil.copytree(FIXTURE, d)
    runs = pd.read_csv(d / "runs.csv")
    change(runs)
    runs.to_csv(d / "runs.csv", index=False)
    return d


@pytest.mark.parametrize("where", [FIXTURE, COMMITTED], ids=["fixture", "committed"])
def test_sentences_are_short_and_never_state_a_ratio_below_one(where):
    res = load_results(where)
    sentences = headline_sentences(res)
    assert sentences
    _check_rules(sentences)
    table = headline_table(res)
    assert tuple(table.columns) == TABLE_COLUMNS and table.iloc[0]["framework"] == "scratchnet"
    for cell in table["per step vs scratchnet"]:
        for value in RATIO.findall(cell):
            assert float(value) >= 1, cell


def test_the_faster_side_is_the_subject(tmp_path):
    """Keras' per-step cost made 10x scratchnet's, then a tenth of it: the subject swaps, the ratio stays >= 1."""
    def scale(factor):
        def change(runs):
            keras, sn = runs["framework"] == "keras", runs["framework"] == "scratchnet"
            for case in runs["case"].unique():
                at = (runs["case"] == case) & keras
                base = runs.loc[(runs["case"] == case) & sn, "seconds_per_step"].median()
                runs.loc[at, "seconds_per_step"] = base * factor
                runs.loc[at, "epoch_overhead_seconds"] = runs.loc[at, "seconds_per_step"]  # step-dominated
                runs.loc[at, "seconds_per_epoch"] = runs.loc[at, "steps_per_epoch"] * base * factor
        return change

    slow = headline_sentences(load_results(_with(tmp_path, "slow", scale(10.0))))
    fast = headline_sentences(load_results(_with(tmp_path, "fast", scale(0.1))))
    assert re.match(r"scratchnet is 1\d(\.\d)?× faster per step than keras in 1 of 1", slow[0]), slow[0]
    assert re.match(r"keras is \d+(\.\d+)?× faster per step than scratchnet in 1 of 1", fast[0]), fast[0]
    _check_rules(slow + fast)


def test_table_numbers_recomputed_from_the_fixture():
    res = load_results(FIXTURE)
    runs = pd.read_csv(FIXTURE / "runs.csv")
    ok = runs[(runs["status"] == "ok") & (runs["case"] == "housing_sgd") & (runs["mode"] == "parity")]
    med = lambda fw, col: ok[ok["framework"] == fw][col].median()  # noqa: E731
    table = headline_table(res).set_index("framework")
    step = med("keras", "seconds_per_step") / med("scratchnet", "seconds_per_step")
    word = "slower" if step > 1 else "faster"
    shown = step if step > 1 else 1 / step
    assert table.loc["keras", "per step vs scratchnet"] == f"{shown:.3g}× {word} (1 case)"  # the singular: one case
    assert table.loc["scratchnet", "fixed cost per epoch"] == fmt_time(med("scratchnet", "epoch_overhead_seconds"))
    assert table.loc["keras", "parity"].startswith("gate passed: ")


def test_degenerate_tables_say_so(tmp_path):
    only_scratchnet = _with(tmp_path, "alone", lambda runs: runs.drop(runs[runs["framework"] != "scratchnet"].index,
                                                                      inplace=True))
    assert headline(only_scratchnet) == NO_RESULT
    def nan_costs(runs):
        runs["seconds_per_step"] = np.nan
        runs["epoch_overhead_seconds"] = np.nan
    assert headline(_with(tmp_path, "nan", nan_costs)) == NO_RESULT
    def all_failed(runs):
        runs.loc[runs["framework"] == "sklearn", "status"] = "error"
    sentences = headline_sentences(load_results(_with(tmp_path, "failed", all_failed)))
    assert re.fullmatch(r"\d+ runs failed \(see .+\)\.", sentences[-1]), sentences
    _check_rules(sentences)


def test_one_generator_for_readme_terminal_and_report(tmp_path):
    from scratchnet.bench.report import build_report

    text = headline(FIXTURE)
    sentences = " ".join(headline_sentences(load_results(FIXTURE)))
    assert text.startswith("| framework |") and text.endswith(sentences)
    md = build_report(FIXTURE, tmp_path / "out").markdown.read_text(encoding="utf-8")
    section = md.split("## Headline")[1].split("\n## ")[0]
    assert sentences.replace("*", "\\*") in section or sentences in section


def test_step_verdicts_count_a_win_only_when_the_interval_is_above_one():
    rows = pd.DataFrame({"step_ratio": [1.5, 1.01, 0.8, 1.2, 0.9], "ci_low": [1.2, 0.9, 0.7, np.nan, 0.95],
                         "ci_high": [1.8, 1.1, 0.9, np.nan, 1.0]})
    # above 1x; spans 1x; below 1x; no interval (one seed a side): the point estimate; touching 1x: level
    assert step_verdicts(rows) == (2, 1, 2)
    assert ratio_ci  # the interval the verdicts read comes from report.stats

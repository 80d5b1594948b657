"""Shared convergence targets: the rule, censoring, the still-improving flag, and the same
epochs through the runner, the suite's tables, the asv summary and the report's cell.

Expected values are worked out by hand from the definitions in
``scratchnet.bench.measures.metrics`` (target = the largest of the frameworks' median final test
losses; converged = first epoch with loss <= target * 1.01).
"""
from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench.measures import metrics, targets
from scratchnet.bench import store
from scratchnet.bench.cases import CASES
from scratchnet.bench.running.runner import run_case
from scratchnet.bench.store.schema import EPOCH_COLUMNS, RUN_COLUMNS, TARGET_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
NAN = math.nan


def _tables(curves: dict[tuple[str, int], list[float]], *, case="synthetic", mode="parity",
            epochs_asked: dict | None = None, status: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """runs/epochs tables for ``{(framework, seed): test-loss curve}`` (epoch i takes i seconds)."""
    runs, epochs = [], []
    for (fw, seed), curve in curves.items():
        asked = (epochs_asked or {}).get((fw, seed), max(len(c) for c in curves.values()))
        run = {c: NAN for c in RUN_COLUMNS}
        run.update(case=case, framework=fw, mode=mode, seed=seed, epochs=asked, epochs_run=len(curve),
                   status=(status or {}).get((fw, seed), "ok"), test_loss=curve[-1])
        runs.append(run)
        for i, loss in enumerate(curve, start=1):
            row = {c: NAN for c in EPOCH_COLUMNS}
            row.update(case=case, framework=fw, mode=mode, seed=seed, epoch=i, test_loss=loss,
                       epoch_seconds=float(i))
            epochs.append(row)
    return pd.DataFrame(runs, columns=list(RUN_COLUMNS)), pd.DataFrame(epochs, columns=list(EPOCH_COLUMNS))


# One framework plateaus at 0.10, the other higher, at 0.20: the target is the higher median.
LOW = {("low", 1): [1.0, 0.5, 0.2, 0.1, 0.1, 0.1],
       ("low", 2): [1.0, 0.6, 0.3, 0.15, 0.1, 0.1],
       ("low", 3): [1.0, 0.9, 0.8, 0.5, 0.3, 0.1]}
HIGH = {("high", 1): [1.0, 0.6, 0.3, 0.21, 0.2, 0.2],
        ("high", 2): [1.0, 0.5, 0.25, 0.2, 0.2, 0.2],
        ("high", 3): [1.0, 0.9, 0.7, 0.5, 0.4, 0.3]}   # never gets to 0.202
CURVES = {**LOW, **HIGH}
# target = max(median(0.1, 0.1, 0.1), median(0.2, 0.2, 0.3)) = 0.2 -> threshold 0.202
EXPECTED_EPOCH = {("low", 1): 3, ("low", 2): 4, ("low", 3): 6,
                  ("high", 1): 5, ("high", 2): 4, ("high", 3): None}


# --------------------------------------------------------------------------- the rule


def test_shared_target_is_the_largest_framework_median():
    assert metrics.shared_target({"a": [0.1, 0.3, 0.2], "b": [0.5, 0.1, 0.1]}) == 0.2
    assert metrics.shared_target({"a": [0.1, 0.3], "b": [NAN]}) == pytest.approx(0.2)  # b skipped
    assert metrics.shared_target({"a": [NAN], "b": []}) is None
    assert metrics.shared_target({}) is None


def test_target_rule_on_synthetic_curves_with_one_framework_plateauing_higher():
    runs, epochs = _tables(CURVES)
    result = targets.evaluate(runs, epochs, declared={})
    assert list(result.targets.columns) == list(TARGET_COLUMNS)
    (row,) = result.targets.to_dict("records")
    assert row["target_loss"] == pytest.approx(0.2) and row["target_rule"] == "derived"
    assert row["budget_epochs"] == 6
    assert "high: median 0.2 of 3" in row["from_runs"] and "low: median 0.1 of 3" in row["from_runs"]
    got = {(fw, s): (None if math.isnan(e) else int(e)) for fw, s, e in
           zip(result.runs["framework"], result.runs["seed"], result.runs["convergence_epoch"])}
    assert got == EXPECTED_EPOCH
    # one target for every framework and seed, recorded with its rule
    assert result.runs["target_loss"].tolist() == [0.2] * 6
    assert set(result.runs["target_rule"]) == {"derived"}
    # seconds to target: epoch i took i seconds -> 1 + ... + epoch
    stt = dict(zip(zip(result.runs["framework"], result.runs["seed"]), result.runs["seconds_to_target"]))
    assert stt[("low", 1)] == 6.0 and stt[("high", 1)] == 15.0 and math.isnan(stt[("high", 3)])


def test_the_old_own_minimum_yardstick_is_gone():
    # Each run against its own minimum would call "high" converged at epochs 5, 4 and 6.
    runs, epochs = _tables(HIGH)
    result = targets.evaluate(runs, epochs, declared={})
    assert result.targets["target_loss"].iloc[0] == pytest.approx(0.2)
    assert result.runs["convergence_epoch"].tolist()[:2] == [5.0, 4.0]
    assert math.isnan(result.runs["convergence_epoch"].iloc[2])


def test_declared_target_wins_over_the_rule():
    runs, epochs = _tables(CURVES)
    result = targets.evaluate(runs, epochs, declared={"synthetic": 0.5})
    assert result.targets["target_rule"].iloc[0] == "declared"
    assert set(result.runs["target_loss"]) == {0.5}
    # threshold 0.505: low 1 at epoch 2, low 3 at epoch 4, high 3 at 4
    assert result.runs["convergence_epoch"].tolist() == [2, 3, 4, 3, 2, 4]


def test_registry_and_cases_table_declare_targets():
    declared = targets.declared_targets()
    assert declared["california-2-3-1"] == CASES["california-2-3-1"].target_loss
    assert "perceptron" not in declared
    table = pd.DataFrame({"case": ["perceptron", "california-2-3-1"], "target_loss": [0.05, NAN]})
    from_table = targets.declared_targets(table)
    assert from_table["perceptron"] == 0.05 and "california-2-3-1" not in from_table


def test_capped_failed_and_unsupported_runs_do_not_set_the_target():
    curves = {**LOW,
              ("capped", 1): [1.0, 0.9],        # asked 2 epochs of a 6-epoch budget: timing only
              ("capped", 2): [1.0, 0.95],
              ("broken", 1): [1.0, NAN],        # diverged
              ("none", 1): [5.0]}               # unsupported
    asked = {("capped", 1): 2, ("capped", 2): 2}
    status = {("broken", 1): "diverged", ("none", 1): "unsupported"}
    runs, epochs = _tables(curves, epochs_asked=asked, status=status)
    result = targets.evaluate(runs, epochs, declared={})
    assert result.targets["target_loss"].iloc[0] == pytest.approx(0.1)
    assert result.targets["from_runs"].iloc[0] == "low: median 0.1 of 3"
    # the capped runs are still measured against the shared target: censored
    capped = result.runs[result.runs["framework"] == "capped"]
    assert capped["convergence_epoch"].isna().all() and (capped["target_loss"] == 0.1).all()


def test_modes_get_their_own_targets_and_no_eligible_run_means_no_target():
    runs_p, epochs_p = _tables(LOW, mode="parity")
    runs_n, epochs_n = _tables(HIGH, mode="native", status={k: "error" for k in HIGH})
    result = targets.evaluate(pd.concat([runs_p, runs_n]), pd.concat([epochs_p, epochs_n]), declared={})
    by_mode = dict(zip(result.targets["mode"], result.targets["target_loss"]))
    assert by_mode["parity"] == pytest.approx(0.1) and math.isnan(by_mode["native"])
    native = result.runs[result.runs["mode"] == "native"]
    assert native["convergence_epoch"].isna().all() and (native["target_rule"] == "").all()


# --------------------------------------------------------------------------- censoring


def test_censored_median_counts_runs_that_never_converged():
    assert metrics.censored_median([3, 5, None]) == 5          # 2 of 3 converged: median exists
    assert metrics.censored_median([3, None, None]) is None    # median not reached
    assert metrics.censored_median([3, 5]) == 4
    assert metrics.censored_median([3, NAN]) is None           # even count, a middle value censored
    assert metrics.censored_median([2, 4, 6, None]) == 5
    assert metrics.censored_median([]) is None


def test_convergence_text_shows_censored_runs():
    assert targets.convergence_text([None, NAN, None], 200) == "> 200 epochs (0/3)"
    assert targets.convergence_text([3, None, None], 200) == "median not reached (1/3 by 200)"
    assert targets.convergence_text([3, 5, None], 200) == "5 (2/3)"
    assert targets.convergence_text([61, 61, 62, 60, 61], 100) == "61 (5/5)"
    assert targets.convergence_text([], 100) == "n/a"


def test_never_reached_is_empty_in_the_tables(tmp_path):
    runs, epochs = _tables(CURVES)
    store.write_table(runs, tmp_path / "runs.csv")
    store.write_table(epochs, tmp_path / "epochs.csv")
    targets.update_results(tmp_path)
    written = pd.read_csv(tmp_path / "runs.csv")
    censored = written[(written["framework"] == "high") & (written["seed"] == 3)].iloc[0]
    assert math.isnan(censored["convergence_epoch"]) and math.isnan(censored["seconds_to_target"])
    assert censored["target_loss"] == pytest.approx(0.2)
    saved = pd.read_csv(tmp_path / "targets.csv")
    assert list(saved.columns) == list(TARGET_COLUMNS) and saved["target_loss"].iloc[0] == pytest.approx(0.2)


def test_time_to_event_fraction():
    runs, epochs = _tables(CURVES)
    result = targets.evaluate(runs, epochs, declared={})
    tte = targets.converged_fraction(result.runs)
    high = tte[tte["framework"] == "high"].set_index("epoch")["fraction"]
    assert high.tolist() == [0, 0, 0, pytest.approx(1 / 3), pytest.approx(2 / 3), pytest.approx(2 / 3)]
    low = tte[tte["framework"] == "low"].set_index("epoch")["fraction"]
    assert low.tolist() == [0, 0, pytest.approx(1 / 3), pytest.approx(2 / 3), pytest.approx(2 / 3), 1.0]


# --------------------------------------------------------------------------- still improving


@pytest.mark.parametrize(("curve", "expected"), [
    (list(np.linspace(1.0, 0.5, 100)), True),                       # falling steadily to the end
    ([1.0] + [0.5] * 99, False),                                    # flat for most of the run
    ([1.0] + [0.5, 0.502, 0.499, 0.501] * 24 + [0.5, 0.498, 0.5], False),  # noisy plateau (<1 %)
    ([1.0] * 90 + [0.995] * 10, False),                             # 0.5 % better: not > 1 %
    ([1.0] * 90 + [0.989] * 10, True),                              # 1.1 % better
    ([1.0] * 89 + [0.989] * 11, False),                             # the gain came before the last 10 %
    ([0.7], False),                                                 # nothing before to compare with
    ([1.0, 0.5, NAN], False),                                       # no finite value in the tail
])
def test_still_improving_flag(curve, expected):
    assert metrics.still_improving(curve) is expected


# --------------------------------------------------------------------------- same epochs everywhere


def test_runner_suite_asv_and_report_cell_agree(tmp_path, monkeypatch):
    """Same curves -> same epochs: tables rewritten by the suite step, the asv summary that reads
    them, and the report's censored cell. Each is checked against EXPECTED_EPOCH (by hand)."""
    runs, epochs = _tables(CURVES, case="perceptron")  # a registered case: asv looks it up
    store.write_table(runs, tmp_path / "runs.csv")
    store.write_table(epochs, tmp_path / "epochs.csv")
    targets.update_results(tmp_path)            # what run_suite does after its last task
    written = pd.read_csv(tmp_path / "runs.csv")
    suite_epochs = {(fw, s): (None if math.isnan(e) else int(e))
                    for fw, s, e in zip(written["framework"], written["seed"], written["convergence_epoch"])}
    assert suite_epochs == EXPECTED_EPOCH

    monkeypatch.setenv("SCRATCHNET_BENCH_PROFILE", "fast")
    monkeypatch.setenv("SCRATCHNET_BENCH_PREIMPORT_TF", "0")
    monkeypatch.setenv("SCRATCHNET_RESULTS", str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT))
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        monkeypatch.delitem(sys.modules, name)
    common = importlib.import_module("benchmarks.common")
    import scratchnet.bench.running.suite as suite_module

    calls = []
    monkeypatch.setattr(suite_module, "run_suite", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(common, "FRAMEWORKS", ("low", "high"))
    summary = common.run_cases(["perceptron"])
    assert calls  # run_cases asked the suite for its runs, then read what the suite wrote
    # by hand: low epochs 3, 4, 6 -> median 4; high 5, 4, censored -> median 5
    assert summary[("perceptron", "low")]["convergence_epoch"] == 4
    assert summary[("perceptron", "high")]["convergence_epoch"] == 5
    assert summary[("perceptron", "high")]["seconds_to_target"] == 15.0   # 1+2+3+4+5
    track = common._TrackBase().track_convergence_epochs
    assert track(summary, "perceptron", "high") == 5

    # the report, which re-measures the runs from the curves when it loads them
    from scratchnet.bench.report.convergence import convergence_cell
    from scratchnet.bench.report.tables import load_results

    res = load_results(tmp_path)
    loaded = {(fw, int(s)): (None if math.isnan(e) else int(e))
              for fw, s, e in zip(res.runs["framework"], res.runs["seed"], res.runs["convergence_epoch"])}
    assert loaded == EXPECTED_EPOCH
    high = res.runs[res.runs["framework"] == "high"]
    low = res.runs[res.runs["framework"] == "low"]
    assert convergence_cell(high) == "5 (2/3)" and convergence_cell(low) == "4 (3/3)"
    # and a framework none of whose seeds got there reads "> N epochs"
    assert convergence_cell(high.assign(convergence_epoch=NAN)) == "> 6 epochs (0/3)"


def test_runner_alone_gives_the_suite_figure_for_a_single_run(tmp_path):
    """With one framework and one seed the shared rule reduces to the run's own final loss, so
    the runner's provisional figures equal what the suite step writes."""
    case = CASES["neuron3-sgd-tanh"]
    seed = case.seeds(1)[0]
    record = run_case(case, "scratchnet", seed, "parity", epochs=25)
    assert record.status == "ok", record.run["message"]
    store.write_table(pd.DataFrame([record.run], columns=list(RUN_COLUMNS)), tmp_path / "runs.csv")
    store.write_table(pd.DataFrame(record.epochs, columns=list(EPOCH_COLUMNS)), tmp_path / "epochs.csv")
    targets.update_results(tmp_path)
    written = pd.read_csv(tmp_path / "runs.csv").iloc[0]
    assert record.run["target_rule"] == "provisional" and written["target_rule"] == "derived"
    assert written["target_loss"] == pytest.approx(record.run["target_loss"], rel=1e-12)
    assert written["convergence_epoch"] == record.run["convergence_epoch"]
    assert written["seconds_to_target"] == pytest.approx(record.run["seconds_to_target"])
    assert bool(written["still_improving"]) == record.run["still_improving"]


def test_report_lists_still_improving_and_late_unflagged_cases(tmp_path):
    from scratchnet.bench.report.convergence import late_unflagged_cases, still_improving_cases
    from scratchnet.bench.report.tables import load_results

    falling = list(np.linspace(1.0, 0.5, 40))   # still improving at the end: flagged
    # target = median final = 1.0 -> threshold 1.01; 1.01005 stays above it until epoch 39 (of 40,
    # inside the last 5 %), yet the best of the last 4 epochs is only 0.995 % below the best before
    # them: converged late without the still-improving flag
    late = [1.01005] * 38 + [1.005, 1.0]
    runs_p, epochs_p = _tables({("a", 1): falling, ("a", 2): falling}, case="perceptron")
    runs_n, epochs_n = _tables({("b", 1): late, ("b", 2): late}, case="nobias-2-3-1")
    store.write_table(pd.concat([runs_p, runs_n]), tmp_path / "runs.csv")
    store.write_table(pd.concat([epochs_p, epochs_n]), tmp_path / "epochs.csv")
    res = load_results(tmp_path)
    assert not metrics.still_improving(late) and metrics.still_improving(falling)
    assert res.runs.loc[res.runs["case"] == "nobias-2-3-1", "convergence_epoch"].tolist() == [39, 39]
    assert still_improving_cases(res) == ["perceptron (parity): 2/2 runs"]
    assert late_unflagged_cases(res) == ["nobias-2-3-1 (parity): 2/2 runs"]


def test_capped_timing_runs_do_not_count_in_the_still_improving_list():
    from types import SimpleNamespace

    import pandas as pd

    from scratchnet.bench.report.convergence import still_improving_cases

    def runs(fw, still, cap, n):
        return [{"case": "c", "mode": "parity", "framework": fw, "seed": s, "status": "ok", "epochs": 100,
                 "epochs_run": cap or 100, "epoch_cap": cap if cap else float("nan"), "still_improving": still,
                 "convergence_epoch": 50.0} for s in range(n)]

    table = pd.DataFrame(runs("scratchnet", False, None, 3) + runs("keras-default", True, 3, 4))
    res = SimpleNamespace(runs=table, cases=pd.DataFrame({"case": ["c"]}))
    assert still_improving_cases(res) == []  # counting the 4 capped runs would make it 4/7
    table.loc[table["framework"] == "scratchnet", "still_improving"] = True
    assert still_improving_cases(res) == ["c (parity): 3/3 runs"]

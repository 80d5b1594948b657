"""Tests of the claims declarations (scratchnet.bench.cases.claims), their sensitivity variants and
the probe columns (scratchnet.bench.cases.probes, the runner's probe_prediction).

The verdict tests feed synthetic tables whose values straddle each side of the rule:
the claimed value inside / outside the seeds' range, within / beyond the tolerance.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench.cases import claims as cl
from scratchnet.bench.cases import CASES, PROBE_3
from scratchnet.bench.cases.grid import parse_name
from scratchnet.bench.cases.probes import parse_probes, probe_columns
from scratchnet.bench.running.runner import run_case
from scratchnet.bench.store.schema import EPOCH_COLUMNS, RUN_COLUMNS


def _tables(values: dict[tuple[str, str], list[float]], quantity: str, epoch: int = 5):
    """runs/epochs tables with one ok parity run per value (last epoch = ``epoch``)."""
    runs, epochs = [], []
    for (case, fw), vals in values.items():
        for seed, v in enumerate(vals):
            runs.append({"case": case, "framework": fw, "mode": "parity", "seed": seed, "status": "ok",
                         quantity: v})
            for e in range(1, epoch + 1):
                epochs.append({"case": case, "framework": fw, "mode": "parity", "seed": seed, "epoch": e,
                               quantity: v * (epoch / e)})
    return (pd.DataFrame(runs).reindex(columns=RUN_COLUMNS),
            pd.DataFrame(epochs).reindex(columns=EPOCH_COLUMNS))


CLAIM = cl.Claim(key="k", post="p", section="s", text="t", cases=("a",), quantity="probe_prediction",
                 claimed=0.95, tolerance=0.005)


@pytest.mark.parametrize("values, expected", [
    ([0.90, 0.96, 0.93], cl.REPRODUCED),       # inside [min, max]
    ([0.9451, 0.9452, 0.9453], cl.REPRODUCED),  # outside the range, 0.0048 from the median
    ([0.9440, 0.9445, 0.9446], cl.NOT_REPRODUCED),  # 0.0055 from the median
    ([0.951, 0.96, 0.97], cl.NOT_REPRODUCED),   # just above the range, beyond tolerance
    ([0.95], cl.REPRODUCED),                    # a single run equal to the claim
    ([], cl.NOT_MEASURED),
    ([math.nan], cl.NOT_MEASURED),
])
def test_verdict_rule_on_both_sides_of_the_boundary(values, expected):
    assert cl.verdict(CLAIM, 0.95, values) == expected


def test_relative_tolerance_and_reference_claim():
    same = cl.Claim(key="same", post="p", section="s", text="t", cases=("a",), quantity="test_mse",
                    reference_case="ref", reference_framework="keras", tolerance=0.05, relative=True)
    # reference median 0.1000; candidate medians 0.104 (within 5%) and 0.106 (beyond)
    for cand, expected in ((0.104, cl.REPRODUCED), (0.106, cl.NOT_REPRODUCED)):
        runs, epochs = _tables({("a", "scratchnet"): [cand, cand + 1e-4, cand - 1e-4],
                                ("ref", "keras"): [0.0999, 0.1, 0.1001]}, "test_mse")
        assert cl.claimed_value(runs, epochs, same) == pytest.approx(0.1)
        (m,) = cl.evaluate(runs, epochs, same, ["scratchnet", "keras"])
        assert (m.framework, m.verdict) == ("scratchnet", expected)
        assert cl.overall([m])[0] == expected


def test_claim_at_an_epoch_reads_the_epochs_table():
    at3 = cl.Claim(key="e", post="p", section="s", text="t", cases=("a",), quantity="test_mse",
                   claimed=0.5, epoch=3, tolerance=0.0)
    # epoch-3 value is v * 5/3: 0.3 -> 0.5 (reproduced), final values 0.3 would not be
    runs, epochs = _tables({("a", "scratchnet"): [0.3, 0.3]}, "test_mse")
    (m,) = cl.evaluate(runs, epochs, at3, ["scratchnet"])
    assert m.values == pytest.approx((0.5, 0.5)) and m.verdict == cl.REPRODUCED
    final = cl.Claim(**{**at3.__dict__, "epoch": None})
    assert cl.evaluate(runs, epochs, final, ["scratchnet"])[0].verdict == cl.NOT_REPRODUCED


def test_candidates_any_reproduces_and_failed_runs_ignored():
    multi = cl.Claim(key="m", post="p", section="s", text="t", cases=("tanh", "sigmoid"),
                     quantity="probe_prediction", claimed=0.94, tolerance=0.005)
    runs, epochs = _tables({("tanh", "scratchnet"): [0.80, 0.82], ("sigmoid", "scratchnet"): [0.93, 0.95],
                            ("tanh", "keras"): [0.80]}, "probe_prediction")
    bad = runs.iloc[[0]].assign(seed=9, status="diverged", probe_prediction=0.94)
    runs = pd.concat([runs, bad], ignore_index=True)
    ms = cl.evaluate(runs, epochs, multi, ["scratchnet", "keras"])
    assert {(m.case, m.framework): m.verdict for m in ms} == {
        ("tanh", "scratchnet"): cl.NOT_REPRODUCED, ("sigmoid", "scratchnet"): cl.REPRODUCED,
        ("tanh", "keras"): cl.NOT_REPRODUCED}
    assert next(m for m in ms if m.case == "tanh" and m.framework == "scratchnet").runs == 3
    assert cl.overall(ms) == (cl.REPRODUCED, ["sigmoid"])
    assert cl.overall(ms, "keras") == (cl.NOT_REPRODUCED, [])
    assert cl.overall([], "keras") == (cl.NOT_MEASURED, [])


def test_declarations_valid_and_cover_every_post():
    cl.check_declarations(cl.CLAIMS, CASES)
    posts = {c.post for c in cl.CLAIMS}
    assert posts == {cl.SINGLE_NEURON_POST, cl.CALIFORNIA_POST}
    assert len([c for c in cl.CLAIMS if c.post == cl.SINGLE_NEURON_POST]) == 5
    assert len([c for c in cl.CLAIMS if c.post == cl.CALIFORNIA_POST]) == 2
    for claim in cl.CLAIMS:
        assert claim.open_settings, f"{claim.key}: say what the post leaves open"
        for case in claim.cases:
            if claim.quantity == "probe_prediction":
                assert CASES[case].probe_rows[0] == (1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="unknown case"):
        cl.check_declarations([cl.Claim(**{**CLAIM.__dict__, "cases": ("nope",)})], CASES)
    with pytest.raises(ValueError, match="declared twice"):
        cl.check_declarations([CLAIM, CLAIM], ["a"])
    with pytest.raises(ValueError, match="exactly one"):
        cl.Claim(key="x", post="p", section="s", text="t", cases=("a",), quantity="test_mse")
    with pytest.raises(ValueError, match="quantity"):
        cl.Claim(key="x", post="p", section="s", text="t", cases=("a",), quantity="loss", claimed=1.0)


def test_sensitivity_variants_registered_and_tagged():
    for claim in cl.CLAIMS:
        for case in claim.cases:
            for params in cl.sensitivity_params(claim):
                found = [c for c in CASES.values() if parse_name(c.name) == (case, {k: str(v) for k, v in
                                                                                     params.items()})]
                assert len(found) == 1, (claim.key, case, params)
                assert cl.SENSITIVITY_TAG in found[0].tags and "claim" not in found[0].tags
                assert found[0].seeds(2) == CASES[case].seeds(2)


def test_legacy_claim_columns_come_from_the_declarations():
    cal = CASES["california-2-3-1"]
    assert (cal.claim_test_mse, cal.claim_epochs) == (0.028, 6)
    assert "0.028" in cal.claim and "the same as Keras" in cal.claim
    assert CASES["neuron3-sgd-linear"].claim == ""  # not a test-MSE claim


def test_probe_columns_format_and_parse():
    case = CASES["neuron3-sgd-linear"]
    cols = probe_columns(case, np.array([[0.25], [-0.5], [1e-3], [1.0]]))
    assert cols["probe_prediction"] == 0.25
    assert cols["probe_predictions"] == "1,0,0=0.25;0,0,0=-0.5;0,1,0=0.001;1,1,0=1.0"
    assert parse_probes(cols["probe_predictions"])[1] == ((0.0, 0.0, 0.0), -0.5)
    none = probe_columns(CASES["perceptron"], None)
    assert math.isnan(none["probe_prediction"]) and none["probe_predictions"] == ""
    with pytest.raises(ValueError, match="malformed probe"):
        parse_probes("1,0,0")


def test_run_records_probe_predictions_every_epoch():
    case = CASES["neuron3-sgd-linear"]
    rec = run_case(case, "scratchnet", case.seeds(1)[0], "parity", epochs=3)
    assert rec.status == "ok"
    per_epoch = [r["probe_prediction"] for r in rec.epochs]
    assert len(per_epoch) == 3 and len(set(per_epoch)) == 3  # training moves the prediction
    assert rec.run["probe_prediction"] == per_epoch[-1]
    probes = parse_probes(rec.run["probe_predictions"])
    assert [p[0] for p in probes] == list(PROBE_3)
    # the harness's probe prediction is the model's own prediction on that input
    from scratchnet.bench.cases import build_model
    model = build_model(case, case.seeds(1)[0], n_features=3)
    model.fit(np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], float), np.array([[0], [1], [1], [0]], float),
              batch_size=1, epochs=3, shuffle=False, verbose=0)
    assert probes[0][1] == pytest.approx(float(model.predict(np.array([[1.0, 0, 0]]))[0, 0]), abs=1e-12)
    no_probe = run_case(CASES["perceptron"], "scratchnet", 1, "parity", epochs=1)
    assert math.isnan(no_probe.run["probe_prediction"]) and no_probe.run["probe_predictions"] == ""


def test_capped_timing_runs_are_not_measurements_of_a_claim():
    import pandas as pd

    from scratchnet.bench.cases import claims as cl

    runs = pd.DataFrame({"case": ["c", "c"], "framework": ["keras-default", "scratchnet"],
                         "mode": ["parity", "parity"], "seed": [1, 1], "status": ["ok", "ok"],
                         "epochs": [100, 100], "epochs_run": [3, 100], "epoch_cap": [3, float("nan")],
                         "probe_prediction": [0.2, 0.9]})
    claim = next(c for c in cl.CLAIMS if c.quantity == "probe_prediction")
    assert cl.measure(runs, None, claim, "c", "keras-default", epoch=None) == ("parity", (), 1)
    assert cl.measure(runs, None, claim, "c", "scratchnet", epoch=None) == ("parity", (0.9,), 1)

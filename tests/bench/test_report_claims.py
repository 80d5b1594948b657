"""Tests of the report's tutorial-claims section (scratchnet.bench.report.claims).

Claims are declared here against the report fixture's cases (tests/bench/fixtures/report_run:
``housing_sgd`` and its published model ``housing_sgd_published``); expected numbers come from
the fixture's CSV files, computed independently with pandas. The claimed values are placed on
each side of the verdict boundary; the whole report is also built with the registry's
declarations (the fixture has none of their cases: the section is then absent).
"""
from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench import claims as cl
from scratchnet.bench.grid import variant_name
from scratchnet.bench.report import build_report
from scratchnet.bench.report.blocks import Image, Table
from scratchnet.bench.report.claims import FIGURE_NAME, claims_blocks, recorded_claims
from scratchnet.bench.report.render_markdown import render_markdown
from scratchnet.bench.report.tables import load_results

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
CASE, PUBLISHED = "housing_sgd", "housing_sgd_published"


def _values(directory: Path, case: str, fw: str, epoch: int | None = None) -> np.ndarray:
    """Ok runs' test MSE of one mode: parity when recorded, else native (the claims rule)."""
    runs = pd.read_csv(directory / "runs.csv")
    mine = runs[(runs["case"] == case) & (runs["framework"] == fw)]
    mode = "parity" if (mine["mode"] == "parity").any() else "native"
    ok = mine[(mine["mode"] == mode) & (mine["status"] == "ok")]
    if epoch is None:
        return ok["test_mse"].to_numpy(float)
    ep = pd.read_csv(directory / "epochs.csv")
    ep = ep[(ep["case"] == case) & (ep["framework"] == fw) & (ep["mode"] == mode) & (ep["epoch"] == epoch)
            & ep["seed"].isin(ok["seed"])]
    return ep["test_mse"].to_numpy(float)


def _claim(**kw) -> cl.Claim:
    base = dict(key="fixture-mse", post="fixture post", section="the network", text="test MSE about 0.30",
                cases=(CASE,), quantity="test_mse", claimed=0.3, epoch=10, tolerance=0.05, relative=True,
                open_settings=(cl.OpenSetting("epochs", "10", "the post says so"),))
    base.update(kw)
    return cl.Claim(**base)


def _md(blocks) -> str:
    """Rendered markdown with its backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", render_markdown(blocks))


def _summary_rows(blocks) -> list[tuple[str, ...]]:
    return list(next(b for b in blocks if isinstance(b, Table)).rows)


def test_claimed_value_on_both_sides_of_the_boundary():
    res = load_results(FIXTURE)
    vals = _values(FIXTURE, CASE, "scratchnet", 10)
    med = float(np.median(vals))
    inside = _claim(claimed=med * 1.049)   # within 5% of the median
    outside = _claim(key="far", claimed=max(vals.max(), med * 1.051) * 1.001)  # beyond 5% and the range
    (row_in,), (row_out,) = (_summary_rows(claims_blocks(res, [c])) for c in (inside, outside))
    assert row_in[:2] == ("fixture-mse", CASE)
    assert row_in[4].startswith(f"{med:.4g} [") and "→ reproduced (within ±5% of the median)" in row_in[4]
    assert f"range {vals.min():.4g}–{vals.max():.4g}, n={vals.size}/{vals.size} parity" in row_in[4]
    assert "→ not reproduced (outside the seeds' range" in row_out[4]
    md = _md(claims_blocks(res, [outside]))
    assert f"**far:** not reproduced — claimed {outside.claimed:.10g}" in md
    assert f"measured median {CASE} {med:.4g} (scratchnet)" in md


def test_every_framework_gets_a_column_and_a_verdict():
    res = load_results(FIXTURE)
    blocks = claims_blocks(res, [_claim()])
    table = next(b for b in blocks if isinstance(b, Table))
    fws = [h.split(":")[0] for h in table.headers[4:]]
    assert fws == ["scratchnet", "keras", "keras-default", "sklearn"]
    for fw, cell in zip(fws, table.rows[0][4:]):
        vals = _values(FIXTURE, CASE, fw, 10)
        if vals.size:
            assert cell.startswith(f"{np.median(vals):.4g}"), (fw, cell)
            assert re.search(r"→ (not )?reproduced", cell)
        else:
            assert "not run" in cell or "no ok run" in cell, (fw, cell)


def test_reference_claim_takes_the_reference_models_median():
    res = load_results(FIXTURE)
    ref = float(np.median(_values(FIXTURE, PUBLISHED, "keras")))
    same = _claim(key="same", claimed=None, epoch=None, reference_case=PUBLISHED, reference_framework="keras")
    (row,) = _summary_rows(claims_blocks(res, [same]))
    assert row[3].startswith(f"{ref:.4g} = median of {PUBLISHED} (keras)")
    mine = _values(FIXTURE, CASE, "scratchnet")
    expected = cl.REPRODUCED if abs(ref - np.median(mine)) <= 0.05 * np.median(mine) or \
        mine.min() <= ref <= mine.max() else cl.NOT_REPRODUCED
    assert f"→ {expected} (" in row[4]


def test_open_settings_and_sensitivity_variants(tmp_path):
    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    claim = _claim(sensitivity=(("learning_rate", (0.1,)),))
    name = variant_name(CASE, {"learning_rate": 0.1})
    for table in ("runs.csv", "epochs.csv"):
        df = pd.read_csv(d / table)
        extra = df[(df["case"] == CASE) & (df["framework"] == "scratchnet")].copy()
        extra["case"] = name
        extra["test_mse"] = 0.3  # the variant lands exactly on the claim
        pd.concat([df, extra]).to_csv(d / table, index=False)
    blocks = claims_blocks(load_results(d), [claim])
    md = _md(blocks)
    assert "| fixture-mse | epochs | 10 | the post says so |" in md
    assert f"| fixture-mse | {CASE} | learning_rate=0.1 | 0.3 | 5/5 | reproduced; within ±5% of the median |" in md
    images = [b for b in blocks if isinstance(b, Image)]
    assert [i.name for i in images] == [FIGURE_NAME] and images[0].png.startswith(b"\x89PNG")


def test_claims_recorded_only_in_cases_csv_are_rendered(tmp_path):
    res = load_results(FIXTURE)
    assert claims_blocks(res, [_claim(cases=("nope",))]) == []  # none of its cases run: no section
    meta = pd.read_csv(FIXTURE / "cases.csv").set_index("case").loc[CASE]
    (legacy,) = recorded_claims(res)  # the registry's claims name cases the fixture lacks
    assert (legacy.cases, legacy.claimed, legacy.epoch, legacy.text) == (
        (CASE,), meta["claim_test_mse"], int(meta["claim_epochs"]), meta["claim"])
    vals = _values(FIXTURE, CASE, "scratchnet", int(meta["claim_epochs"]))
    expected = cl.verdict(legacy, meta["claim_test_mse"], vals)
    paths = build_report(FIXTURE, tmp_path)
    md = re.sub(r"\\(.)", r"\1", paths.markdown.read_text(encoding="utf-8"))
    assert "## Tutorial claims" in md
    assert f"**{CASE} (cases.csv):** {expected} — claimed {meta['claim_test_mse']:.10g}" in md


def test_declared_claims_render_on_their_cases(tmp_path):
    """The registry's seven claims against synthetic rows of their own cases."""
    runs, epochs = [], []
    for claim in cl.CLAIMS:
        for case in (*claim.cases, claim.reference_case):
            if not case:
                continue
            for seed in range(3):
                value = 0.95 + 0.01 * seed if claim.quantity == "probe_prediction" else 0.028 + 0.001 * seed
                runs.append({"case": case, "framework": "scratchnet", "mode": "parity", "seed": seed,
                             "status": "ok", claim.quantity: value, "probe_predictions":
                             f"1,0,0={value!r};0,0,0=0.0;0,1,0=0.0;1,1,0=1.0"})
                epochs += [{"case": case, "framework": "scratchnet", "mode": "parity", "seed": seed, "epoch": e,
                            claim.quantity: value} for e in (1, 6)]
    pd.DataFrame(runs).drop_duplicates(["case", "seed"]).to_csv(tmp_path / "runs.csv", index=False)
    pd.DataFrame(epochs).drop_duplicates(["case", "seed", "epoch"]).to_csv(tmp_path / "epochs.csv", index=False)
    blocks = claims_blocks(load_results(tmp_path))
    md = _md(blocks)
    for claim in cl.CLAIMS:
        assert f"**{claim.key}:**" in md
    # 0.9394 lies below 0.95..0.97 and 0.05 away: not reproduced; 0.9514 lies inside the range
    assert "**neuron-activation-mini-batch:** not reproduced" in md
    assert "**neuron-arbitrary-depth:** reproduced" in md
    assert "| neuron3-sgd-linear | scratchnet | 3 | 0.9600 | 0.0000 | 0.0000 | 1.0000 |" in md

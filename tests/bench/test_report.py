"""Tests of scratchnet.bench.report against the recorded fixture in fixtures/report_run.

Every expected value is recomputed here from the fixture tables (pandas, numpy,
scipy) and formatted by this module's own formatters, which follow the report's
documented number format: MSE 4 significant digits, p-values 3, times with a
µs/ms/s unit, memory in MiB. The fixture is written by
fixtures/make_report_fixture.py; partial variants are derived from it in tmp_path.
"""
from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scratchnet.bench.measures.metrics import CONVERGENCE_DEFINITION
from scratchnet.bench.report import ReportPaths, build_report

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
CLAIM_CASE = "housing_sgd"
PUBLISHED_CASE = "housing_sgd_published"
DIVERGED_MSG = "loss became NaN at epoch 4"
ERROR_MSG = "ResourceExhaustedError: out of memory while allocating fixture tensor"
VOID_TAGS = {"meta", "img", "br", "hr", "link", "input"}


# --------------------------------------------------------------------------- formatting


def mse4(x: float) -> str:
    return f"{x:.4g}"


def p3(x: float) -> str:
    return f"{x:.3g}"


def _digits(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{_digits(seconds)} s"
    if seconds >= 1e-3:
        return f"{_digits(seconds * 1e3)} ms"
    return f"{_digits(seconds * 1e6)} µs"


# --------------------------------------------------------------------------- markdown parsing


def _unescape(cell: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell.strip())


def sections(markdown: str) -> dict[str, str]:
    """Heading text (level 2 and 3, unescaped) -> the text up to the next heading."""
    parts = re.split(r"^(#{2,3} .*)$", markdown, flags=re.M)
    return {_unescape(parts[i].lstrip("#")): parts[i + 1] for i in range(1, len(parts), 2)}


def table_rows(section: str) -> list[dict[str, str]]:
    """Rows of the first pipe table in ``section`` as header -> unescaped cell."""
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    if len(lines) < 2:
        return []
    split = lambda ln: [_unescape(c) for c in re.split(r"(?<!\\)\|", ln)[1:-1]]  # noqa: E731
    headers = split(lines[0])
    return [dict(zip(headers, split(ln))) for ln in lines[2:]]


def find_row(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, f"expected one row matching {match}, got {found}"
    return found[0]


# --------------------------------------------------------------------------- fixtures


def load_runs(directory: Path = FIXTURE) -> pd.DataFrame:
    return pd.read_csv(directory / "runs.csv", dtype={"status": str, "message": str})


def ok_values(runs: pd.DataFrame, column: str, **match: str) -> np.ndarray:
    mask = runs["status"] == "ok"
    for key, value in match.items():
        mask &= runs[key] == value
    values = runs.loc[mask, column].to_numpy(dtype=float)
    return values[np.isfinite(values)]


DETAIL_LINK = re.compile(r"Full table \((\d+) rows, (\d+) columns\): \[tables/([\w.-]+)\]\(tables/[\w.-]+\)")


def inline_detail_tables(markdown: str, out: Path) -> str:
    """The markdown with each detail-table link replaced by its CSV as the pipe table it summarises
    (checking the CSV is there, with the rows and columns the link states)."""
    from scratchnet.bench.report.blocks import Table
    from scratchnet.bench.report.render import markdown_table

    def table(match: re.Match) -> str:
        frame = pd.read_csv(out / "tables" / match.group(3), dtype=str, keep_default_na=False)
        assert frame.shape == (int(match.group(1)), int(match.group(2))), match.group(0)
        return markdown_table(Table(tuple(frame.columns), tuple(map(tuple, frame.to_numpy()))))

    return DETAIL_LINK.sub(table, markdown)


def render(directory: Path, out: Path) -> tuple[ReportPaths, str]:
    paths = build_report(directory, out)
    return paths, inline_detail_tables(paths.markdown.read_text(encoding="utf-8"), out)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[ReportPaths, dict[str, str]]:
    paths, md = render(FIXTURE, tmp_path_factory.mktemp("full"))
    return paths, sections(md)


def copy_fixture(tmp_path: Path, name: str = "run") -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURE, target)
    return target


def write_runs_epochs(directory: Path, runs: pd.DataFrame, epochs: pd.DataFrame) -> None:
    runs.to_csv(directory / "runs.csv", index=False)
    epochs.to_csv(directory / "epochs.csv", index=False)


def make_partial(tmp_path: Path) -> Path:
    """Keras missing for the published case, one diverged and one error run, no parity.csv."""
    d = copy_fixture(tmp_path, "partial")
    runs, epochs = load_runs(d), pd.read_csv(d / "epochs.csv")
    gone = lambda df: (df["case"] == PUBLISHED_CASE) & (df["framework"] == "keras")  # noqa: E731
    runs, epochs = runs[~gone(runs)].copy(), epochs[~gone(epochs)].copy()
    numeric = ["test_mse", "train_mse", "test_loss", "train_loss", "convergence_epoch",
               "seconds_to_target"]
    for fw, seed, status, msg in (("scratchnet", 2, "diverged", DIVERGED_MSG),
                                  ("keras", 3, "error", ERROR_MSG)):
        hit = ((runs["case"] == CLAIM_CASE) & (runs["framework"] == fw)
               & (runs["mode"] == "native") & (runs["seed"] == seed))
        runs.loc[hit, ["status", "message"]] = [status, msg]
        runs.loc[hit, numeric] = np.nan
    write_runs_epochs(d, runs, epochs)
    (d / "parity.csv").unlink()
    return d


# --------------------------------------------------------------------------- full fixture


def test_summary_medians_match_pandas(full):
    _, secs = full
    rows = table_rows(secs["Summary"])
    runs = load_runs()
    groups = runs.groupby(["case", "mode", "framework"])
    assert len(rows) == groups.ngroups
    for (case, mode, fw), g in groups:
        row = find_row(rows, Case=case, Mode=mode, Framework=fw)
        ok = g[g["status"] == "ok"]
        med = ok.median(numeric_only=True)
        assert row["Runs ok"] == f"{len(ok)}/{len(g)}"
        if ok.empty:  # e.g. unsupported: counted, never a gap
            assert row["Status"] == f"{len(g)} {g['status'].iloc[0]}"
            assert row["Test MSE median [95% CI]"] == "n/a"
            continue
        if (ok["epochs_run"] < ok["epochs"]).all():  # a capped timing contender: no comparable MSE
            assert row["Test MSE median [95% CI]"] == row["Train MSE median"] == "timing only"
        else:
            assert row["Test MSE median [95% CI]"].startswith(mse4(med["test_mse"]) + " [")
            assert row["Train MSE median"] == mse4(med["train_mse"])
        assert row["Fixed cost per epoch"] == fmt_time(med["epoch_overhead_seconds"])
        assert row["Time per epoch"] == fmt_time(med["seconds_per_epoch"])
        step = med["seconds_per_step"]  # a negative fitted cost reads as below the noise, never as a time
        assert row["Time per step"] == ("≈0" if step < 0 else fmt_time(step))
        assert row["First epoch"] == fmt_time(med["first_epoch_seconds"])
        size = med["peak_memory_mb"] * 2**20  # B, KiB or MiB, whichever reads best
        unit, scale = next(((u, k) for u, k in (("MiB", 2**20), ("KiB", 2**10)) if size >= k), ("B", 1))
        assert row["Peak memory"] == (f"{_digits(size / scale)} {unit}" if scale > 1 else f"{size:.0f} B")
        assert row["Status"] == "ok"


def _hand_convergence(directory: Path = FIXTURE) -> pd.DataFrame:
    """Convergence epoch and seconds to target of every run, by hand from the curves: one target
    per case and mode -- cases.csv's target_loss, else the largest of the frameworks' median
    final test losses over ok runs -- reached at the first epoch with loss <= target * 1.01."""
    runs, epochs = load_runs(directory), pd.read_csv(directory / "epochs.csv")
    declared = pd.read_csv(directory / "cases.csv").set_index("case")["target_loss"]
    out = runs.copy()
    for (case, mode), g in runs.groupby(["case", "mode"]):
        target = declared.get(case, np.nan)
        if not np.isfinite(target):
            ok = g[g["status"] == "ok"]
            target = max(ok.groupby("framework")["test_loss"].median())
        for i, run in g.iterrows():
            curve = epochs[(epochs["case"] == case) & (epochs["mode"] == mode)
                           & (epochs["framework"] == run["framework"]) & (epochs["seed"] == run["seed"])]
            curve = curve.sort_values("epoch")
            hit = np.flatnonzero(curve["test_loss"].to_numpy() <= target * 1.01)
            out.loc[i, "convergence_epoch"] = hit[0] + 1 if hit.size else np.nan
            out.loc[i, "seconds_to_target"] = (curve["epoch_seconds"].to_numpy()[:hit[0] + 1].sum()
                                               if hit.size else np.nan)
    return out


def _censored_median(values: pd.Series) -> float:
    """Median over all runs, a run that never converged counting as +inf (nan when it wins)."""
    med = float(np.median(values.fillna(np.inf).to_numpy(dtype=float)))
    return med if np.isfinite(med) else np.nan


def test_convergence_and_time_to_target(full):
    _, secs = full
    rows = table_rows(secs["Summary"])
    hand = _hand_convergence()
    for (case, mode, fw), g in hand.groupby(["case", "mode", "framework"]):
        row = find_row(rows, Case=case, Mode=mode, Framework=fw)
        ok = g[g["status"] == "ok"]
        if ok.empty:
            assert row["Epochs to target (converged/ok)"] == row["Time to target"] == "n/a"
            continue
        k, n, med = int(ok["convergence_epoch"].notna().sum()), len(ok), _censored_median(ok["convergence_epoch"])
        if (ok["epochs_run"] < ok["epochs"]).all():
            expected = f"timing only ({ok['epochs_run'].max()} of {ok['epochs'].max()} epochs)"
            assert row["Epochs to target (converged/ok)"] == expected
            continue
        if k == 0:
            expected = f"> {ok['epochs'].max():g} epochs (0/{n})"
        elif np.isnan(med):
            expected = f"median not reached ({k}/{n} by {ok['epochs'].max():g})"
        else:
            expected = f"{med:g} ({k}/{n})"
        assert row["Epochs to target (converged/ok)"] == expected
        sec = _censored_median(ok["seconds_to_target"])
        assert row["Time to target"] == (fmt_time(sec) if np.isfinite(sec) else "not reached by half")


def test_convergence_section_names_targets_and_censors(full):
    _, secs = full
    targets_rows = table_rows(secs["Targets"])
    hand = _hand_convergence()
    declared = find_row(targets_rows, Case=CLAIM_CASE, Mode="parity")
    assert declared["Target loss"] == "0.32" and declared["How it was set"] == "declared by the case"
    derived = find_row(targets_rows, Case=PUBLISHED_CASE, Mode="native")
    assert derived["How it was set"].startswith("derived: largest framework median final test loss")
    ok = hand[(hand["case"] == PUBLISHED_CASE) & (hand["status"] == "ok")]
    assert derived["Target loss"] == mse4(max(ok.groupby("framework")["test_loss"].median()))
    assert "the Summary table" in secs["Targets"]  # epochs and time to target per group: Summary's columns


def test_ci_brackets_median_and_stays_in_data_range(full):
    _, secs = full
    runs = load_runs()
    for row in table_rows(secs["Summary"]):
        if row["Runs ok"].startswith("0/") or row["Test MSE median [95% CI]"] == "timing only":
            continue
        m = re.fullmatch(r"(\S+) \[(\S+), (\S+)\]", row["Test MSE median [95% CI]"])
        assert m, row
        med, lo, hi = map(float, m.groups())
        values = ok_values(runs, "test_mse", case=row["Case"], mode=row["Mode"],
                           framework=row["Framework"])
        assert lo <= med <= hi and lo < hi
        # a percentile bootstrap of the median cannot leave the observed range
        assert values.min() - 1e-4 <= lo and hi <= values.max() + 1e-4


def _compared_pairs(runs: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(case, mode, framework) that the report compares with scratchnet."""
    keys = runs.loc[runs["framework"] != "scratchnet", ["case", "mode", "framework"]]
    return [tuple(k) for k in keys.drop_duplicates().itertuples(index=False)]


def _tested(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Summary rows with a test of the test MSE against scratchnet's."""
    return [r for r in rows if r["Test MSE vs scratchnet"] not in ("—", "not tested: the same maths (parity twin)")]


def test_significance_only_where_runs_differ_and_matches_scipy(full):
    _, secs = full
    every = table_rows(secs["Summary"])
    rows = _tested(every)
    runs = load_runs()
    def full_length_ok(c, m, fw):  # unsupported and capped timing-only runs have no MSE to test
        g = runs[(runs["case"] == c) & (runs["mode"] == m) & (runs["framework"] == fw) & (runs["status"] == "ok")]
        return len(g) > 0 and not (g["epochs_run"] < g["epochs"]).all()

    pairs = [(c, m, fw) for c, m, fw in _compared_pairs(runs)
             if not (m == "parity" and fw in ("keras", "keras-default")) and full_length_ok(c, m, fw)]
    assert {(r["Case"], r["Mode"], r["Framework"]) for r in rows} == set(pairs)
    twins = [r for r in every if r["Mode"] == "parity" and r["Framework"] in ("keras", "keras-default")]
    assert twins and all(r["Test MSE vs scratchnet"] == "not tested: the same maths (parity twin)" for r in twins)
    for case, mode, fw in pairs:
        a = ok_values(runs, "test_mse", case=case, mode=mode, framework="scratchnet")
        b = ok_values(runs, "test_mse", case=case, mode=mode, framework=fw)
        row = [r for r in rows if r["Case"] == case and r["Mode"] == mode and r["Framework"] == fw]
        assert len(row) == 1
        if len(a) < 3 or len(b) < 3:
            assert row[0]["Test MSE vs scratchnet"] == "too few runs"
            continue
        p = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue
        welch = stats.ttest_ind(a, b, equal_var=False).pvalue
        word = "significant at 5%" if p < 0.05 else "no significant difference"
        assert row[0]["Mann-Whitney U p"] == p3(p)
        assert row[0]["Welch t p"] == p3(welch)
        assert row[0]["Test MSE vs scratchnet"] == f"{word} (p={p3(p)})"


def test_speed_ratio_parity_and_comparability(full):
    _, secs = full
    rows = table_rows(secs["Summary"])
    runs = load_runs()
    cases = pd.read_csv(FIXTURE / "cases.csv")
    parity = pd.read_csv(FIXTURE / "parity.csv")
    for case, mode, fw in _compared_pairs(runs):
        row = find_row(rows, Case=case, Mode=mode, Framework=fw)
        other = ok_values(runs, "seconds_per_epoch", case=case, mode=mode, framework=fw)
        sn = ok_values(runs, "seconds_per_epoch", case=case, mode=mode, framework="scratchnet")
        if other.size == 0:
            status = runs.loc[(runs["case"] == case) & (runs["mode"] == mode) & (runs["framework"] == fw), "status"]
            assert row["Status"] == f"{len(status)} {status.iloc[0]}" and row["Time per epoch"] == "n/a"
            assert row["Time per epoch ÷ scratchnet [95% CI]"] == "n/a n/a"
            continue
        ratio = np.median(other) / np.median(sn)
        fmt = lambda r: f"{r:.0f}×" if r >= 100 else f"{r:.3g}×"  # noqa: E731
        cell, interval = row["Time per epoch ÷ scratchnet [95% CI]"].split(" ", 1)
        assert cell == fmt(ratio)
        lo, hi = map(float, re.findall(r"[\d.]+", interval))
        assert lo <= float(f"{ratio:.3g}") <= hi
        # the cost model's two parts: medians over ok seeds, and the per-step ratio
        step = {f: ok_values(runs, "seconds_per_step", case=case, mode=mode, framework=f) for f in (fw, "scratchnet")}
        assert row["Time per step"] == fmt_time(np.median(step[fw]))
        assert row["Time per step ÷ scratchnet"] == fmt(np.median(step[fw]) / np.median(step["scratchnet"]))
        checked = parity[parity["case"] == case]
        equivalent = bool(cases.loc[cases["case"] == case, "equivalent"].iloc[0])
        state, comparison = row["Parity: comparison"].rsplit(": ", 1)
        if checked.empty:
            assert state == "not checked"
        else:
            assert state.startswith("pass" if checked["passed"].all() else "fail")
            assert p3(checked["grad_error"].max()) in state
        if not equivalent:
            assert comparison == "not equivalent by design"
        elif not checked.empty and checked["passed"].all():
            assert comparison == "comparable"


def test_parity_table_matches_parity_csv(full):
    _, secs = full
    rows = table_rows(secs["Parity"])
    parity = pd.read_csv(FIXTURE / "parity.csv")
    assert len(rows) == len(parity)
    for _, p in parity.iterrows():
        row = find_row(rows, Case=p["case"], dtype=p["dtype"])
        assert row["Gradient error"] == p3(p["grad_error"])
        assert row["Max abs weight drift"] == p3(p["max_abs_weight_drift"])
        assert row["Max loss diff"] == p3(p["max_loss_diff"])
        assert row["Result"] == ("pass" if p["passed"] else "fail")
        assert row["Worst layer"] == p["worst_layer"]


# The tutorial-claims section is tested in test_report_claims.py (declarations in bench/claims.py).


def test_header_reports_environment_and_definitions(full):
    paths, _ = full
    md = paths.markdown.read_text(encoding="utf-8")
    text = _unescape(md.split("## Environment")[1].split("\n## ")[0])
    env = json.loads((FIXTURE / "environment.json").read_text())
    runs = load_runs()
    per_group = runs.groupby(["case", "framework", "mode"])["seed"].nunique()
    assert per_group.min() == per_group.max()
    assert f"**Git commit:** {env['git_commit']}" in text
    assert f"{env['machine']['cpu']}, {env['machine']['cores']} cores" in text
    seeds_text = (f"{per_group.max()} seeds per case, framework and mode "
                  f"(profile setting: {env['seeds']})")
    assert seeds_text in text
    newest = pd.to_datetime(runs["started_at"], utc=True).max().isoformat()
    assert f"**Results recorded at:** {newest} (newest run start)" in text
    lede = _unescape(md.split("## Headline")[0])
    assert f"Recorded {newest} · commit {env['git_commit'][:12]} · profile {env['profile']}" in lede
    assert f"**Profile:** {env['profile']}" in text
    steps = env["keras_steps_per_execution"]
    assert f"**Keras steps_per_execution:** {steps} (environment)" in text
    assert all(f"{k} {v}" in text for k, v in env["versions"].items())
    definitions = _unescape(md.split("## Definitions")[1].split("## ")[0])
    assert CONVERGENCE_DEFINITION in definitions
    assert "Keras' first epoch (graph tracing) is reported separately" in definitions
    assert "evaluation between epochs is not counted" in definitions


# --------------------------------------------------------------------------- html and figures


class _Checker(HTMLParser):
    """Records <img> sources and fails on end tags that do not close the open element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        elif tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def check_html(paths: ReportPaths) -> list[np.ndarray]:
    text = paths.html.read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []
    assert {"title", "meta", "style"} <= checker.tags
    assert '<meta charset="utf-8">' in text and "<link" not in text
    files = sorted((paths.markdown.parent / "figures").glob("*.png"))
    assert len(checker.images) == len(files) == len(paths.figures)
    decoded = []
    for src in checker.images:  # linked beside the page, as the markdown links them
        assert src.startswith("figures/") and (paths.html.parent / src).is_file()
        image = mpimg.imread(paths.html.parent / src, format="png")
        assert image.shape[0] > 0 and image.shape[1] > 0
        decoded.append(image)
    return decoded


def test_html_links_one_image_per_figure(full):
    paths, _ = full
    images = check_html(paths)
    runs = load_runs()
    # summary ratios, cost model, claims sensitivity (the fixture's cases.csv claim), one loss grid
    # (6 cases a figure), time to event
    assert len(images) == 1 + 1 + 1 + -(-runs["case"].nunique() // 6) + 1


def test_figures_are_small_pngs(full):
    paths, _ = full
    names = [p.name for p in paths.figures]
    assert names == ["summary_speed.png", "cost_model.png", "claims_sensitivity.png", "loss_curves_1.png",
                     "convergence_fraction.png"]
    for path in paths.figures:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 200_000


# --------------------------------------------------------------------------- partial results


def test_header_counts_unsupported_apart_from_failures(full):
    _, secs = full
    runs = load_runs()
    status = runs["status"].value_counts()
    assert "error" not in status and "diverged" not in status  # the fixture has no failure
    text = _unescape(full[0].markdown.read_text(encoding="utf-8").split("\n\n")[1])
    assert (f"{len(runs)} runs: {int(status['ok'])} ok, {int(status['unsupported'])} unsupported (sklearn cannot "
            "express the case: reasons in Missing, failed and unsupported), 0 failed") in text
    unsupported = table_rows(secs["Missing, failed and unsupported"].split("Unsupported by design")[1])
    assert sum(int(r["Runs"]) for r in unsupported) == int(status["unsupported"])


def test_partial_results_render_with_markers(tmp_path):
    d = make_partial(tmp_path)
    paths, md = render(d, tmp_path / "out")
    secs = sections(md)
    summary = table_rows(secs["Summary"])
    missing = find_row(summary, Case=PUBLISHED_CASE, Mode="native", Framework="keras")
    assert missing["Runs ok"] == "not run" and missing["Status"] == "not run"
    diverged = find_row(summary, Case=CLAIM_CASE, Mode="native", Framework="scratchnet")
    errored = find_row(summary, Case=CLAIM_CASE, Mode="native", Framework="keras")
    assert (diverged["Status"], errored["Status"]) == ("1 diverged", "1 error")
    runs = load_runs(d)
    values = ok_values(runs, "test_mse", case=CLAIM_CASE, mode="native", framework="scratchnet")
    assert diverged["Runs ok"] == "4/5" and values.size == 4
    assert diverged["Test MSE median [95% CI]"].startswith(mse4(np.median(values)))
    failed = table_rows(secs["Missing, failed and unsupported"])
    assert find_row(failed, Status="error")["Message"] == ERROR_MSG
    assert find_row(failed, Status="diverged")["Message"] == DIVERGED_MSG
    assert f"{PUBLISHED_CASE} / keras / native: not run" in _unescape(secs["Missing, failed and unsupported"])
    assert "parity.csv: missing" in secs["Missing, failed and unsupported"]
    assert "No parity check recorded" in secs["Parity"]
    speed = find_row(summary, Case=CLAIM_CASE, Mode="native", Framework="keras")
    assert speed["Parity: comparison"] == "not checked: not comparable (parity not checked)"
    # the header counts runs by kind: unsupported by design apart from real failures, named
    status = runs["status"].value_counts()
    failed = {s: int(status.get(s, 0)) for s in ("error", "diverged", "timeout") if status.get(s, 0)}
    lede = _unescape(md.split("\n\n")[1])
    who = " and ".join(sorted(set(runs.loc[runs["status"] == "unsupported", "framework"])))
    assert (f"{len(runs)} runs: {int(status['ok'])} ok, {int(status['unsupported'])} unsupported ({who} cannot "
            f"express the case: reasons in Missing, failed and unsupported), {sum(failed.values())} failed (") in lede
    assert all(f"{n} {s}" in lede for s, n in failed.items()) and "not ok" not in lede
    headline = _unescape(md.split("## Headline")[1].split("\n## ")[0])
    assert f"{sum(failed.values())} runs failed (" in headline
    assert ERROR_MSG in paths.html.read_text(encoding="utf-8")
    check_html(paths)


def _single_seed(d: Path) -> None:
    runs, epochs = load_runs(d), pd.read_csv(d / "epochs.csv")
    write_runs_epochs(d, runs[runs["seed"] == 0], epochs[epochs["seed"] == 0])


def _all_diverged(d: Path) -> None:
    runs = load_runs(d)
    hit = runs["case"] == CLAIM_CASE
    runs.loc[hit, "status"] = "diverged"
    runs.loc[hit, ["test_mse", "train_mse", "convergence_epoch"]] = np.nan
    runs.to_csv(d / "runs.csv", index=False)


def _nan_everywhere(d: Path) -> None:
    runs, epochs = load_runs(d), pd.read_csv(d / "epochs.csv")
    keep = {"case", "framework", "mode", "seed", "status", "message", "dtype", "dataset",
            "fingerprint", "started_at"}
    for frame in (runs, epochs):
        for column in set(frame.columns) - keep:
            frame[column] = np.nan
    write_runs_epochs(d, runs, epochs)


def _runs_only(d: Path) -> None:
    for path in d.iterdir():
        if path.name != "runs.csv":
            path.unlink()


def _broken_optional_files(d: Path) -> None:
    (d / "epochs.csv").write_text("")
    (d / "parity.csv").write_text(",".join(["case", "dtype", "passed"]) + "\n")
    (d / "environment.json").write_text("{not json")
    (d / "cases.csv").write_text("case\nhousing_sgd\n")


def _keras_missing(d: Path) -> None:
    runs, epochs = load_runs(d), pd.read_csv(d / "epochs.csv")
    write_runs_epochs(d, runs[runs["framework"] != "keras"], epochs[epochs["framework"] != "keras"])


def _identical_mse(d: Path) -> None:
    runs = load_runs(d)
    runs.loc[runs["case"] == PUBLISHED_CASE, "test_mse"] = 0.25
    runs.to_csv(d / "runs.csv", index=False)


def _summary_cell(md: str, case: str, fw: str, column: str) -> str:
    rows = [r for r in table_rows(sections(md)["Summary"])
            if r["Case"] == case and r["Framework"] == fw]
    return rows[0][column]


def _significance_verdicts(md: str, fw: str = "keras") -> set[str]:
    rows = _tested(table_rows(sections(md)["Summary"]))
    return {r["Test MSE vs scratchnet"] for r in rows if r["Framework"] == fw}


SCENARIOS = {
    "single_seed": (_single_seed, lambda md: (
        _summary_cell(md, CLAIM_CASE, "keras", "Test MSE median [95% CI]").endswith("(CI n/a)")
        and _significance_verdicts(md) == {"too few runs"})),
    "all_diverged": (_all_diverged, lambda md: (
        _summary_cell(md, CLAIM_CASE, "scratchnet", "Status") == "5 diverged"
        and _summary_cell(md, CLAIM_CASE, "scratchnet", "Runs ok") == "0/5")),
    "nan_everywhere": (_nan_everywhere, lambda md: (
        _summary_cell(md, CLAIM_CASE, "keras", "Time per epoch") == "n/a"
        and "No figure" not in md)),  # the parity drift figure still exists
    "runs_only": (_runs_only, lambda md: (
        "environment.json: missing" in md and "**Git commit:** unknown" in md
        and "figures/summary_speed.png" in md and "No figure: no finite value to draw." in md)),  # no epoch rows
    "broken_optional_files": (_broken_optional_files, lambda md: (
        "environment.json: unreadable" in md and "epochs.csv: empty" in md)),
    "keras_missing": (_keras_missing, lambda md: (
        _summary_cell(md, CLAIM_CASE, "keras", "Runs ok") == "not run"
        and _significance_verdicts(md) == set())),
    "identical_mse": (_identical_mse, lambda md: "identical" in _significance_verdicts(md)),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_degenerate_results_render(tmp_path, name):
    mutate, check = SCENARIOS[name]
    d = copy_fixture(tmp_path)
    mutate(d)
    paths, md = render(d, tmp_path / "out")
    assert check(md), md
    check_html(paths)


def test_figures_follow_available_data(tmp_path):
    d = copy_fixture(tmp_path)
    _nan_everywhere(d)
    paths, _ = render(d, tmp_path / "out")
    assert [p.name for p in paths.figures] == ["loss_curves_1.png"]  # parity drift panels only


# --------------------------------------------------------------------------- errors and writing


def test_missing_runs_csv_is_a_clear_error(tmp_path):
    d = copy_fixture(tmp_path)
    (d / "runs.csv").unlink()
    with pytest.raises(FileNotFoundError, match="runs.csv") as info:
        build_report(d)
    assert str(d) in str(info.value)


@pytest.mark.parametrize("content", ["", "case,framework,mode,seed,status\n"])
def test_empty_runs_csv_is_a_clear_error(tmp_path, content):
    d = copy_fixture(tmp_path)
    (d / "runs.csv").write_text(content)
    with pytest.raises(ValueError, match="runs.csv") as info:
        build_report(d)
    assert str(d) in str(info.value)


def test_default_out_dir_writes_only_report_files(tmp_path):
    d = copy_fixture(tmp_path)
    before = {p.name for p in d.iterdir()}
    (d / "figures").mkdir()
    (d / "figures" / "loss_old-case.png").write_bytes(b"stale")
    (d / "figures" / "notes.txt").write_text("keep me")
    paths = build_report(d)
    assert paths.markdown == d / "REPORT.md" and paths.html == d / "report.html"
    assert {p.name for p in d.iterdir()} == before | {"REPORT.md", "report.html", "NOTES.md", "figures", "tables"}
    assert {p.suffix for p in (d / "tables").iterdir()} == {".csv"}
    figure_files = {p.name for p in (d / "figures").iterdir()}
    assert figure_files == {p.name for p in paths.figures} | {"notes.txt"}
    leftovers = [p for p in d.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []


def test_failed_write_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    out = tmp_path / "out"
    paths = build_report(FIXTURE, out)
    first = paths.markdown.read_text(encoding="utf-8")

    def refuse(src, dst):
        raise OSError("disk full (simulated)")

    from scratchnet.bench.store import results

    monkeypatch.setattr(results.os, "replace", refuse)  # report writes through store.results.atomic_write_bytes
    with pytest.raises(OSError, match="simulated"):
        build_report(FIXTURE, out)
    assert paths.markdown.read_text(encoding="utf-8") == first
    assert [p for p in out.rglob("*") if p.suffix == ".tmp"] == []


# --------------------------------------------------------------------------- headline


def test_update_readme_rewrites_only_between_markers(tmp_path):
    from scratchnet.bench.report import headline, update_readme

    readme = tmp_path / "README.md"
    readme.write_text("# title\n<!-- headline:start note -->\nold text\n<!-- headline:end -->\ntail\n")
    assert update_readme(readme, FIXTURE) is True
    assert readme.read_text() == ("# title\n<!-- headline:start note -->\n" + headline(FIXTURE)
                                  + "\n<!-- headline:end -->\ntail\n")
    assert update_readme(readme, FIXTURE) is False  # already current: untouched
    bare = tmp_path / "BARE.md"
    bare.write_text("no markers here\n")
    with pytest.raises(ValueError, match="BARE.md has no"):
        update_readme(bare, FIXTURE)


def test_concurrency_line_says_how_many_runs_shared_the_machine():
    from types import SimpleNamespace

    from scratchnet.bench.report.header import _concurrency_line

    assert _concurrency_line(SimpleNamespace(env={"jobs": 1})) == "one run at a time (--jobs 1)"
    assert _concurrency_line(SimpleNamespace(env={"jobs": 2})).startswith("2 runs at a time (--jobs 2)")
    assert _concurrency_line(SimpleNamespace(env={})) == "unknown"
    # the runs' CPU sets (running.cores): pinned workers are counted, and tables without them say nothing
    threads = ["cpus=1,openblas=1", "cpus=0,openblas=1", "cpus=0,openblas=1", "cpus=0-1,openblas=1"]
    line = _concurrency_line(SimpleNamespace(env={"jobs": 2}, runs=pd.DataFrame({"threads": threads})))
    assert "each worker pinned to a core of its own (3 of 4 runs; cores 0, 1" in line
    line = _concurrency_line(SimpleNamespace(env={"jobs": 2}, runs=pd.DataFrame({"threads": ["cpus=0-1,openmp=1"]})))
    assert "not pinned to cores" in line
    line = _concurrency_line(SimpleNamespace(env={"jobs": 2}, runs=pd.DataFrame({"threads": ["openblas=1"]})))
    assert "pinned" not in line


def test_main_cases_leave_out_variants_and_cases_never_run():
    from types import SimpleNamespace

    import pandas as pd

    from scratchnet.bench.report.tables import main_cases

    res = SimpleNamespace(cases=pd.DataFrame({"case": ["a", "b", "a[learning_rate=0.1]"]}),
                          runs=pd.DataFrame({"case": ["a", "a[learning_rate=0.1]"]}))
    assert main_cases(res) == ["a"]


def test_keras_setting_names_the_setting_the_ok_runs_used():
    import pandas as pd

    from scratchnet.bench.report.tables import keras_setting, setting_text

    runs = pd.DataFrame({"status": ["ok", "ok", "error"], "keras_steps_per_execution": [6700, 6700, 1],
                         "steps_per_epoch": [6700, 6700, 6700], "keras_jit_compile": [True, True, False]})
    assert keras_setting(runs) == ("epoch", True)
    assert setting_text(keras_setting(runs)) == "whole epoch per call with XLA"
    runs["keras_steps_per_execution"] = [32, 32, 32]
    runs["keras_jit_compile"] = [False, False, False]
    assert setting_text(keras_setting(runs)) == "steps_per_execution 32 without XLA"
    assert keras_setting(runs.iloc[2:]) is None  # no ok run


def test_a_table_of_several_commits_names_each_with_its_runs(tmp_path):
    """A resumed table mixes rows of several commits: the lede and the environment name each,
    oldest first, with its run count (not environment.json's latest commit alone), and the runs
    recorded before the column existed."""
    d = tmp_path / "mixed"
    shutil.copytree(FIXTURE, d)
    runs = pd.read_csv(d / "runs.csv")
    newest = (runs["started_at"] == runs["started_at"].max()).to_numpy()
    assert newest.any() and not newest[0]
    runs["git_commit"] = np.where(newest, "b" * 40, "a" * 40).astype(object)
    runs.loc[runs.index[0], "git_commit"] = np.nan  # a row from before the column
    runs.to_csv(d / "runs.csv", index=False)
    n_new, n_old = int(newest.sum()), int((~newest).sum()) - 1
    paths, _ = render(d, tmp_path / "out")
    md = paths.markdown.read_text(encoding="utf-8")
    lede = md.split("\n## ")[0]
    assert (f"commits {'a' * 12} ({n_old} runs), {'b' * 12} ({n_new} runs), 1 runs without a recorded commit"
            " · profile") in lede
    assert f"**Git commit:** {'a' * 40} ({n_old} runs), {'b' * 40} ({n_new} runs), 1 runs" in md


def test_derived_tables_are_computed_once_per_results_and_never_shared_with_a_copy():
    import dataclasses

    from scratchnet.bench.report.costs import case_costs, step_ratios
    from scratchnet.bench.report.tables import load_results

    res = load_results(FIXTURE)
    ratios = step_ratios(res)
    assert step_ratios(res) is ratios and len(ratios) > 0  # the second call reads the first one's table
    assert case_costs(res, every_mode=True) is not case_costs(res)  # the arguments are part of the key
    keras_only = dataclasses.replace(res, runs=res.runs[res.runs["framework"] == "keras"])
    assert keras_only.derived == {} and step_ratios(keras_only).empty  # a copy computes its own
    assert set(case_costs(keras_only)["framework"]) == {"keras"}

"""Sections that say where the numbers come from: title, environment, definitions, cases.

``title_blocks`` (the title and a one-line provenance lede), ``environment_blocks``
(machine, software, datasets, seeds and settings from ``environment.json`` and the
run table; absolute paths reduced to file names), ``definition_blocks`` (what each
metric means) and ``case_blocks`` (one row per registered case from ``cases.csv``).
Each is a section builder: ``Results -> list[Block]``. Nothing here reads the clock.
"""
from __future__ import annotations

import json
import re
import textwrap
from typing import Any

import pandas as pd

from scratchnet.bench.measures.metrics import CONVERGENCE_DEFINITION
from scratchnet.bench.report.blocks import Block, Bullets, Heading, kv, para, section, table_block
from scratchnet.bench.report.formatting import fmt_int, fmt_mse
from scratchnet.bench.report.memory import MEMORY_DEFINITION
from scratchnet.bench.report.provenance import (env_get, git_text, recorded_at, run_commits, results_label, scrub_paths,
    seeds_text)
from scratchnet.bench.report.stats import BOOTSTRAP_SEED, CI_LEVEL, N_RESAMPLES
from scratchnet.bench.store.schema import NOT_INSTALLED_PHRASE
from scratchnet.bench.report.missing import FAILED_STATUSES, MISSING_TITLE
from scratchnet.bench.report.tables import (Results, finite_values, framework_order, is_variant, main_cases,
    parse_flag, run_frameworks, select)


MSE_DEFINITION = (
    "mean((y_pred - y_true)**2) over every row and output, in float64, computed by the "
    "harness from predictions (never from a framework's training logs)"
)
TIMING_BOUNDARIES = (
    "fit time excludes import, dataset load, model build and compile; Keras' first epoch "
    "(graph tracing) is reported separately; evaluation between epochs is not counted"
)


def _describe(value: Any) -> str:
    """A free-form environment value as one line, absolute paths reduced to file names; "unknown" when absent."""
    if not isinstance(value, dict):
        return scrub_paths(str(value)) if value not in (None, "") else "unknown"
    text = (f"{k}={json.dumps(v, sort_keys=True, default=str) if isinstance(v, (dict, list)) else v}"
            for k, v in value.items())
    return scrub_paths("; ".join(text)) or "unknown"


def machine_line(env: dict[str, Any]) -> str:
    cores = env_get(env, "machine", "cores")
    return (f"{env_get(env, 'machine', 'cpu') or 'unknown CPU'}, {'unknown' if cores is None else cores} cores, "
            f"{env_get(env, 'machine', 'platform') or 'unknown platform'}")


def _versions_line(env: dict[str, Any]) -> str:
    versions = env_get(env, "versions") or {}
    first = [k for k in ("python", "numpy", "tensorflow", "keras", "scikit-learn", "scratchnet") if k in versions]
    return ", ".join(f"{k} {versions[k]}" for k in dict.fromkeys([*first, *versions])) or "unknown"


def _steps_line(res: Results) -> str:
    recorded = sorted({int(v) for v in finite_values(select(res.runs, framework="keras")["keras_steps_per_execution"])})
    return (f"{env_get(res.env, 'keras_steps_per_execution') or 'unknown'} (environment); in keras runs: "
            f"{', '.join(map(str, recorded)) or 'none recorded'}")


def _concurrency_line(res: Results) -> str:
    """How many runs shared the machine (``jobs``) and, from the runs' ``threads`` (``cpus=...``,
    running.cores), whether each worker was pinned to a core of its own."""
    jobs = env_get(res.env, "jobs")
    if jobs in (None, ""):
        return "unknown"
    if int(jobs) == 1:
        return "one run at a time (--jobs 1)"
    runs = getattr(res, "runs", pd.DataFrame({"threads": []}))
    cpus = runs["threads"].astype(str).str.extract(r"cpus=(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)")[0].dropna()
    single = cpus[cpus.str.fullmatch(r"\d+")]
    pinning = ("" if cpus.empty else ", not pinned to cores" if single.empty else
               f", each worker pinned to a core of its own ({len(single)} of {len(cpus)} runs; cores "
               f"{', '.join(sorted(set(single), key=int))}: a framework's background threads share its core)")
    return (f"{jobs} runs at a time (--jobs {jobs}) in separate processes{pinning}; see Threads for the "
            "thread limits each process ran under")


def runs_line(res: Results) -> str:
    """"730 runs: 565 ok, 165 unsupported (sklearn cannot express the case: ...), 0 failed".

    ``unsupported`` is by design (a framework that cannot express a case says so), so it is
    counted apart and attributed to its frameworks (an optional one that is not installed, e.g.
    torch, named as such); "failed" counts only error, diverged and
    timeout runs, broken down when there are any.
    """
    status = res.runs["status"].astype(str)
    total, ok = len(res.runs), int((status == "ok").sum())
    parts = [f"{total} runs: {ok} ok"]
    unsupported = res.runs[status == "unsupported"]
    if len(unsupported):
        # a framework whose every unsupported run says it is not installed is named as such
        absent = unsupported["message"].astype(str).str.contains(NOT_INSTALLED_PHRASE, regex=False)
        missing = [fw for fw in framework_order(unsupported["framework"])
                   if absent[unsupported["framework"] == fw].all()]
        who = " and ".join(fw for fw in framework_order(unsupported["framework"]) if fw not in missing)
        why = [f"{' and '.join(missing)} not installed"] if missing else []
        why += [f"{who} cannot express the case"] if who else []
        parts.append(f"{len(unsupported)} unsupported ({'; '.join(why)}: reasons in {MISSING_TITLE})")
    failed = status[status.isin(FAILED_STATUSES)]
    detail = ", ".join(f"{n} {s}" for s, n in failed.value_counts().items())
    parts.append(f"{len(failed)} failed" + (f" ({detail}: see {MISSING_TITLE})" if len(failed) else ""))
    return ", ".join(parts)


def title_blocks(res: Results) -> list[Block]:
    """Section builder: the title and a one-line provenance lede."""
    frameworks = [fw for fw in run_frameworks(res) if fw != "scratchnet"]
    versus = ", ".join(frameworks) if frameworks else "Keras"
    commits, missing = run_commits(res)
    word = "commits" if len(commits) > 1 or (commits and missing) else "commit"
    lede = (f"Recorded {recorded_at(res)} · {word} {git_text(res, short=True)} · profile "
            f"{env_get(res.env, 'profile') or 'unknown'} · {seeds_text(res)} · "
            f"{runs_line(res)}")
    if env_get(res.env, "profile") == "fast":  # one clause: the first screen keeps the answer
        lede = lede.replace("profile fast", "profile fast (the quick start; full evidence: results/REPORT.md)", 1)
    return [Heading(1, f"scratchnet vs {versus}: benchmark report"), para(lede)]


def _profile_line(res: Results) -> str:
    profile = env_get(res.env, "profile") or "unknown"
    if profile == "fast":
        return ("fast: the quick start (scripts/bench.sh), a few cases, 2 seeds, short epoch budgets, "
                "a lighter cost-model measurement (fewer rounds: noisier per-step and fixed costs); "
                "SCRATCHNET_BENCH_PROFILE=full bash scripts/bench.sh runs every case with 5 seeds, and the "
                "committed reference report (results/REPORT.md) is scripts/reference_run.sh's")
    return f"{profile} (fast: the quick start's subset; full: every case, 5 seeds)"


def environment_blocks(res: Results) -> list[Block]:
    """Section builder: machine, software, data and settings of the recorded runs."""
    env = res.env
    items = (
        kv("Results directory", results_label(res.directory)),
        kv("Results recorded at", f"{recorded_at(res)} (newest run start)"),
        kv("Git commit", git_text(res)),
        kv("Profile", _profile_line(res)),
        kv("Machine", machine_line(env)),
        kv("BLAS", _describe(env_get(env, "blas"))),
        kv("Threads", _describe(env_get(env, "threads"))),
        kv("Concurrency", _concurrency_line(res)),
        kv("Versions", _versions_line(env)),
        kv("Datasets", ", ".join(f"{name} (sha256 {str(fp)[:16]}…)" for name, fp in
                                 (env_get(env, "datasets") or {}).items()) or "unknown"),
        kv("Seeds", f"{seeds_text(res)} (profile setting: {env_get(env, 'seeds') or 'unknown'})"),
        kv("Keras steps_per_execution", _steps_line(res)),
        kv("Runs", runs_line(res)),
    )
    answer = f"{machine_line(env)}." if env else "environment.json not recorded: machine unknown."
    return section("Environment", answer, Bullets(items))


def definition_blocks(res: Results) -> list[Block]:  # noqa: ARG001 (section builder)
    ci = (f"{CI_LEVEL:.0%} percentile bootstrap of the median over seeds "
          f"({N_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}); n/a with fewer than 2 ok seeds")
    items = (
        kv("MSE", MSE_DEFINITION),
        kv("Convergence epoch", CONVERGENCE_DEFINITION),
        kv("Time to target", "summed training seconds of epochs 1..convergence epoch"),
        kv("Time per epoch", "median training time of epochs 2.. (epoch 1 if only one); "
                              "time per step = time per epoch / steps per epoch"),
        kv("Memory", MEMORY_DEFINITION),
        kv("Timing boundaries", TIMING_BOUNDARIES),
        kv("Confidence intervals", ci),
        kv("Runs used", "medians, intervals, tests and curves use runs with status ok only"),
    )
    return section("Definitions", "What each figure above measures, in one line each.", Bullets(items))


def short_text(text: str, limit: int) -> str:
    """The first clause of ``text`` (up to "; " or ". "), cut at a word within ``limit`` characters."""
    short = textwrap.shorten(re.split(r"; |\. ", " ".join(str(text).split()))[0], limit, placeholder="…")
    return re.sub(r"[,;:-]+…$", "…", short)


def case_blocks(res: Results) -> list[Block]:
    """Section builder: one row per case; descriptions and sources shortened to their first
    clause (the full text is in cases.csv)."""
    if res.cases.empty:
        return []
    headers = ("Case", "Description", "Dataset", "Architecture", "Loss", "Optimizer",
               "Batch", "Epochs", "dtype", "Target loss", "Equivalent", "Source")
    rows = []
    for _, c in res.cases.iterrows():
        eq = parse_flag(c["equivalent"])
        rows.append((c["case"], short_text(c["description"], 90), c["dataset"],
                     c["architecture"], c["loss"], c["optimizer"], fmt_int(c["batch_size"]),
                     fmt_int(c["epochs"]),
                     c["dtype"], fmt_mse(c["target_loss"]),
                     "unknown" if eq is None else ("yes" if eq else "no (by design)"),
                     short_text(c["source"], 60)))
    note = para("Descriptions and sources shortened to their first clause; cases.csv has "
                "the full text.")
    optimizers = ", ".join(sorted({o.split("(")[0] for o in res.cases["optimizer"].astype(str) if o}))
    answer = (f"{len(main_cases(res))} cases (and {sum(is_variant(c) for c in res.cases['case'])} variants) on "
              f"{res.cases['dataset'].nunique()} datasets, optimizers {optimizers}.")
    return section("Cases", answer, note, table_block(headers, rows, anchor="cases-table"))

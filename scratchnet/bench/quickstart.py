"""The quick start's driver: what ``bash scripts/bench.sh`` runs once the install phase is done.

Phases, each shown with :class:`scratchnet.bench.progress.Progress` (a bar with an ETA on a
terminal, plain lines in a log):

2. **runs** -- the profile's runs (:mod:`scratchnet.bench.profiles`: cases, seeds, epochs) in
   ``results/<profile>/``, two at a time (``--jobs``), resumed: a row already recorded for this
   commit is not run again. When the commit changed (or the tree is dirty), the directory is
   started afresh, so every row of it comes from the code that wrote the report.
3. **asv** -- ``asv run`` over ``benchmarks/``: its ``track_`` figures read the rows phase 2
   recorded (asv asks for exactly the same runs), the fast profile times only its tiny case and
   probes memory in fresh processes. Skipped when asv already holds results for this commit and
   phase 2 ran nothing new.
4. **report** -- ``results/<profile>/REPORT.md`` and ``report.html`` from those tables; then the
   path and the headline are printed.

Nothing tracked by git is written: outputs go to ``results/<profile>/`` and ``results/asv/``
(both ignored). The committed reference report (``results/``) is the reference run's
(``scripts/reference_run.sh``), regenerated only by it or by ``scratchnet-bench report``.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .progress import Progress, clock_text

ASV_PERCENT = re.compile(r"^\[\s*(\d+(?:\.\d+)?)%\]")
COMMIT_FILE = "COMMIT"


def _fresh_results(results: Path, commit: str, say) -> None:
    """Start ``results`` afresh unless its rows come from ``commit`` (a clean one)."""
    marker = results / COMMIT_FILE
    previous = marker.read_text().strip() if marker.is_file() else ""
    if results.exists() and (previous != commit or commit.endswith("+dirty") or not commit):
        say(f"runs: {results} holds rows of commit {previous or 'unknown'}, this is {commit or 'unknown'}: "
            "starting it afresh")
        shutil.rmtree(results)
    results.mkdir(parents=True, exist_ok=True)
    marker.write_text(commit + "\n")


def _asv_done(root: Path, machine: str, commit: str) -> bool:
    folder = root / "results" / "asv" / machine
    return bool(commit) and not commit.endswith("+dirty") and folder.is_dir() and any(
        p.name.startswith(commit[:8]) for p in folder.glob("*.json"))


def _run_asv(root: Path, machine: str, commit: str, log: Path) -> int:
    """``asv run`` with its own output in ``log``; its ``[ NN.NN%]`` lines drive the progress."""
    asv = [sys.executable, "-m", "asv"]
    subprocess.run([*asv, "machine", "--yes", "--machine", machine], cwd=root, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress = Progress(100, "asv", unit="%")
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([*asv, "run", "--python=same", "--set-commit-hash", commit.split("+")[0],
                                 "--machine", machine, "--launch-method=forkserver", "--show-stderr"],
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            found = ASV_PERCENT.match(line.strip())
            if found:
                name = line.strip()[found.end():].strip(" ·")
                progress.advance_to(int(float(found.group(1))), name[:60])
        code = proc.wait()
    progress.advance_to(100)
    progress.close()
    return code


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scratchnet.bench.quickstart", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default=os.environ.get("SCRATCHNET_BENCH_PROFILE", "fast"),
                        choices=("fast", "full"))
    parser.add_argument("--jobs", type=_positive, default=2, help="runs at a time (default 2)")
    parser.add_argument("--no-asv", action="store_true", help="skip the asv phase")
    args = parser.parse_args(argv)

    from . import profiles
    from .cases import CASES
    from .report import build_report, headline
    from .schema import FRAMEWORKS
    from .suite import run_suite

    root = Path(__file__).resolve().parents[2]
    results = root / "results" / args.profile
    commit = os.environ.get("SCRATCHNET_GIT_COMMIT", "")
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    started = time.monotonic()

    say(f"[2/4] runs: profile {args.profile} ({len(profiles.profile_cases(args.profile))} cases x "
        f"{len(FRAMEWORKS)} frameworks x {profiles.SEEDS[args.profile]} seeds, {args.jobs} at a time) -> {results}")
    _fresh_results(results, commit, say)
    cases = [CASES[name] for name in profiles.profile_cases(args.profile)]
    summary = run_suite(cases, FRAMEWORKS, ("parity",), profiles.SEEDS[args.profile], args.profile, results,
                        jobs=args.jobs, progress=True)
    say(f"runs: {summary.done} run, {summary.skipped} already recorded ({clock_text(time.monotonic() - started)})")

    machine = f"{os.uname().nodename}-{args.profile}"
    if args.no_asv:
        say("[3/4] asv: skipped (--no-asv)")
    elif summary.done == 0 and _asv_done(root, machine, commit):
        say(f"[3/4] asv: results for commit {commit[:8]} already in results/asv/{machine}/, nothing new ran: skipped")
    else:
        say(f"[3/4] asv: benchmarks/ reading the recorded runs (log: {results / 'asv.log'})")
        t0 = time.monotonic()
        code = _run_asv(root, machine, commit, results / "asv.log")
        say(f"asv: exit {code} ({clock_text(time.monotonic() - t0)})")
        if code:
            say(f"asv failed: see {results / 'asv.log'}")
            return code

    say("[4/4] report")
    paths = build_report(results)
    say(f"\nDone in {clock_text(time.monotonic() - started)} (after the install). This run's report: "
        f"{paths.markdown.relative_to(root)} and {paths.html.relative_to(root)}; asv's figures: results/asv/.")
    print(f"\nHeadline ({args.profile} profile):\n{headline(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

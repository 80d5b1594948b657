"""The quick start's driver: what ``bash scripts/bench.sh`` runs once the install phase is done.

Phases, each shown with :class:`scratchnet.bench.running.progress.Progress` (a bar with an ETA on a
terminal, plain lines in a log):

2. **runs** -- the profile's runs (:mod:`scratchnet.bench.cases.profiles`: cases, seeds, epochs) in
   ``results/<profile>/``, two at a time (``--jobs``), resumed: a row already recorded by the same
   *code* is not run again. The code is named by :func:`code_fingerprint` -- a sha256 over every
   file that can change a recorded figure (``scratchnet/`` but its report package, ``benchmarks/``,
   ``pyproject.toml``, ``asv.conf.json``), as they are in the working tree -- so editing the report,
   the docs or the tests keeps the rows, and any other edit starts the directory afresh: every row
   comes from code identical to the code that writes the report. What the frameworks print
   (TensorFlow's C++ log lines, the workers' warnings) goes to ``results/<profile>/runs.log``, so
   the terminal shows the progress lines alone.
3. **asv** -- ``asv run`` over ``benchmarks/``: its ``track_`` figures read the rows phase 2
   recorded (asv asks for exactly the same runs), the fast profile re-times nothing (its
   ``time_`` benchmarks are the full profile's) and probes memory in fresh processes, two at a
   time. Skipped when phase 2 ran nothing new and asv already ran on
   code of the same fingerprint (``results/<profile>/ASV_CODE``).
4. **report** -- ``results/<profile>/REPORT.md`` and ``report.html`` from those tables; then the
   path and the headline are printed.

Nothing tracked by git is written: outputs go to ``results/<profile>/`` and ``results/asv/``
(both ignored). The committed reference report (``results/``) is the reference run's
(``scripts/reference_run.sh``), regenerated only by it or by ``scratchnet-bench report``.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

from scratchnet.bench.running.progress import Progress, clock_text

ASV_PERCENT = re.compile(r"^\[\s*(\d+(?:\.\d+)?)%\]")
CODE_FILE = "CODE"          # the code fingerprint the directory's rows were recorded with
ASV_CODE_FILE = "ASV_CODE"  # the code fingerprint asv last ran on, successfully
RUNS_LOG = "runs.log"       # what the frameworks print during the runs phase
FINGERPRINTED = ("scratchnet", "benchmarks", "pyproject.toml", "asv.conf.json")
NOT_FINGERPRINTED = ("scratchnet/bench/report/",)  # reads the tables, changes no recorded figure


def code_fingerprint(root: Path) -> str:
    """sha256 over the path and bytes of every file that can change a recorded figure (module docstring)."""
    import hashlib

    files = sorted({p for name in FINGERPRINTED for p in ([root / name] if (root / name).is_file()
                                                          else (root / name).rglob("*"))
                    if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
                    and not str(p.relative_to(root)).startswith(NOT_FINGERPRINTED)})
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read(path: Path) -> str:
    return path.read_text().strip() if path.is_file() else ""


def _fresh_results(results: Path, code: str, say) -> None:
    """Start ``results`` afresh unless its rows were recorded by code of fingerprint ``code``."""
    previous = _read(results / CODE_FILE)
    if results.exists() and previous != code:
        say(f"runs: {results} holds rows of other code (fingerprint {previous[:12] or 'unknown'}, now "
            f"{code[:12]}): starting it afresh")
        shutil.rmtree(results)
    elif results.exists():
        say(f"runs: resuming {results} (the code that recorded its rows is unchanged: {code[:12]})")
    results.mkdir(parents=True, exist_ok=True)
    (results / CODE_FILE).write_text(code + "\n")


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


@contextlib.contextmanager
def _framework_messages_to(log: Path):
    """Send what the frameworks print (TensorFlow's C++ log lines, worker processes' warnings: file
    descriptor 2, inherited by every worker) to ``log``; ``sys.stderr`` -- the progress lines and the
    driver's own -- keeps the terminal. Restored on exit."""
    sys.stderr.flush()
    terminal_fd = os.dup(2)
    terminal = os.fdopen(terminal_fd, "w", buffering=1, encoding=getattr(sys.stderr, "encoding", None) or "utf-8")
    saved_stderr, saved_showwarning = sys.stderr, warnings.showwarning
    with open(log, "a", encoding="utf-8") as sink:
        os.dup2(sink.fileno(), 2)
        sys.stderr = terminal
        warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: sink.write(
            warnings.formatwarning(message, category, filename, lineno, line))
        try:
            yield
        finally:
            sink.flush()
            os.dup2(terminal_fd, 2)
            sys.stderr, warnings.showwarning = saved_stderr, saved_showwarning
            terminal.close()


def main(argv: list[str] | None = None) -> int:
    """The quick start's phases 2-4; a results directory that cannot be written ends it with one line
    (:mod:`scratchnet.bench.store.write_errors`) naming the command that resumes."""
    try:
        return _main(argv)
    except OSError as exc:
        from scratchnet.bench.store.write_errors import is_write_error, write_error_line

        if not is_write_error(exc):
            raise
        results = Path(__file__).resolve().parents[2] / "results"
        print(f"bench.sh: error: {write_error_line(exc, results, 'bash scripts/bench.sh')}", file=sys.stderr)
        return 2


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scratchnet.bench.quickstart", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default=os.environ.get("SCRATCHNET_BENCH_PROFILE", "fast"),
                        choices=("fast", "full"))
    parser.add_argument("--jobs", type=_positive, default=2, help="runs at a time (default 2)")
    parser.add_argument("--no-asv", action="store_true", help="skip the asv phase")
    args = parser.parse_args(argv)

    from scratchnet.bench.cases import profiles
    from scratchnet.bench.cases.registry import CASES
    from scratchnet.bench.report import build_report, headline
    from scratchnet.bench.store.schema import FRAMEWORKS
    from scratchnet.bench.running.suite import run_suite

    root = Path(__file__).resolve().parents[2]
    results = root / "results" / args.profile
    commit = os.environ.get("SCRATCHNET_GIT_COMMIT", "")
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    started = time.monotonic()

    say(f"[2/4] runs: profile {args.profile} ({len(profiles.profile_cases(args.profile))} cases x "
        f"{len(FRAMEWORKS)} frameworks x {profiles.SEEDS[args.profile]} seeds, {args.jobs} at a time) -> {results}")
    code = code_fingerprint(root)
    _fresh_results(results, code, say)
    cases = [CASES[name] for name in profiles.profile_cases(args.profile)]
    log = results / RUNS_LOG
    say(f"runs: the frameworks' own messages (TensorFlow's log, warnings) go to {log.relative_to(root)}")
    with _framework_messages_to(log):
        summary = run_suite(cases, FRAMEWORKS, ("parity",), profiles.SEEDS[args.profile], args.profile, results,
                            jobs=args.jobs, progress=True)
    say(f"runs: {summary.done} run, {summary.skipped} already recorded ({clock_text(time.monotonic() - started)})")

    machine = f"{os.uname().nodename}-{args.profile}"
    import importlib.util

    if args.no_asv:
        say("[3/4] asv: skipped (--no-asv)")
    elif importlib.util.find_spec("asv") is None:
        say("[3/4] asv: skipped (asv is not installed: pip install -e .[bench])")
    elif summary.done == 0 and _read(results / ASV_CODE_FILE) == code:
        say(f"[3/4] asv: already ran on this code (results/asv/{machine}/), nothing new ran: skipped")
    else:
        say(f"[3/4] asv: benchmarks/ reading the recorded runs (log: {results / 'asv.log'})")
        t0 = time.monotonic()
        status = _run_asv(root, machine, commit, results / "asv.log")
        say(f"asv: exit {status} ({clock_text(time.monotonic() - t0)})")
        if status:
            say(f"asv failed: see {results / 'asv.log'}")
            return status
        (results / ASV_CODE_FILE).write_text(code + "\n")

    say("[4/4] report")
    paths = build_report(results)
    say(f"\nDone in {clock_text(time.monotonic() - started)} (after the install). This run's report: "
        f"{paths.markdown.relative_to(root)} and {paths.html.relative_to(root)}; asv's figures: results/asv/.")
    print(f"\nHeadline ({args.profile} profile):\n{headline(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

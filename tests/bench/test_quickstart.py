"""The quick start's pieces (scratchnet.bench.quickstart, scratchnet.bench.running.progress), without asv.

* progress in a log: plain lines, no carriage return or escape code, at most one per interval
  plus the first and the last, with an ETA computed from the rate so far;
* results/<profile>/ resumes only rows of the same clean commit;
* asv's percent lines drive the asv phase; a commit asv already holds is recognised;
* a fast-profile report says so and names the full evidence;
* what the frameworks print (file descriptor 2, child processes, warnings) goes to the runs log,
  the progress lines keep the terminal.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from scratchnet.bench import quickstart
from scratchnet.bench.running.progress import Progress, clock_text
from scratchnet.bench.report import build_report

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_in_a_log_is_plain_rate_limited_and_has_an_eta():
    out, clock = io.StringIO(), _Clock()
    bar = Progress(10, "runs", stream=out, interval=10.0, clock=clock, tty=False)
    for step in range(10):
        clock.now += 4.0  # 4 s a task
        bar.update(1, f"task {step}")
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()
    assert lines[0] == "runs: 0/10 tasks (0%), 0:00 elapsed"
    assert lines[-1] == "runs: 10/10 tasks (100%), 0:40 elapsed [task 9]"
    # at 4 s a task and one line per 10 s: the lines at 12, 24 and 36 s besides the first and last
    assert len(lines) == 5, lines
    assert lines[1] == "runs: 3/10 tasks (30%), 0:12 elapsed, ETA 0:28 [task 2]"


def test_a_percent_phase_reads_as_percent():
    out, clock = io.StringIO(), _Clock()
    bar = Progress(100, "asv", unit="%", stream=out, interval=0.0, clock=clock, tty=False)
    clock.now = 20.0
    bar.advance_to(25, "bench_tutorials.TutorialTrack.track_test_mse")
    assert out.getvalue().splitlines()[-1] == ("asv: 25%, 0:20 elapsed, ETA 1:00 "
                                               "[bench_tutorials.TutorialTrack.track_test_mse]")


def test_progress_disabled_prints_nothing_and_clock_text():
    out = io.StringIO()
    bar = Progress(3, "asv", stream=out, enabled=False, tty=False)
    bar.update(3)
    bar.note("hidden")
    assert out.getvalue() == ""
    assert (clock_text(75.2), clock_text(3725), clock_text(-1)) == ("1:15", "1:02:05", "0:00")


@pytest.mark.parametrize("before, now, kept", [
    ("c0de", "c0de", True),      # rows of the same code: resume
    ("c0de", "f00d", False),     # other code: afresh
    ("", "c0de", False),         # rows of unknown provenance: afresh
])
def test_results_resume_only_rows_of_the_same_code(tmp_path, before, now, kept):
    results = tmp_path / "fast"
    results.mkdir()
    (results / "runs.csv").write_text("case\nx\n")
    if before:
        (results / quickstart.CODE_FILE).write_text(before + "\n")
    said = []
    quickstart._fresh_results(results, now, said.append)
    assert (results / "runs.csv").exists() == kept
    assert (results / quickstart.CODE_FILE).read_text().strip() == now
    assert ("afresh" in said[0]) == (not kept)


def test_the_code_fingerprint_follows_training_code_not_the_report(tmp_path):
    for rel, text in [("scratchnet/model.py", "x = 1\n"), ("scratchnet/bench/report/tables.py", "y = 1\n"),
                      ("benchmarks/bench_a.py", "z = 1\n"), ("pyproject.toml", "[project]\n"),
                      ("README.md", "# hi\n")]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    first = quickstart.code_fingerprint(tmp_path)
    (tmp_path / "scratchnet/bench/report/tables.py").write_text("y = 2\n")  # the report: same code
    (tmp_path / "README.md").write_text("# changed\n")
    assert quickstart.code_fingerprint(tmp_path) == first
    for rel in ("scratchnet/model.py", "benchmarks/bench_a.py", "pyproject.toml"):
        before = quickstart.code_fingerprint(tmp_path)
        (tmp_path / rel).write_text((tmp_path / rel).read_text() + "# edit\n")
        assert quickstart.code_fingerprint(tmp_path) != before, rel


def test_asv_percent_lines():
    line = "[ 12.50%] ··· bench_tutorials.TutorialTrack.track_test_mse                    ok"
    found = quickstart.ASV_PERCENT.match(line)
    assert found and float(found.group(1)) == 12.5
    assert quickstart.ASV_PERCENT.match("· Discovering benchmarks") is None


def test_a_fast_profile_report_says_so(tmp_path):
    md = build_report(FIXTURE, tmp_path).markdown.read_text(encoding="utf-8")
    lede = md.split("## Headline")[0]
    assert "profile fast (the quick start; full evidence: results/REPORT.md)" in lede
    env = md.split("## Environment")[1]
    assert re.search(r"\*\*Profile:\*\* fast: the quick start \(scripts/bench\.sh\)", env)
    assert "SCRATCHNET\\_BENCH\\_PROFILE=full bash scripts/bench.sh runs every case with 5 seeds" in env


@pytest.mark.parametrize("jobs, message", [("0", "must be >= 1, got 0"), ("two", "must be a whole number")])
def test_bad_jobs_is_refused_naming_the_argument(jobs, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        quickstart.main(["--jobs", jobs])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--jobs" in err and message in err, err


def test_framework_messages_go_to_the_log_and_progress_keeps_the_terminal(tmp_path, capfd):
    log = tmp_path / "runs.log"
    before = sys.stderr
    with quickstart._framework_messages_to(log):
        os.write(2, b"I0000 port.cc:153] a C++ log line\n")
        subprocess.run([sys.executable, "-c", "import sys; print('a worker process says', file=sys.stderr)"],
                       check=True)
        warnings.warn("a worker stopped", UserWarning)
        Progress(2, "runs", tty=False).close()
    assert sys.stderr is before
    err = capfd.readouterr().err
    assert "runs: 0/2 tasks" in err, err
    for noise in ("a C++ log line", "a worker process says", "a worker stopped"):
        assert noise not in err, err
        assert noise in log.read_text(encoding="utf-8")
    os.write(2, b"after\n")  # file descriptor 2 is the terminal's again
    assert "after" in capfd.readouterr().err

"""environment.git_commit: the commit passed in by scripts/bench.sh wins over git."""
from __future__ import annotations

import subprocess
from pathlib import Path

from scratchnet.bench.running import environment


def test_commit_from_environment_variable(monkeypatch):
    monkeypatch.setenv("SCRATCHNET_GIT_COMMIT", "abc123+dirty")
    assert environment.git_commit() == "abc123+dirty"
    assert environment.collect_environment()["git_commit"] == "abc123+dirty"


def test_commit_from_git_outside_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("SCRATCHNET_GIT_COMMIT", raising=False)
    monkeypatch.chdir(tmp_path)  # like asv: the working directory is not the checkout
    checkout = Path(environment.__file__).resolve().parent
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True,
                          text=True)
    found = environment.git_commit()
    if head.returncode == 0:
        assert found.split("+")[0] == head.stdout.strip()
    else:
        assert found == "unknown"


def test_commit_unknown_without_git(monkeypatch, tmp_path):
    monkeypatch.delenv("SCRATCHNET_GIT_COMMIT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no git executable
    assert environment.git_commit(tmp_path) == "unknown"


def test_every_run_row_records_its_commit(monkeypatch):
    """host_columns() goes into every run row the suite records: a resumed table keeps each row's commit."""
    from scratchnet.bench.store.schema import RUN_COLUMNS

    monkeypatch.setenv(environment.GIT_COMMIT_VARIABLE, "def456")
    columns = environment.host_columns()
    assert columns["git_commit"] == "def456" and set(columns) <= set(RUN_COLUMNS)

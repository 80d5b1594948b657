"""The report's "Your networks" section (scratchnet.bench.report.foreign)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from scratchnet.bench.report import build_report

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"


def _with_foreign(tmp_path: Path, passed: str, message: str) -> Path:
    target = tmp_path / "results"
    shutil.copytree(FIXTURE, target)
    runs = pd.read_csv(target / "runs.csv")
    mine = runs[runs["framework"] == "scratchnet"].copy()
    mine["framework"] = "my_net"
    mine["foreign_target"] = "nets/my_net.py:make_net"
    mine["foreign_parity_passed"] = passed
    mine["foreign_parity_drift"] = 3e-15 if passed == "True" else 0.25
    mine["foreign_parity_message"] = message
    pd.concat([runs, mine]).to_csv(target / "runs.csv", index=False)
    epochs = pd.read_csv(target / "epochs.csv")
    extra = epochs[epochs["framework"] == "scratchnet"].copy()
    extra["framework"] = "my_net"
    pd.concat([epochs, extra]).to_csv(target / "epochs.csv", index=False)
    return target


def test_foreign_networks_get_a_section_and_a_column(tmp_path):
    results = _with_foreign(tmp_path, "True", "")
    md = Path(build_report(results, tmp_path / "out").markdown).read_text()
    assert "## Your networks" in md
    section = md.split("## Your networks", 1)[1].split("\n## ", 1)[0]
    assert "nets/my\\_net.py:make\\_net" in section and "pass (" in section and "3e-15" in section
    assert "my\\_net" in md.split("## Your networks", 1)[0]  # also a framework column above


def test_a_failed_lockstep_check_is_shown_with_its_message(tmp_path):
    msg = "FAIL nets/my_net.py:make_net on housing_sgd: layer 2 kernel[0, 0]: yours=1 keras=2 after step 1 of epoch 1"
    results = _with_foreign(tmp_path, "False", msg)
    md = Path(build_report(results, tmp_path / "out").markdown).read_text()
    section = md.split("## Your networks", 1)[1].split("\n## ", 1)[0]
    assert "FAIL (" in section and "layer 2 kernel" in section


def test_no_section_without_foreign_networks(tmp_path):
    md = Path(build_report(FIXTURE, tmp_path / "out").markdown).read_text()
    assert "## Your networks" not in md

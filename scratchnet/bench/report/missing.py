"""The "Missing, failed and unsupported" section: unreadable files, groups never run, failed runs,
and what a framework cannot express (by design, so apart from the failures).

Failed runs (error, diverged, timeout) get a row each with their message; unsupported runs one
row per case and framework (their seeds share the reason), so the section stays short.
"""
from __future__ import annotations

from scratchnet.bench.report.blocks import Block, Bullets, Collapsed, para, section, table_block
from scratchnet.bench.report.formatting import DASH, fmt_int, mode_label
from scratchnet.bench.report.tables import Results, groups

MISSING_TITLE = "Missing, failed and unsupported"
FAILED_STATUSES = ("error", "diverged", "timeout")  # "not ok": runs that should have worked


def missing_blocks(res: Results) -> list[Block]:
    not_run = [f"{case} / {fw} / {mode_label(mode)}: not run"
               for case, mode, fw, runs in groups(res) if runs.empty]
    status = res.runs["status"].astype(str)
    failed = res.runs[status.isin(FAILED_STATUSES)]
    unsupported = res.runs[status == "unsupported"]
    fws = ", ".join(dict.fromkeys(unsupported["framework"]))
    blocks = section(MISSING_TITLE, f"{len(failed)} runs failed; {len(unsupported)} unsupported by design"
                     f"{f' ({fws})' if fws else ''}; {len(res.problems)} file problems.")
    if not (res.problems or not_run or len(failed) or len(unsupported)):
        return [*blocks, para("Nothing missing: every file present and every run ok.")]
    if res.problems:
        blocks += [para(("b", "Files")), Bullets(tuple((p,) for p in res.problems))]
    if not_run:
        blocks += [para(("b", "Not run")), Bullets(tuple((n,) for n in not_run))]
    if len(failed):
        headers = ("Case", "Framework", "Mode", "Seed", "Status", "Epochs run", "Message")
        rows = [(r["case"], r["framework"], mode_label(r["mode"]), fmt_int(r["seed"]),
                 r["status"], fmt_int(r["epochs_run"]), r["message"] or DASH)
                for _, r in failed.iterrows()]
        blocks += [para(("b", "Runs that failed")), table_block(headers, rows)]
    else:
        blocks.append(para(("b", "Runs that failed: "), "none (no error, divergence or time-out)."))
    if len(unsupported):
        rows = [(case, fw, ", ".join(mode_label(m) for m in dict.fromkeys(g["mode"])), str(len(g)),
                 "; ".join(dict.fromkeys(str(m) for m in g["message"])) or DASH)
                for (case, fw), g in unsupported.groupby(["case", "framework"], sort=False)]
        table = table_block(("Case", "Framework", "Modes", "Runs", "Reason"), rows, collapse=0)  # cases alike: one row
        blocks += [para(("b", "Unsupported by design"), f": {len(unsupported)} runs of {len(rows)} case/framework "
                        "pairs a framework cannot express exactly (recorded with the reason, never approximated)."),
                   Collapsed(f"The {len(rows)} unsupported pairs and why", (table,))]
    return blocks

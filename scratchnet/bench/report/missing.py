"""The "Missing and failed" section: unreadable files, groups never run, runs not ok.
"""
from __future__ import annotations

from .blocks import Block, Bullets, Heading, para, table_block
from .formatting import DASH, fmt_int, mode_label
from .tables import Results, groups


def missing_blocks(res: Results) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Missing and failed")]
    not_run = [f"{case} / {fw} / {mode_label(mode)}: not run"
               for case, mode, fw, runs in groups(res) if runs.empty]
    failed = res.runs[res.runs["status"] != "ok"]
    if not (res.problems or not_run or len(failed)):
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
        blocks += [para(("b", "Runs not ok")), table_block(headers, rows)]
    return blocks

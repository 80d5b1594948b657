"""Validation of a result table's CSV text: every line is checked, nothing is trusted.

``check_csv(path, spec)`` parses the file with the ``csv`` module (so a row's line number
is known) and reports every damaged line with its reason:

* the header lacks one of the spec's *required* columns, or repeats a name (the whole
  file is refused: no row can be trusted);
* a row has more or fewer fields than the header (a cut or foreign line);
* the file does not end with a line end (it was cut in the middle of its last row);
* a required field is empty; an integer or number column holds something else;
  a flag column is not True/False; ``status`` is not one of ``schema.STATUSES``;
* the row's key repeats an earlier row's key.

Columns the spec does not know (written by a newer or older version, or by another tool)
are kept and not checked; schema columns a table lacks (it predates them) read as empty.
Types come from ``schema.INTEGER_COLUMNS``, ``NUMERIC_COLUMNS`` and ``FLAG_COLUMNS``;
every other column is text.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scratchnet.bench.store import schema


@dataclass(frozen=True)
class TableSpec:
    """What a valid table looks like."""

    columns: tuple[str, ...]            # schema columns, in order
    key: tuple[str, ...]                # unique per row
    required: tuple[str, ...] = ()      # must be present and non-empty (key columns always are)
    check_status: bool = False          # "status" must be one of schema.STATUSES
    present: tuple[str, ...] = ()       # must be in the header (may be empty)


@dataclass(frozen=True)
class Problem:
    line: int      # 1-based line of the file (the header is line 1)
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Checked:
    """A validated table: its valid rows (as strings) and what was wrong with the rest."""

    path: Path
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)    # line of each valid row
    problems: list[Problem] = field(default_factory=list)
    fatal: str = ""                                   # the whole file is unusable

    @property
    def damaged(self) -> bool:
        return bool(self.problems or self.fatal)

    def describe(self, limit: int = 5) -> str:
        if self.fatal:
            return f"{self.path}: {self.fatal}"
        shown = "; ".join(str(p) for p in self.problems[:limit])
        more = f"; and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
        return f"{self.path}: {len(self.problems)} damaged line(s): {shown}{more}"

    def frame(self, columns: Sequence[str]) -> pd.DataFrame:
        """The valid rows as pandas would read them, with every schema column present."""
        text = valid_csv_text(self.header, self.rows)
        frame = pd.read_csv(io.StringIO(text)) if self.rows else pd.DataFrame(columns=self.header)
        for col in columns:
            if col not in frame.columns:
                frame[col] = pd.Series([float("nan")] * len(frame), index=frame.index, dtype=object)
        extra = [c for c in frame.columns if c not in columns]
        return frame[[*columns, *extra]]


def valid_csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _integer(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return value != value or value.is_integer()  # NaN counts as "not recorded"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_csv(path: str | os.PathLike, spec: TableSpec) -> Checked:
    """Validate the CSV table at ``path`` (which must exist) against ``spec``."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return Checked(path, [], fatal=f"line {line}: not UTF-8 text ({exc.reason}); not a table written by scratchnet")
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        return Checked(path, [], fatal=f"line {line}: NUL byte; not a table written by scratchnet")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return Checked(path, [])
    except csv.Error as exc:
        return Checked(path, [], fatal=f"line 1: unreadable header ({exc})")
    checked = Checked(path, header)
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        checked.fatal = f"line 1: the header repeats column(s) {dupes}"
        return checked
    needed = list(dict.fromkeys([*spec.key, *spec.required]))
    missing = [c for c in dict.fromkeys([*needed, *spec.present]) if c not in header]
    if missing:
        checked.fatal = (f"line 1: missing columns {missing}; it was not written by this version of "
                         "scratchnet (or its header line is damaged)")
        return checked

    where = {c: i for i, c in enumerate(header)}
    key_idx = [where[c] for c in spec.key]
    required_idx = [(c, where[c]) for c in needed]
    ints = [(c, where[c]) for c in header if c in schema.INTEGER_COLUMNS]
    nums = [(c, where[c]) for c in header if c in schema.NUMERIC_COLUMNS and c not in schema.INTEGER_COLUMNS]
    flags = [(c, where[c]) for c in header if c in schema.FLAG_COLUMNS]
    status_idx = where.get("status") if spec.check_status else None
    statuses = set(schema.STATUSES)
    seen: dict[tuple, int] = {}
    cut_last = not text.endswith("\n")
    last_line = reader.line_num
    start = last_line
    n = len(header)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            checked.problems.append(Problem(last_line + 1, f"unparsable CSV ({exc})"))
            break
        start, last_line = last_line + 1, reader.line_num
        reason = ""
        if not record:
            reason = "blank line"
        elif len(record) != n:
            reason = f"{len(record)} fields where the header has {n} (a cut or foreign line)"
        else:
            for col, i in required_idx:
                if record[i] == "":
                    reason = f"required field {col!r} is empty"
                    break
            if not reason:
                for col, i in ints:
                    if record[i] != "" and not _integer(record[i]):
                        reason = f"column {col!r} holds {record[i][:40]!r}, not an integer"
                        break
            if not reason:
                for col, i in nums:
                    if record[i] != "" and not _number(record[i]):
                        reason = f"column {col!r} holds {record[i][:40]!r}, not a number"
                        break
            if not reason:
                for col, i in flags:
                    if record[i] not in ("True", "False", ""):
                        reason = f"column {col!r} holds {record[i][:40]!r}, not True/False"
                        break
            if not reason and status_idx is not None and record[status_idx] not in statuses:
                reason = f"status {record[status_idx][:40]!r} is not one of {sorted(statuses)}"
            if not reason and key_idx:
                key = tuple(record[i] for i in key_idx)
                if key in seen:
                    reason = f"duplicate key {dict(zip(spec.key, key))} (first on line {seen[key]})"
                else:
                    seen[key] = start
        if reason:
            checked.problems.append(Problem(start, reason))
        else:
            checked.rows.append(record)
            checked.lines.append(start)
    if cut_last and start > 1:  # the last record read is incomplete, valid-looking or not
        if checked.lines and checked.lines[-1] == start:
            checked.lines.pop()
            checked.rows.pop()
            checked.problems.append(Problem(start, "the file ends inside this row (no line end): it was cut short"))
        elif not checked.problems or checked.problems[-1].line != start:
            checked.problems.append(Problem(start, "the file ends without a line end: it was cut short"))
    return checked

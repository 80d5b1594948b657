"""The results store: the tables' schema, their validation, the directory lock, every read and write.

:mod:`.results` (re-exported here: ``ResultStore``, ``read_table``, ``upsert_rows``, ``write_json``,
...; the writers' validated reads), :mod:`.frames` (``read_results``: a whole directory as typed tables for
analysis, tolerating missing or partial files), :mod:`.schema` (column names and types: the contract between runner and report),
:mod:`.validate` (row-level checks naming file, line and column) and :mod:`.lock` (one writer per
directory, task claims). Imports nothing else of the suite; everything else may import it.
"""
from __future__ import annotations

from .results import (DONE_STATUSES, DamagedTable, ResultStore, atomic_write_bytes, quarantine,
    read_table, table_specs, upsert_rows, write_json, write_table)

__all__ = ["DONE_STATUSES", "DamagedTable", "ResultStore", "atomic_write_bytes", "quarantine", "read_table",
           "table_specs", "upsert_rows", "write_json", "write_table"]

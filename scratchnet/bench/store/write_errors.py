"""One line instead of a traceback when a results directory cannot be written.

A full file system (``ENOSPC``, ``EDQUOT``), a read-only one (``EROFS``), a directory without write
permission (``EACCES``, ``EPERM``) or a path whose parent is missing or not a folder (``ENOENT``,
``ENOTDIR``) ends a command with :func:`write_error_line`: the results directory, the file that
could not be written, why, and the command that resumes. Nothing recorded is lost in any of these
cases: every table is replaced whole through a temporary file (:func:`~.results.atomic_write_bytes`),
so a failed write leaves the previous table as it was, and a resumed run skips what is recorded.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

WRITE_ERRNOS = {errno.ENOSPC: "the file system is full", errno.EROFS: "the file system is read-only",
                errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
                errno.ENOENT: "a folder on the way does not exist", errno.ENOTDIR: "a part of the path is not a folder"}
if hasattr(errno, "EDQUOT"):
    WRITE_ERRNOS[errno.EDQUOT] = "the disk quota is exhausted"

FIXES = {errno.ENOSPC: "free some space", errno.EROFS: "choose a writable --results directory",
         errno.EACCES: "make it writable or choose another --results directory",
         errno.EPERM: "make it writable or choose another --results directory",
         errno.ENOENT: "create it (or its parent) or choose another --results directory",
         errno.ENOTDIR: "choose another --results directory"}


def is_write_error(exc: BaseException) -> bool:
    """True for an ``OSError`` of the kinds this module explains (module docstring)."""
    return isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS


def write_error_line(exc: OSError, results_dir: str | os.PathLike, resume: str) -> str:
    """``results directory DIR: could not write FILE (why: strerror); nothing recorded was lost ...;
    FIX, then resume with: RESUME`` -- one line."""
    where = exc.filename or "a file"
    try:
        shown = Path(where).relative_to(Path(results_dir).resolve()) if Path(where).is_absolute() else Path(where)
    except ValueError:
        shown = Path(where)
    why = WRITE_ERRNOS.get(exc.errno, exc.strerror or "error")
    fix = FIXES.get(exc.errno, "fix it")
    return (f"results directory {results_dir}: could not write {shown} ({why}: {exc.strerror}); nothing "
            f"recorded was lost (tables are replaced whole, never half-written); {fix}, then resume with: {resume}")

"""Advisory locking of a results directory, and claims on the tasks being run.

Two mechanisms, both built on ``fcntl.flock`` (advisory, released by the kernel when the
holding process dies, however it dies):

``DirectoryLock``  ``DIR/.lock``, held across each read-modify-write of the tables. The
                   holder writes ``pid host since`` into the file and empties it on release;
                   a waiter prints one line naming the holder (after a quiet ``quiet_wait``:
                   every merge takes the lock for milliseconds). Finding the file non-empty
                   after acquiring it means the previous holder died while holding it: the
                   lock is taken over (the kernel already freed it) and ``took_over`` names
                   the dead holder, so the caller can say so.
``Session``        one per process using the directory: ``DIR/.claims/session-HOST-PID-RAND``,
                   flocked for the session's whole life. A claim on a task is a small file
                   ``DIR/.claims/<task id>.claim`` naming its session; it is *live* while that
                   session's file is still flocked. Claims are taken and dropped under the
                   directory lock, so two processes never claim the same task, and a claim
                   left by a killed process is recognised as stale and taken over.

The lock files are never deleted while in use (deleting a flocked file lets a second
process lock a new inode of the same name). flock works on local file systems and on
NFS (Linux emulates it with POSIX locks); a directory shared between hosts needs a file
system with working locks.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = ".lock"
CLAIMS_DIR = ".claims"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock or a claim."""

    pid: int
    host: str
    since: str
    session: str = ""

    @classmethod
    def parse(cls, text: str) -> "Holder | None":
        parts = text.split()
        if len(parts) < 3:
            return None
        try:
            pid = int(parts[0])
        except ValueError:
            return None
        return cls(pid, parts[1], parts[2], parts[3] if len(parts) > 3 else "")

    def line(self) -> str:
        return f"{self.pid} {self.host} {self.since} {self.session}".rstrip() + "\n"

    def __str__(self) -> str:
        return f"pid {self.pid} on host {self.host} (since {self.since})"


def _me(session: str = "") -> Holder:
    return Holder(os.getpid(), socket.gethostname(), _now(), session)


class DirectoryLock:
    """Exclusive advisory lock on ``directory`` (re-entrant within one object).

    ``notify`` receives the one-line messages (waiting for a holder longer than
    ``quiet_wait`` seconds, stale lock taken over); the default prints them on stderr.
    """

    def __init__(self, directory: str | os.PathLike, notify: Callable[[str], None] | None = None,
                 quiet_wait: float = 2.0) -> None:
        self.directory = Path(directory)
        self.quiet_wait = quiet_wait
        self.path = self.directory / LOCK_NAME
        self.notify = notify or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.took_over: Holder | None = None
        self._fd: int | None = None
        self._depth = 0
        self._thread_lock = threading.RLock()  # flock does not exclude threads of one process

    def acquire(self) -> None:
        self._thread_lock.acquire()
        if self._depth:
            self._depth += 1
            return
        try:
            self._acquire_file()
        except OSError as exc:
            self._thread_lock.release()
            if exc.filename is None:  # a full disk fails pwrite without a name: name the lock file
                raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
            raise
        except BaseException:
            self._thread_lock.release()
            raise

    def _acquire_file(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if not self._try(fd, self.quiet_wait):
                holder = Holder.parse(os.pread(fd, 512, 0).decode(errors="replace"))
                self.notify(f"{self.directory}: waiting for the results lock held by "
                            f"{holder or 'another process'}")
                fcntl.flock(fd, fcntl.LOCK_EX)
            previous = Holder.parse(os.pread(fd, 512, 0).decode(errors="replace"))
            if previous is not None:  # its holder never released it: that process is gone
                self.took_over = previous
                self.notify(f"{self.directory}: took over the results lock left by {previous}; "
                            "that process ended without releasing it")
            os.ftruncate(fd, 0)
            os.pwrite(fd, _me().line().encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._depth = fd, 1

    @staticmethod
    def _try(fd: int, patience: float) -> bool:
        """Try to lock for ``patience`` seconds (short waits are normal and not reported)."""
        deadline = time.monotonic() + patience
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def release(self) -> None:
        if not self._depth:
            raise RuntimeError(f"{self.path}: release without acquire")
        self._depth -= 1
        try:
            if self._depth:
                return
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)  # an empty lock file means "released cleanly"
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        finally:
            self._thread_lock.release()

    def __enter__(self) -> "DirectoryLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def claim_name(task_id: str) -> str:
    """File name of the claim on ``task_id`` (readable prefix + hash: any text is safe)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in task_id)[:80]
    return f"{safe}-{hashlib.sha256(task_id.encode()).hexdigest()[:12]}.claim"


def _session_alive(path: Path) -> bool:
    """True while some process holds the flock on the session file ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return True
        raise
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


class Session:
    """This process' presence in a results directory; claims tasks for it.

    Claim and release only while holding the directory's ``DirectoryLock``.
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.claims_dir = self.directory / CLAIMS_DIR
        self.claims_dir.mkdir(parents=True, exist_ok=True)
        host = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in socket.gethostname())
        self.name = f"session-{host}-{os.getpid()}-{secrets.token_hex(4)}"
        self.path = self.claims_dir / self.name
        # lock first, then give the file its name: nobody can see it unlocked and tidy it away
        tmp = self.claims_dir / f".{self.name}.tmp"
        self._fd = os.open(tmp, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.pwrite(self._fd, _me(self.name).line().encode(), 0)
        os.replace(tmp, self.path)
        self.mine: set[str] = set()

    def holder_of(self, task_id: str) -> Holder | None:
        """The live holder of a claim on ``task_id`` (None: unclaimed, or its claimer died)."""
        path = self.claims_dir / claim_name(task_id)
        try:
            holder = Holder.parse(path.read_text())
        except FileNotFoundError:
            return None
        if holder is None or not holder.session:
            return None
        if holder.session == self.name or _session_alive(self.claims_dir / holder.session):
            return holder
        return None

    def claim(self, task_id: str) -> Holder | None:
        """Claim ``task_id``; returns None when claimed for us, else the live holder."""
        holder = self.holder_of(task_id)
        if holder is not None and holder.session != self.name:
            return holder
        path = self.claims_dir / claim_name(task_id)
        tmp = path.with_name(path.name + f".{self.name}.tmp")
        tmp.write_text(_me(self.name).line() + task_id + "\n")
        os.replace(tmp, path)
        self.mine.add(task_id)
        return None

    def release(self, task_id: str) -> None:
        """Drop our claim on ``task_id`` (no-op if it is not ours)."""
        if task_id in self.mine:
            (self.claims_dir / claim_name(task_id)).unlink(missing_ok=True)
            self.mine.discard(task_id)

    def close(self) -> None:
        """Drop every claim still held, and the session itself."""
        for task_id in list(self.mine):
            self.release(task_id)
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self.tidy()

    def tidy(self) -> None:
        """Remove the files of dead sessions and the claims they left."""
        dead = {p.name for p in self.claims_dir.glob("session-*") if not _session_alive(p)}
        for claim in self.claims_dir.glob("*.claim"):
            try:
                holder = Holder.parse(claim.read_text())
            except FileNotFoundError:
                continue
            if holder is None or holder.session in dead or not (self.claims_dir / holder.session).exists():
                claim.unlink(missing_ok=True)
        for name in dead:
            (self.claims_dir / name).unlink(missing_ok=True)

"""One writer at a time: a lock file beside the warehouse, held by whatever writes to it.

DuckDB lets one process write a database file, and only while no other process has it open. Two
pipeline runs on one warehouse (a schedule and a person, or two terminals) would otherwise collide
deep inside DuckDB with "Could not set lock on file". Every writer of the pipeline (``lifecycle run``
for its whole run, and each ingestion, dbt and activation step of a Dagster run) holds
:func:`writer_lock` on ``<warehouse>.lock`` while it writes; a second writer waits for it up to
``wait`` seconds and then gives up with :class:`WarehouseBusy`, whose message is one line naming the
holder.

The lock is an ``flock`` on the lock file, so the kernel releases it when the holding process dies
(a killed run never leaves a stale lock). It is re-entrant within a process: ``lifecycle run`` holds it
and the Dagster steps it runs in-process take it again without blocking.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from warehouse_io.connection import resolve_path, utcnow

_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth) held by this process
_guard = threading.RLock()


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's writer lock (the message says who and since when)."""


def lock_path(warehouse: Path | str) -> Path:
    target = resolve_path(warehouse)
    return target.with_name(target.name + ".lock")


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return f"{info.get('purpose') or 'another process'} (pid {info.get('pid')}, since {info.get('since')} UTC)"


@contextlib.contextmanager
def writer_lock(warehouse: Path | str, *, wait: float = 0.0, purpose: str = "a pipeline run",
                poll: float = 0.2) -> Iterator[None]:
    """Hold the writer lock of ``warehouse`` for the block; wait up to ``wait`` seconds for it."""
    path = lock_path(warehouse)
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                fd, depth = _held[key]
                _held[key] = (fd, depth - 1)
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(0.0, wait)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait:.0f} s" if wait else ""
                    raise WarehouseBusy(
                        f"warehouse {resolve_path(warehouse)} is busy{waited}: {_holder(path)} is writing to it"
                    ) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "purpose": purpose,
                                  "since": utcnow().isoformat(timespec="seconds")}).encode(), 0)
        with _guard:
            _held[key] = (fd, 1)
    except BaseException:
        os.close(fd)
        raise
    try:
        yield
    finally:
        with _guard:
            _held.pop(key, None)
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor releases the flock


def holds_writer_lock(warehouse: Path | str) -> bool:
    """True when this process holds the writer lock of ``warehouse``."""
    with _guard:
        return str(lock_path(warehouse)) in _held

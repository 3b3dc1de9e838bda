"""An exclusive lock on the outbox, so that two merges cannot interleave their outputs (filelock: an OS lock that
the OS releases when the process dies, done right on Windows and Unix alike)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.errors import OutboxLocked

LOCK_NAME = ".pipeline.outputs.lock"


@contextmanager
def held(lock_file: Path, refused: Exception) -> Iterator[None]:
    """Hold the lock of this file for the duration of the block, or raise ``refused`` at once."""
    lock = FileLock(str(lock_file), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise refused from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def outbox_lock(outbox: Path) -> Iterator[None]:
    """Hold the outbox lock for the duration of the block, or raise OutboxLocked at once."""
    outbox.mkdir(parents=True, exist_ok=True)
    message = f"別の pipeline merge が出力先 {outbox} に書き込み中です。終わるのを待ってからもう一度実行してください。"
    with held(outbox / LOCK_NAME, OutboxLocked(message)):
        yield

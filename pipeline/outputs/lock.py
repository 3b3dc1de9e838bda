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
def outbox_lock(outbox: Path) -> Iterator[None]:
    """Hold the outbox lock for the duration of the block, or raise OutboxLocked at once."""
    outbox.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(outbox / LOCK_NAME), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutboxLocked(
            f"別の pipeline merge が出力先 {outbox} に書き込み中です。終わるのを待ってからもう一度実行してください。"
        ) from None
    try:
        yield
    finally:
        lock.release()

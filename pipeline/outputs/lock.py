"""An exclusive lock on the outbox, so that two merges cannot interleave their outputs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pipeline.errors import OutboxLocked

LOCK_NAME = ".pipeline.outputs.lock"


def _try_lock(handle: IO[bytes]) -> bool:
    """Take an OS lock that the OS releases if the process dies (flock on Unix, msvcrt on Windows)."""
    try:
        import fcntl
    except ImportError:
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def outbox_lock(outbox: Path) -> Iterator[None]:
    """Hold the outbox lock for the duration of the block, or raise OutboxLocked at once."""
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / LOCK_NAME
    handle = path.open("a+b")
    try:
        if not _try_lock(handle):
            raise OutboxLocked(
                f"別の pipeline merge が出力先 {outbox} に書き込み中です。終わるのを待ってからもう一度実行してください。"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        yield
    finally:
        handle.close()

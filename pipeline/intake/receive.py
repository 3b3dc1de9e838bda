"""Receive one submission's bytes: opened without following links, checked to be the file discovery saw, and
read once, whole, while it is not being written.

The inbox is read-only to the pipeline: a file is only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.constants import SETTLE_SECONDS
from pipeline.model import Code, FileResult, Task, make_issue

# A pre-allocated copy in progress ends in zeros; a complete zip ends with its directory.
_ZERO_TAIL = 512
_EOCD_SEARCH = 65_557  # the end-of-central-directory record lies within this many bytes of the end
_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True)
class Received:
    """A submission's bytes and what was true of the file when they were read."""

    data: bytes
    sha256: str
    size: int
    mtime: float


class _Swapped(Exception):
    """The path no longer leads to the regular file that discovery saw (a link, a folder or another file)."""


def _read(path: Path, identity: tuple[int, int] | None) -> tuple[os.stat_result, bytes, os.stat_result]:
    if os.name == "nt" and path.is_symlink():  # no O_NOFOLLOW on Windows: refuse a link seen before opening
        raise _Swapped
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if path.is_symlink():  # ELOOP from O_NOFOLLOW
            raise _Swapped from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(handle.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise _Swapped
        if identity is not None and (before.st_dev, before.st_ino) != identity and before.st_ino:
            raise _Swapped
        data = handle.read()
        after = os.fstat(handle.fileno())
    return before, data, after


def _settling(data: bytes, st: os.stat_result) -> bool:
    """A file modified within SETTLE_SECONDS whose bytes are not a whole zip yet (empty, or no end-of-directory
    record): a copy that has paused, to be read next time, not a broken file."""
    if time.time() - st.st_mtime > SETTLE_SECONDS:
        return False
    return not data or (data.startswith(b"PK") and data.rfind(b"PK\x05\x06", max(0, len(data) - _EOCD_SEARCH)) < 0)


def receive(task: Task) -> Received | FileResult:
    """The file's bytes, or the result that says why it cannot be read now (unreadable, swapped, in transit)."""
    display = task.display
    try:
        before, data, after = _read(Path(os.fsdecode(task.path)), task.identity)
    except _Swapped:
        return FileResult(display, issues=(make_issue(Code.FILE_SWAPPED, file=display),))
    except OSError as exc:
        return FileResult(display, issues=(make_issue(Code.FILE_UNREADABLE, file=display, detail=exc.strerror or exc),))
    moved = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size
    if task.size is not None and (task.size, task.mtime_ns) != (after.st_size, after.st_mtime_ns):
        moved = True
    if moved or (len(data) > _ZERO_TAIL and not data[-_ZERO_TAIL:].strip(b"\0")) or _settling(data, after):
        issue = make_issue(Code.IN_TRANSIT, file=display)
        return FileResult(display, size=after.st_size, mtime=after.st_mtime, in_transit=True, issues=(issue,))
    return Received(data, hashlib.sha256(data).hexdigest(), len(data), after.st_mtime)

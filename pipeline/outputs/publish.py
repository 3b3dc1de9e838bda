"""One publication: outputs staged in a hidden folder, flushed to disk, then swapped into place all together
or not at all (the previous outputs are kept until the new ones are in, and put back on failure)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.outputs.names import SUMMARY_JSON_NAME, SUMMARY_MD_NAME, TABLES_DIR, WORKBOOK_NAME

TMP_PREFIX = ".tmp-"


STALE_TMP_SECONDS = 3600.0
KEPT_DIR = "previous"  # inside the temporary folder: the outputs being replaced, until the new ones are in


def fsync(path: Path) -> None:
    """Flush a file (or, on POSIX, a folder) to disk, so that a rename never exposes unwritten data."""
    if path.is_dir():
        if os.name != "posix":
            return
        fd = os.open(path, os.O_RDONLY)
    else:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path


def _move(source: Path, target: Path) -> None:
    """os.replace, retried briefly on Windows sharing violations; a file held open becomes a clear message."""
    last: PermissionError | None = None
    for delay in (0.0, 0.2, 0.5, 1.0):
        if delay:
            time.sleep(delay)
        try:
            source.replace(target)
            return
        except PermissionError as exc:
            last = exc
    raise PipelineError(
        f"出力 {target} を置き換えられません（{last}）。Excel などで開いている場合は閉じてから、もう一度実行してください。"
    ) from last


Undo = Callable[[], None]


def _keep(target: Path, kept: Path) -> None:
    """Keep the current version of an output (a hard link, else a copy) so that it can be put back."""
    try:
        os.link(target, kept)
    except OSError:
        shutil.copy2(target, kept)


def _replace_file(new: Path, target: Path, kept: Path) -> Undo:
    """Replace one output file atomically; return how to put the previous version back."""
    existed = target.exists()
    if existed:
        _keep(target, kept)
    _move(new, target)

    def undo() -> None:
        if existed:
            kept.replace(target)
        else:
            target.unlink(missing_ok=True)

    return undo


def _swap_folder(new: Path, target: Path, kept: Path) -> Undo:
    """Replace the tables/ folder: the old one aside, the new one in; return how to swap back."""
    existed = target.exists()
    if existed:
        _move(target, kept)
    try:
        _move(new, target)
    except BaseException:
        if existed and not target.exists():
            kept.replace(target)
        raise

    def undo() -> None:
        target.replace(new)
        if existed:
            kept.replace(target)

    return undo


def publish(staging: Path, outbox: Path) -> None:
    """Move the staged outputs into place, the workbook first (Excel may hold it) and summary.json last.

    If any step fails (a file held open on Windows, a full disk), the steps already done are
    undone, so the outbox keeps the previous outputs as a set.
    """
    kept = staging / KEPT_DIR
    kept.mkdir()
    undo: list[Undo] = []
    try:
        for name in (WORKBOOK_NAME, SUMMARY_MD_NAME):
            undo.append(_replace_file(staging / name, outbox / name, kept / name))
        undo.append(_swap_folder(staging / TABLES_DIR, outbox / TABLES_DIR, kept / TABLES_DIR))
        undo.append(_replace_file(staging / SUMMARY_JSON_NAME, outbox / SUMMARY_JSON_NAME, kept / SUMMARY_JSON_NAME))
    except BaseException:
        for step in reversed(undo):
            with contextlib.suppress(OSError):
                step()
        raise
    fsync(outbox)


def recover_tables(outbox: Path) -> None:
    """Put back a tables/ folder that a crash left aside between the two renames of the swap."""
    if (outbox / TABLES_DIR).exists():
        return
    aside = sorted(outbox.glob(f"{TMP_PREFIX}*/{KEPT_DIR}/{TABLES_DIR}"), key=lambda p: p.stat().st_mtime, reverse=True)
    if aside:
        aside[0].replace(outbox / TABLES_DIR)


def remove_stale(outbox: Path) -> None:
    """Delete temporary folders that crashed runs left behind more than an hour ago."""
    now = time.time()
    for path in outbox.iterdir():
        if path.name.startswith(TMP_PREFIX) and path.is_dir():
            try:
                stale = now - path.stat().st_mtime > STALE_TMP_SECONDS
            except OSError:
                continue
            if stale:
                shutil.rmtree(path, ignore_errors=True)

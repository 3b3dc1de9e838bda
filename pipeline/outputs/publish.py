"""One publication: every file the pipeline writes is staged in a hidden folder beside its target, flushed to
disk, then moved into place together, or not at all.

Used by every writer: the merge's outputs with the feedback copies, `pipeline template`, `validate --annotate`.

- The previous version of each file is kept until the new set is in; any failure puts every one back.
- A crash in the middle (power cut, SIGKILL) leaves a journal in the staging folder; the next publication in the
  same folder rolls the half-done set back before it starts.
- With a manifest, the publication knows what the pipeline itself wrote last time: files it wrote then and does
  not write now are removed; nothing else in the folder (the office's own files) is ever touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from types import TracebackType

from pipeline.errors import PipelineError

TMP_PREFIX = ".tmp-"
STALE_TMP_SECONDS = 3600.0
MANIFEST = ".pipeline-manifest.json"  # what the pipeline published last time in this folder
_KEPT = ".previous"  # inside the staging folder: the files being replaced, until the new ones are in
_JOURNAL = ".journal.json"  # inside the staging folder: what a commit in progress is replacing
_SCRATCH = ".scratch"  # inside the staging folder: writers' temporary files, never published

Undo = Callable[[], None]

_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED_NAMES = frozenset({"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)})
# A file name is at most 255 bytes (ext4, APFS) or 255 UTF-16 units (NTFS): a name part keeps room for a suffix
# such as "_12.xlsx" within both, however many bytes its characters take.
MAX_NAME_BYTES = 200


def portable_name(text: str | None) -> str:
    """A file or folder name from user text, usable on Windows and Unix: no reserved characters or names, no
    leading or trailing dots and spaces, at most MAX_NAME_BYTES bytes of UTF-8 (cut at a character)."""
    if text is None:
        return ""
    name = unicodedata.normalize("NFC", text)
    name = " ".join(name.split())  # tabs, line breaks, full-width and repeated spaces become one space
    name = _UNSAFE_NAME.sub("_", name).strip(" .")  # Windows drops trailing dots; a leading dot hides on Unix
    name = name.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" .")
    if name.split(".")[0].upper() in _RESERVED_NAMES:
        name = f"_{name}"
    return name


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
    """Write UTF-8 text with Unix newlines."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


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


def _keep(target: Path, kept: Path) -> None:
    """Keep the current version of a file (a hard link, else a copy) so that it can be put back."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(target, kept)
    except OSError:
        shutil.copy2(target, kept)


def _replace_file(new: Path, target: Path, kept: Path) -> Undo:
    """Replace one file atomically; return how to put the previous version back."""
    existed = target.is_file()
    if existed:
        _keep(target, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    _move(new, target)

    def undo() -> None:
        if existed:
            kept.replace(target)
        else:
            target.unlink(missing_ok=True)

    return undo


def _remove_file(target: Path, kept: Path) -> Undo:
    """Remove a file the pipeline no longer publishes; return how to put it back."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    _move(target, kept)

    def undo() -> None:
        kept.replace(target)

    return undo


def read_manifest(folder: Path) -> set[str]:
    """The files (relative, '/'-separated) the pipeline published in this folder last time; empty if unknown."""
    try:
        names = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(names, list):
        return set()
    return {n for n in names if isinstance(n, str) and _safe_relative(n)}


def _safe_relative(name: str) -> bool:
    """A manifest entry that stays inside its folder (never absolute, never '..')."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name and ":" not in name


def _roll_back(staging: Path, root: Path) -> None:
    """Undo what a crashed commit had done, from its journal: kept versions back, new files out."""
    try:
        entries = json.loads((staging / _JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for relative, existed in reversed(entries):
        if not isinstance(relative, str) or not _safe_relative(relative):
            continue
        target, kept, new = root / relative, staging / _KEPT / relative, staging / relative
        with contextlib.suppress(OSError):
            if kept.is_file():
                kept.replace(target)
            elif not existed and not new.exists():  # it had been moved in: take it out again
                target.unlink(missing_ok=True)


def recover(root: Path) -> None:
    """Roll back commits that crashed in this folder, and remove staging folders left for over an hour."""
    if not root.is_dir():
        return
    now = time.time()
    for path in root.iterdir():
        if not (path.name.startswith(TMP_PREFIX) and path.is_dir()):
            continue
        if (path / _JOURNAL).exists():
            _roll_back(path, root)
            shutil.rmtree(path, ignore_errors=True)
            continue
        try:
            stale = now - path.stat().st_mtime > STALE_TMP_SECONDS
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)


class Publication:
    """Files written into a staging folder, then published into ``root`` together by `commit`.

    Use as a context manager: leaving it without a commit discards everything staged. Callers that publish into
    a shared folder hold its lock (pipeline.outputs.lock) for the whole publication.
    """

    def __init__(self, root: Path, *, manifest: bool = False) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        recover(self.root)
        self.manifest = manifest
        self.staging = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=self.root))
        self.scratch = self.staging / _SCRATCH
        self.scratch.mkdir()

    def __enter__(self) -> Publication:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.discard()

    def path(self, relative: str) -> Path:
        """Where to write the file that will be published as ``root/relative`` (its folder is made)."""
        if not _safe_relative(relative):
            raise ValueError(f"not a relative path inside the folder: {relative!r}")
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def folder(self, relative: str) -> Path:
        """Where to write the files of the folder that will be published as ``root/relative`` (it is made)."""
        if not _safe_relative(relative):
            raise ValueError(f"not a relative path inside the folder: {relative!r}")
        path = self.staging / relative
        path.mkdir(parents=True, exist_ok=True)
        return path

    def staged(self) -> list[str]:
        """The files staged so far, relative and '/'-separated, sorted."""
        names = []
        for path in self.staging.rglob("*"):
            relative = path.relative_to(self.staging)
            if relative.parts[0] in (_KEPT, _SCRATCH, _JOURNAL) or not path.is_file():
                continue
            names.append(relative.as_posix())
        return sorted(names)

    def commit(self, *, first: Sequence[str] = (), last: Sequence[str] = ()) -> list[Path]:
        """Flush the staged files to disk and move them into place, ``first`` ones first (a workbook Excel may hold
        open fails early) and ``last`` ones last; with a manifest, remove what the pipeline published last time and
        not now. Any failure puts every file back as it was. Returns the published paths, in the order moved."""
        names = self.staged()
        rank = {name: i for i, name in enumerate(first)}
        names.sort(key=lambda n: (0, rank[n]) if n in rank else (2, last.index(n)) if n in last else (1, n))
        for name in names:
            fsync(self.staging / name)
        for folder in {(self.staging / name).parent for name in names}:
            fsync(folder)
        previous = read_manifest(self.root) if self.manifest else set()
        gone = sorted(n for n in previous - set(names) if (self.root / n).is_file())
        journal = [[name, (self.root / name).is_file()] for name in [*names, *gone]]
        (self.staging / _JOURNAL).write_text(json.dumps(journal, ensure_ascii=False), encoding="utf-8")
        fsync(self.staging / _JOURNAL)
        kept = self.staging / _KEPT
        undo: list[Undo] = []
        try:
            for name in names:
                undo.append(_replace_file(self.staging / name, self.root / name, kept / name))
            for name in gone:
                undo.append(_remove_file(self.root / name, kept / name))
            if self.manifest:
                record = self.staging / MANIFEST
                record.write_text(json.dumps(names, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
                fsync(record)
                undo.append(_replace_file(record, self.root / MANIFEST, kept / MANIFEST))
        except BaseException:
            for step in reversed(undo):
                with contextlib.suppress(OSError):
                    step()
            (self.staging / _JOURNAL).unlink(missing_ok=True)
            raise
        (self.staging / _JOURNAL).unlink(missing_ok=True)
        self._prune({(self.root / name).parent for name in gone})
        fsync(self.root)
        return [self.root / name for name in names]

    def _prune(self, folders: set[Path]) -> None:
        """Remove folders that the removal of the pipeline's own files left empty (never the root)."""
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != self.root and self.root in folder.parents:
                try:
                    folder.rmdir()  # only succeeds when empty
                except OSError:
                    break
                folder = folder.parent

    def discard(self) -> None:
        """Remove the staging folder and whatever is left in it."""
        shutil.rmtree(self.staging, ignore_errors=True)

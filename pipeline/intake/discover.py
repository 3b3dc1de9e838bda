"""Find the submissions under the inbox: workbooks to read, and every other file with its fate."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.constants import (
    LOCK_PREFIX,
    MANIFEST_NAME,
    OS_FILES,
    OS_FOLDERS,
    ROSTER_COLUMNS,
    TEMP_SUFFIXES,
    UNSUPPORTED_SUFFIXES,
    WORKBOOK_SUFFIXES,
)
from pipeline.errors import UsageProblem

ROSTER_NOTE = "所属名簿（提出物ではありません）"


@dataclass(frozen=True)
class Found:
    """One file seen in the inbox."""

    path: str  # the OS path, as given to open()
    display: str  # relative to the inbox, '/'-separated, NFC, printable
    kind: (
        str  # "workbook", "unsupported" (a spreadsheet in another format), "other" (not a 工程表), "roster", "skipped"
    )
    size: int
    mtime_ns: int
    detail: str = ""  # for unsupported: the format; for other, roster and skipped: why
    identity: tuple[int, int] | None = None  # (device, inode): the file a worker reads must be this one


def display_name(relative: str) -> str:
    """A relative path made readable and stable: undecodable bytes tried as Shift_JIS, NFC, controls escaped."""
    parts = []
    for part in relative.replace(os.sep, "/").split("/"):
        raw = os.fsencode(part)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp932")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
        text = unicodedata.normalize("NFC", text)
        parts.append("".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text))
    return "/".join(parts)


def _classify(name: str) -> tuple[str, str]:
    lower = unicodedata.normalize("NFC", name).lower()
    if name.startswith(LOCK_PREFIX):
        return "skipped", "Office のロックファイル（編集中の一時ファイル）"
    if name.startswith("."):
        return "skipped", "隠しファイル"
    if lower.endswith(TEMP_SUFFIXES) or name.startswith("~"):
        return "skipped", "一時ファイル"
    suffix = Path(lower).suffix
    if suffix in WORKBOOK_SUFFIXES:
        return "workbook", ""
    if suffix in UNSUPPORTED_SUFFIXES:
        return "unsupported", UNSUPPORTED_SUFFIXES[suffix]
    kind = f"拡張子「{suffix}」" if suffix else "拡張子なし"
    return "other", f"工程表ではないファイル（{kind}）のため、読み込みの対象外です"


def _is_roster(path: Path) -> bool:
    """Whether a CSV is the division master list: its first line names the roster's columns."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    for encoding in ("utf-8-sig", "cp932"):
        try:
            first = head.decode(encoding).splitlines()[0] if head else ""
        except (UnicodeDecodeError, IndexError):
            continue
        cells = {cell.strip().strip('"') for cell in first.split(",")}
        return all(column in cells for column in ROSTER_COLUMNS[1:])
    return False


def _ignored(entry: Path) -> bool:
    """The operating system's own files and folders, and the pipeline's own outputs: never listed at all."""
    name = entry.name.casefold()
    if entry.is_dir():
        return name in OS_FOLDERS or (entry / MANIFEST_NAME).exists()
    return name in OS_FILES or name.startswith("._")


def _walk(folder: Path, excluded: set[Path], names: set[str]) -> Iterator[Path]:
    """Regular files under ``folder``, depth first, sorted; hidden folders, symlinks, the outbox, the operating
    system's files and any folder the pipeline published to (it holds a manifest) skipped.

    Only an entry named like an excluded path is resolved to compare it (resolving every file costs a system
    call per path component).
    """
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink() or (entry.name.casefold() in names and entry.resolve() in excluded):
            continue
        if _ignored(entry):
            continue
        if entry.is_dir():
            if not entry.name.startswith("."):
                yield from _walk(entry, excluded, names)
        elif entry.is_file():
            yield entry


def discover(inbox: Path, *, exclude: tuple[Path, ...] = ()) -> list[Found]:
    """Every regular file under the inbox (recursively), classified, sorted by display name."""
    excluded = {p.resolve() for p in exclude}
    names = {p.name.casefold() for p in excluded} | {p.name.casefold() for p in exclude}
    found = []
    for path in _walk(inbox, excluded, names):
        try:
            st = path.lstat()
        except OSError:
            continue
        kind, detail = _classify(path.name)
        if kind == "unsupported" and path.suffix.lower() == ".csv" and _is_roster(path):
            kind, detail = "roster", ROSTER_NOTE
        relative = str(path.relative_to(inbox))
        identity = (st.st_dev, st.st_ino)
        found.append(Found(str(path), display_name(relative), kind, st.st_size, st.st_mtime_ns, detail, identity))
    found.sort(key=lambda f: f.display)
    return found


def workbooks_in(paths: Sequence[Path]) -> list[Path]:
    """The files named, with each folder replaced by the workbooks under it (as `pipeline merge` finds them)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        books = [Path(f.path) for f in discover(path) if f.kind == "workbook"]
        if not books:
            raise UsageProblem(f"フォルダ {path} に工程表ファイル（.xlsx / .xlsm）がありません。")
        found.extend(books)
    return found

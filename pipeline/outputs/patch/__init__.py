"""Feedback copies made by patching the division's xlsx package: only the parts that carry marks change.

The division's own zip with a few parts edited as text, every other member copied as it was compressed:
``xl/styles.xml`` (mark formats appended), each marked worksheet with its comments and VML drawing, and the
確認結果 sheet put first. Parts are edited with regular expressions on their text, never through an XML parser,
so no entity is ever expanded; the package has passed preflight before it gets here. Re-annotating a copy
replaces the pipeline's own sheet, comments and marks. (openpyxl's round trip in pipeline.outputs.feedback
costs ~200 ms a copy and drops what it does not model; it stays as the fallback.)"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import zipfile
from collections.abc import Sequence
from pathlib import Path

from pipeline.model import Issue
from pipeline.outputs.marks import _list_key, checked_at
from pipeline.outputs.patch.book import _Book
from pipeline.outputs.patch.common import _RT_WORKSHEET, PatchError
from pipeline.outputs.patch.package import _Package
from pipeline.outputs.patch.results import _results_sheet
from pipeline.outputs.patch.sheet import _patch_sheet, _plan
from pipeline.outputs.patch.styles import _Styles

__all__ = ["PatchError", "patch_file", "patch_workbook"]


def patch_workbook(data: bytes, issues: Sequence[Issue], *, filename: str, now: dt.datetime | None = None) -> bytes:
    """The division's workbook (its bytes) with every issue marked on its cell and listed on a first sheet 確認結果.

    ``filename`` is the name the division knows the file by (shown on 確認結果); ``now`` the time shown
    there (default: the current time). Raises PatchError for a package it cannot patch faithfully.
    """
    try:
        package = _Package(data)
        book = _Book(package)
        book.drop_macros()
        again = book.drop_results_sheet()
        styles = _Styles(package, book.styles_part())
        sheets = [sheet for sheet in book.sheets if sheet.kind == _RT_WORKSHEET and package.has(sheet.part)]
        marks, placed = _plan(package, sheets, issues)
        clear = styles.marked_formats()
        if again or clear:
            styles.compare_thoroughly()
        for sheet in sheets:
            if sheet.part is not None:
                _patch_sheet(package, styles, sheet.part, marks.get(sheet.name, {}), clear)
        order = {sheet.name: index for index, sheet in enumerate(book.sheets)}
        ordered = sorted(issues, key=lambda issue: _list_key(issue, order))
        stamp = checked_at(now)
        book.add_results_sheet(_results_sheet(styles, filename, stamp, ordered, placed))
        book.select_first()
        styles.save()
        return package.save()
    except (KeyError, ValueError, IndexError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise PatchError(f"{type(error).__name__}: {error}") from error


def patch_file(source: Path, issues: Sequence[Issue], target: Path, *, data: bytes | None = None) -> Path:
    """Write the patched copy of ``source`` (or of ``data``, its bytes already read) to ``target`` as .xlsx, atomically;
    annotate's signature, so that the worker can call either."""
    source, target = Path(source), Path(target).with_suffix(".xlsx")
    if target.resolve() == source.resolve():
        raise ValueError(f"refusing to overwrite the original workbook {source}")
    copy = patch_workbook(source.read_bytes() if data is None else data, issues, filename=source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A hidden name in the same folder, so that the rename is atomic and a crash leaves no half-written copy.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        temporary.write_bytes(copy)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target

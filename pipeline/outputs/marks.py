"""The words, colours and sizes of a feedback copy's marks and its 確認結果 sheet, shared by the patched copy
(pipeline.outputs.patch) and the openpyxl fallback (pipeline.outputs.feedback); no openpyxl here, so that a worker
making patched copies never imports it."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from pipeline.contract.cells import column_number
from pipeline.model import Issue

SHEET_RESULTS = "確認結果"
AUTHOR = "工程表 pipeline"
SEVERITY_LABELS = {"blocking": "受理不可", "error": "エラー", "warning": "警告"}
HOW_TO_RESUBMIT = (
    "赤のセルはエラー、黄色のセルは警告。該当セルのコメントを読み、値を直して保存し、"
    "このファイルをそのまま再提出してください。確認結果シートや色・コメントは残したままで構いません。"
    "行・列・シートは削除しないでください。"
)
HEADERS = ("重要度", "シート", "セル", "項目", "コード", "メッセージ")

# Excel's own 「悪い」 and 「どちらでもない」 fills, each with a dark border of its text colour, so that a
# warning stays distinct from the template's pale yellow input cells.
_ERROR_RGB, _ERROR_EDGE_RGB = "FFC7CE", "9C0006"
_WARNING_RGB, _WARNING_EDGE_RGB = "FFEB9C", "9C5700"
_ORIGINAL_COMMENT = "――元のコメント（{author}）――"
_ORIGINAL_COMMENT_RE = re.compile(r"\n*――元のコメント（(?P<author>.*?)）――\n(?P<text>.*)\Z", re.S)

_CELL_RE = re.compile(r"^\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>\d{1,7})$")
_MAX_ROW, _MAX_COL = 1_048_576, 16_384
_MAX_TEXT = 32_767  # Excel's limit on the characters of one cell

# Comment box: about 30 full-width characters a line at Excel's 9pt comment font.
_COMMENT_WIDTH_PX = 420
_COMMENT_UNITS_PER_LINE = 60
_COMMENT_LINE_PX = 16

_WIDTHS = (8.0, 12.0, 8.0, 22.0, 24.0, 90.0)  # HEADERS, in Excel character units
_HEADER_ROW = 8
_LINE_PT = 15.0  # one line of 10pt Japanese text

# Characters XML 1.0 cannot hold (the C0 controls other than tab, line feed and carriage return).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _by_severity(issues: Iterable[Issue]) -> list[Issue]:
    """Errors before warnings, otherwise in the order found."""
    return sorted(issues, key=lambda issue: issue.severity == "warning")


def _list_key(issue: Issue, order: dict[str, int]) -> tuple[int, int, int, int, str]:
    """Errors first; then file-level issues, then by sheet order, row and column; then code."""
    where = _parse_cell(issue.cell) or (0, 0)
    sheet = -1 if not issue.sheet else order.get(issue.sheet, len(order))
    return (issue.severity == "warning", sheet, where[0], where[1], issue.code)


def _parse_cell(text: str) -> tuple[int, int] | None:
    """(row, column) of an A1 address within Excel's grid, or None."""
    match = _CELL_RE.match(text.split(":")[0].strip())
    if match is None:
        return None
    row, col = int(match["row"]), column_number(match["col"])
    if not (1 <= row <= _MAX_ROW and 1 <= col <= _MAX_COL):
        return None
    return row, col


def _comment_height(text: str) -> int:
    """Pixels that show the whole comment without scrolling."""
    lines = sum(max(1, math.ceil(_display_width(line) / _COMMENT_UNITS_PER_LINE)) for line in text.split("\n"))
    return 12 + lines * _COMMENT_LINE_PX


def _display_width(text: str) -> int:
    """Width in half-width units: full-width (Japanese) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "FWA" else 1 for ch in text)


def _height(values: Sequence[Any], widths: Sequence[float]) -> float:
    """A row height that shows every wrapped value in full (Excel does not grow rows it did not lay out)."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        text = "" if value is None else str(value)
        units = max(1.0, width - 1)
        lines = max(lines, sum(max(1, math.ceil(_display_width(part) / units)) for part in text.split("\n")))
    return lines * _LINE_PT + 3


def _clean(text: str) -> str:
    """Text that Excel can store: no XML-illegal control characters, at most 32,767 characters."""
    return _ILLEGAL.sub("\ufffd", text)[:_MAX_TEXT]


JST = dt.timezone(dt.timedelta(hours=9), "JST")


def checked_at(now: dt.datetime | None = None) -> str:
    """When the copy was made, in Japan time (the machine running the merge may keep UTC): 2026-04-01 09:30."""
    return (now or dt.datetime.now(JST)).strftime("%Y-%m-%d %H:%M")

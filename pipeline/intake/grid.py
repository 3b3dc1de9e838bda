"""The bounds on a submission, and a worksheet's grid checked against them from its XML bytes: the used area
within Excel's limits and ours (calamine allocates the whole rectangle from A1), in time linear in the part."""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass

from pipeline.contract.cells import address, column_letters, column_number
from pipeline.intake import xmlscan

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on a submission; a 工程表 needs < 100 rows × 30 columns on a few sheets, so each is generous."""

    # The template is ~30 KB; 20 MB leaves room for pasted photos and maps.
    max_file_bytes: int = 20 * MB
    # Parts in the zip; the template has ~15, a workbook with many images a few hundred.
    max_entries: int = 2_000
    # Inflated size of one part and of all parts together. A 10,000-row sheet is ~5 MB of XML.
    max_part_bytes: int = 50 * MB
    max_total_bytes: int = 200 * MB
    # Inflated:compressed ratio of a part, checked once it has inflated past `ratio_floor_bytes`.
    # Spreadsheet XML compresses 10-20x (up to ~50x for very regular sheets); deflate's ceiling is
    # ~1,030x, which only a bomb reaches. Below the floor a part cannot hurt, whatever its ratio.
    max_ratio: int = 100
    ratio_floor_bytes: int = 1 * MB
    # Excel's classic limit; the template has four sheets.
    max_sheets: int = 255
    # Used area per sheet (last row and last column holding a cell). calamine allocates the whole
    # rectangle from A1, so this bounds the reader's memory at about 10,000 × 256 cells.
    max_rows: int = 10_000
    max_columns: int = 256
    # sharedStrings count/uniqueCount; calamine reserves memory from these attributes.
    max_shared_strings: int = 1_000_000


DEFAULT_LIMITS = Limits()
# Excel's grid.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# Worksheet scanning (pipeline.intake.xmlscan: linear however hostile the part). A tag start whose rest does not read as a
# well-formed tag is refused, not skipped: a lenient reader might still find a reference in it.
_ROW_OR_CELL = xmlscan.tag(rb"row|c")  # slow path: every <row> and <c>
_DIMENSION = xmlscan.name(b"dimension")  # read on every sheet: found by a literal search
_CELL_NAME = re.compile(rb"\$?([A-Za-z]+)\$?([0-9]+)")
_ROW_NUMBER = re.compile(rb"[0-9]+")


def sheet_problem(xml: bytes, limits: Limits) -> str | None:
    """Why a worksheet's cells would overwhelm a reader (outside Excel's grid or a used area over the limits), or None."""
    for start in _DIMENSION.finditer(xml):
        tag = xmlscan.begins_tag(xml, start.start())
        if tag is False:
            continue  # the word in a text
        text = xmlscan.rest_of_tag(xml, start) if tag else None
        if text is None:
            return unreadable_tag(xml, max(0, xml.rfind(b"<", 0, start.start())))
        for key, value in xmlscan.attributes(text):
            if key == b"ref" and value.strip():
                for corner in value.strip().split(b":"):
                    cell = _parse_cell(corner)
                    if cell is None or not _in_grid(*cell):
                        return f"シートの範囲「{shown(value)}」が Excel の範囲（A1:XFD1048576）の外です"
    if not any(pattern.search(xml) for pattern in _unusual_tags(limits)):
        return None
    return _slow_area(xml, limits)


@functools.lru_cache(maxsize=8)
def _unusual_tags(limits: Limits) -> tuple[re.Pattern[bytes], ...]:
    """Regexes finding a <c> or <row> that the fast path cannot vouch for.

    Every known writer puts r first in each <c> and <row>, so a normal sheet is cleared by
    three regex searches, each led by a literal, with no Python work per cell. Anything
    else (a tag without r or with r elsewhere, a namespace prefix, a reference past the
    limits) sends the sheet to `_slow_area`, which reads every tag and decides exactly.
    A second r attribute in a tag is not well-formed XML, which the reader refuses.
    """
    last_column = column_letters(min(limits.max_columns, EXCEL_MAX_COLUMNS))
    columns = _at_most(last_column, string.ascii_uppercase, "A")
    rows = _at_most(str(min(limits.max_rows, EXCEL_MAX_ROWS)), string.digits, "1")
    grid_rows = _at_most(str(EXCEL_MAX_ROWS), string.digits, "1")
    return (
        re.compile(rb'<c(?! r="' + columns + rows + rb'")[\s/>]'),
        re.compile(rb'<row(?! r="' + grid_rows + rb'")[\s/>]'),
        re.compile(rb":(?:c|row)[\s/>]"),
    )


def _at_most(limit: str, alphabet: str, first: str) -> bytes:
    """A regex matching tokens over `alphabet`, led by `first` or later, that are at most `limit`.

    Tokens of equal length compare like their text and a shorter token is always smaller,
    which holds for row numbers without leading zeros and for column letters alike.
    """
    low, high = alphabet[0], alphabet[-1]
    any_symbol = f"[{low}-{high}]"

    def then_any(count: int) -> str:
        return "" if count == 0 else any_symbol if count == 1 else f"{any_symbol}{{{count}}}"

    options = []
    if len(limit) == 2:
        options.append(f"[{first}-{high}]")
    elif len(limit) > 2:
        options.append(f"[{first}-{high}]{any_symbol}{{0,{len(limit) - 2}}}")
    for index, symbol in enumerate(limit):
        floor = first if index == 0 else low
        if symbol > floor:
            below = chr(ord(symbol) - 1)
            options.append(f"{limit[:index]}[{floor}-{below}]{then_any(len(limit) - index - 1)}")
    options.append(limit)
    return ("(?:" + "|".join(options) + ")").encode()


def _slow_area(xml: bytes, limits: Limits) -> str | None:
    """The used-area check tag by tag, for rows and cells without r (allowed by the spec) or written unusually."""
    row = 0
    column = 0
    max_row = 0
    max_column = 0
    for start in _ROW_OR_CELL.finditer(xml):
        text = xmlscan.rest_of_tag(xml, start)
        if text is None:
            return unreadable_tag(xml, start.start())
        refs = [value for key, value in xmlscan.attributes(text) if key == b"r"]
        if start.group(1) == b"row":
            row += 1
            for ref in refs:
                if _ROW_NUMBER.fullmatch(ref.strip()) is None:
                    return f"行番号「{shown(ref)}」を読めません"
                row = int(ref.strip()) if len(ref.strip()) <= 12 else EXCEL_MAX_ROWS + 1
                if not 1 <= row <= EXCEL_MAX_ROWS:
                    return f"行番号 {shown(ref)} は Excel の範囲（1～1048576）の外です"
            column = 0
            continue
        column += 1
        cell_row = max(row, 1)
        for ref in refs:
            cell = _parse_cell(ref)
            if cell is None:
                return f"セル参照「{shown(ref)}」を読めません"
            if not _in_grid(*cell):
                return _outside_grid(ref)
            column, cell_row = cell
        if column > EXCEL_MAX_COLUMNS or cell_row > EXCEL_MAX_ROWS:
            return _outside_grid(address(cell_row, column).encode())
        max_row = max(max_row, cell_row)
        max_column = max(max_column, column)
        if max_row > limits.max_rows or max_column > limits.max_columns:
            return _over_limits(max_column, max_row, limits)
    return None


def unreadable_tag(xml: bytes, position: int) -> str:
    return f"記述「{shown(xml[position : position + 64])}」を読めません"


def _parse_cell(ref: bytes) -> tuple[int, int] | None:
    """(column, row) of an A1 reference; lengths are capped so that a megabyte-long reference costs nothing."""
    match = _CELL_NAME.fullmatch(ref.strip())
    if match is None:
        return None
    letters, digits = match.groups()
    column = column_number(letters) if len(letters) <= 4 else EXCEL_MAX_COLUMNS + 1
    row = int(digits) if len(digits) <= 12 else EXCEL_MAX_ROWS + 1
    return column, row


def _in_grid(column: int, row: int) -> bool:
    return 1 <= column <= EXCEL_MAX_COLUMNS and 1 <= row <= EXCEL_MAX_ROWS


def _outside_grid(ref: bytes) -> str:
    return f"セル {shown(ref)} は Excel の範囲（A1:XFD1048576）の外です"


def _over_limits(column: int, row: int, limits: Limits) -> str:
    return f"最終セル {address(row, column)}、上限 {limits.max_rows:,} 行 × {limits.max_columns:,} 列"


def shown(raw: bytes) -> str:
    """A reference from the file, shortened so that a hostile megabyte-long one does not flood the report."""
    text = raw.decode("utf-8", "replace")
    return text if len(text) <= 24 else text[:24] + "…"

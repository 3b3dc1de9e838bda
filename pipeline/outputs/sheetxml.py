"""The data rows of consolidated.xlsx's tables, written as sheet XML directly and spliced into the package
xlsxwriter wrote.

xlsxwriter writes everything else (titles, headers, formats, widths, filters, frozen panes, print settings); a
table's data rows, nearly all of the workbook's cells, go through `SheetRows` instead, at a fraction of
xlsxwriter's cost per cell. Each row is written once, in order, to a temporary file, so memory does not grow with
the table. After xlsxwriter has closed its package, `splice` copies it part by part and puts each sheet's rows
before its ``</sheetData>``.

Every text is an inline string, escaped here: nothing a division typed can become markup, a formula or a link. A
cell's style is the xlsxwriter format's own index in styles.xml (``Format._get_xf_index``, the call xlsxwriter
makes for its own cells), taken before the package is written, so the format is in styles.xml like any other.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from defusedxml import ElementTree

from pipeline.contract.cells import column_letters, column_number

_LETTERS = [column_letters(c) for c in range(1, 703)]  # A to ZZ: far more columns than any table has
# What a text needs done before it goes between tags: markup characters, control characters (written as Excel's
# _xHHHH_), a literal _xHHHH_ (its underscore escaped, so that it reads back as typed) and the two non-characters.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
EXCEL_MAX_TEXT = 32_767  # characters in a cell
_FLUSH_ROWS = 512  # rows gathered before they are written out
_SHEET_DATA_END = b"</sheetData>"
_EMPTY_SHEET_DATA = b"<sheetData/>"
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>')
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _text(text: str) -> str:
    """A text as it goes between <t> tags."""
    if _SPECIAL.search(text) is None:
        return text
    text = _ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SheetRows:
    """One sheet's data rows, written top to bottom with the methods of an xlsxwriter worksheet that the engine
    uses (``write_string``, ``write_number``, ``set_row``), into a temporary file in ``tmpdir``."""

    def __init__(self, name: str, tmpdir: Path | None) -> None:
        self.name = name
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=tmpdir)  # noqa: SIM115 (closed by discard)
        self._styles: dict[int, int] = {}  # id(format) → its index in styles.xml
        self._formats: list[Any] = []  # the formats themselves, kept alive while their ids are keys
        self._rows: list[str] = []
        self._cells: list[str] = []
        self._row = -1
        self._height: float | None = None
        self.first_row: int | None = None  # 0-based, as the engine counts
        self.last_row = -1
        self.last_col = -1

    def _style(self, cell_format: Any) -> int:
        if cell_format is None:
            return 0  # the workbook's default format
        index = self._styles.get(id(cell_format))
        if index is None:
            index = self._styles[id(cell_format)] = cell_format._get_xf_index()
            self._formats.append(cell_format)
        return index

    def _start(self, row: int) -> None:
        """Close the row being written and begin ``row`` (rows come in order)."""
        if row < self._row:
            raise ValueError(f"rows must come in order: {row + 1} after {self._row + 1}")
        self._end()
        self._row = row
        if self.first_row is None:
            self.first_row = row

    def _end(self) -> None:
        if self._row < 0 or (not self._cells and self._height is None):
            return
        height = "" if self._height is None else f' ht="{self._height:.16g}" customHeight="1"'
        self._rows.append(f'<row r="{self._row + 1}"{height}>{"".join(self._cells)}</row>')
        self.last_row = self._row
        self._cells = []
        self._height = None
        if len(self._rows) >= _FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        self._file.write("".join(self._rows).encode())
        self._rows = []

    def set_row(self, row: int, height: float) -> None:
        """The row's height in points (set before its cells), in whole pixels as xlsxwriter and Excel keep it."""
        if row != self._row:
            self._start(row)
        self._height = int(height * 4 / 3 + 0.5) * 0.75

    def write_string(self, row: int, col: int, text: str, cell_format: Any) -> None:
        if row != self._row:
            self._start(row)
        text = text[:EXCEL_MAX_TEXT]  # as xlsxwriter does: Excel refuses a longer cell
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        self._cells.append(
            f'<c r="{_LETTERS[col]}{row + 1}" s="{self._style(cell_format)}" t="inlineStr">'
            f"<is><t{space}>{_text(text)}</t></is></c>"
        )
        self.last_col = max(self.last_col, col)

    def write_number(self, row: int, col: int, number: float, cell_format: Any) -> None:
        if row != self._row:
            self._start(row)
        where = f'r="{_LETTERS[col]}{row + 1}" s="{self._style(cell_format)}"'
        if math.isfinite(number):
            self._cells.append(f"<c {where}><v>{number:.16G}</v></c>")
        else:  # as xlsxwriter's nan_inf_to_errors writes them, but a plain error value, never a formula
            self._cells.append(f'<c {where} t="e"><v>{"#NUM!" if math.isnan(number) else "#DIV/0!"}</v></c>')
        self.last_col = max(self.last_col, col)

    def close(self) -> None:
        """Write out the last row (before the package is spliced)."""
        self._end()
        self._flush()

    @property
    def size(self) -> int:
        """Bytes of the rows' XML written so far (all of it once closed)."""
        return self._file.tell() if not self._file.closed else 0

    def copy_to(self, target: IO[bytes]) -> None:
        """The rows' XML, written into ``target``."""
        self._file.seek(0)
        shutil.copyfileobj(self._file, target, 1 << 20)

    def discard(self) -> None:
        self._file.close()


RowsOut = Callable[[str], SheetRows]  # a sheet's name → where its table's data rows go


def _sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part's name in the package (xlsxwriter's own output: workbook.xml and its rels)."""
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.findall("p:Relationship", _NS)}
    parts = {}
    for sheet in workbook.findall("m:sheets/m:sheet", _NS):
        target = targets[sheet.get(f"{{{_NS['r']}}}id")]
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _spliced(xml: bytes, rows: SheetRows) -> tuple[bytes, bytes]:
    """A sheet part's XML cut where the rows go (before ``</sheetData>``), its dimension widened to them."""
    empty = xml.find(_EMPTY_SHEET_DATA)
    if empty >= 0:
        head, tail = xml[:empty] + b"<sheetData>", _SHEET_DATA_END + xml[empty + len(_EMPTY_SHEET_DATA) :]
    else:
        end = xml.rindex(_SHEET_DATA_END)
        head, tail = xml[:end], xml[end:]
    written = [int(n) for n in _ROW_NUMBER.findall(head)]
    if written and rows.first_row is not None and max(written) > rows.first_row:
        raise ValueError(f"sheet {rows.name}: a row below the table was written before it")
    dimension = _DIMENSION.search(head)
    if dimension is not None and rows.last_row >= 0:
        first_col, first_row, last_col, last_row = dimension.groups()
        width = max(column_number(last_col or first_col), rows.last_col + 1)
        height = max(int(last_row or first_row), rows.last_row + 1)
        ref = f'<dimension ref="{first_col.decode()}{first_row.decode()}:{_LETTERS[width - 1]}{height}"/>'
        head = head[: dimension.start()] + ref.encode() + head[dimension.end() :]
    return head, tail


def splice(source: Path, target: Path, sheets: list[SheetRows]) -> None:
    """Write ``target``: the package at ``source`` with each sheet's rows in its sheet part, every other part as
    it was (same names, order, dates and compression)."""
    by_name = {rows.name: rows for rows in sheets if rows.first_row is not None}
    with zipfile.ZipFile(source) as package, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        parts = {part: by_name[name] for name, part in _sheet_parts(package).items() if name in by_name}
        for info in package.infolist():
            data = package.read(info)
            rows = parts.get(info.filename)
            if rows is None:
                out.writestr(info, data)
                continue
            head, tail = _spliced(data, rows)
            spliced = zipfile.ZipInfo(info.filename, info.date_time)
            spliced.compress_type = zipfile.ZIP_DEFLATED
            spliced.file_size = len(head) + rows.size + len(tail)  # known: Zip64 only where the size needs it
            with out.open(spliced, "w") as part:
                part.write(head)
                rows.copy_to(part)
                part.write(tail)

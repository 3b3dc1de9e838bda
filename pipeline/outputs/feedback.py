"""Write a division's workbook back to it with every issue marked on its cell and listed on a first sheet 確認結果.

The copy is made from the original bytes with openpyxl, so values, defined names,
data validations, styles, merged cells and print setup stay as the division left
them; only the fill, border and comment of problem cells change, and the 確認結果
sheet (no defined names, so the reader ignores it) is put in front. The division
corrects the copy and sends it back as it is; annotating it again replaces the
earlier 確認結果 sheet and marks.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.contract.layout import FONT_NAME, SHEET_BASIC, field
from pipeline.contract.template import build_template, print_setup
from pipeline.model import Issue
from pipeline.outputs.marks import (
    _COMMENT_WIDTH_PX,
    _ERROR_EDGE_RGB,
    _ERROR_RGB,
    _HEADER_ROW,
    _ORIGINAL_COMMENT,
    _ORIGINAL_COMMENT_RE,
    _WARNING_EDGE_RGB,
    _WARNING_RGB,
    _WIDTHS,
    AUTHOR,
    HEADERS,
    HOW_TO_RESUBMIT,
    SEVERITY_LABELS,
    SHEET_RESULTS,
    _by_severity,
    _clean,
    _comment_height,
    _height,
    _list_key,
    _parse_cell,
    checked_at,
)

_MARKS = {
    "blocking": (PatternFill(fill_type="solid", fgColor=_ERROR_RGB), _ERROR_EDGE_RGB),
    "error": (PatternFill(fill_type="solid", fgColor=_ERROR_RGB), _ERROR_EDGE_RGB),
    "warning": (PatternFill(fill_type="solid", fgColor=_WARNING_RGB), _WARNING_EDGE_RGB),
}

_FONT = Font(name=FONT_NAME, size=10)
_BOLD = Font(name=FONT_NAME, size=10, bold=True)
_TITLE = Font(name=FONT_NAME, size=14, bold=True)
_LINK = Font(name=FONT_NAME, size=10, color="0563C1", underline="single")
_HEADER_FILL = PatternFill(fill_type="solid", fgColor="BDD7EE")
_LABEL_FILL = PatternFill(fill_type="solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="808080")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)
_CENTRE = Alignment(horizontal="center", vertical="top", wrap_text=True)


def annotate(source: Path, issues: Sequence[Issue], target: Path, *, data: bytes | None = None) -> Path:
    """Write a copy of the division's workbook with every issue marked on its cell and listed on a first sheet 確認結果."""
    source, target = Path(source), Path(target).with_suffix(".xlsx")  # macros are dropped: never save as .xlsm
    if target.resolve() == source.resolve():
        raise ValueError(f"refusing to overwrite the original workbook {source}")
    raw = source.read_bytes() if data is None else data
    wb = load_workbook(io.BytesIO(raw), keep_vba=False, rich_text=True)
    _drop_results_sheet(wb)
    order = {title: index for index, title in enumerate(wb.sheetnames)}
    _clear_previous_marks(wb)
    placed = _mark_cells(wb, issues)
    ordered = sorted(issues, key=lambda issue: _list_key(issue, order))
    _write_results_sheet(wb, source.name, ordered, placed)
    _open_on_results(wb)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


# --- marking cells ----------------------------------------------------------


def _drop_results_sheet(wb: Workbook) -> None:
    """Remove an earlier 確認結果 sheet (a resubmitted annotated copy) and any workbook name pointing at it."""
    if SHEET_RESULTS not in wb.sheetnames:
        return
    for name, defined in list(wb.defined_names.items()):
        if f"{SHEET_RESULTS}!" in (defined.attr_text or "") or f"{SHEET_RESULTS}'!" in (defined.attr_text or ""):
            del wb.defined_names[name]
    del wb[SHEET_RESULTS]


def _clear_previous_marks(wb: Workbook) -> None:
    """Undo the marks of an earlier annotation: its comments go and its cells get the template's input look back."""
    look: tuple[PatternFill, Border] | None = None
    for ws in wb.worksheets:
        # openpyxl keeps the cells that exist in _cells; walking the grid instead would create empty ones.
        for cell in list(ws._cells.values()):
            comment = getattr(cell, "comment", None)
            if comment is not None and comment.author == AUTHOR:
                cell.comment = _original_comment(comment.text)
            if isinstance(cell, MergedCell) or not _is_marked(cell):
                continue  # the edges of a merged area go back with its first cell
            if look is None:
                look = _input_look()
            area = _area(ws, cell.coordinate)
            for row in ws.iter_rows(
                min_row=area.min_row, max_row=area.max_row, min_col=area.min_col, max_col=area.max_col
            ):
                for part in row:
                    part.fill, part.border = look


def _is_marked(cell: Any) -> bool:
    """Whether a cell carries this module's fill and border (the pair no division applies by hand)."""
    fill, edge = cell.fill, cell.border.left
    if getattr(fill, "fill_type", None) != "solid" or edge is None or edge.color is None:
        return False
    pair = (str(fill.fgColor.rgb)[-6:].upper(), str(edge.color.rgb)[-6:].upper())
    return pair in {(_ERROR_RGB, _ERROR_EDGE_RGB), (_WARNING_RGB, _WARNING_EDGE_RGB)}


def _input_look() -> tuple[PatternFill, Border]:
    """The fill and border the standard template gives its input cells."""
    cell = build_template()[SHEET_BASIC][field("department").first_cell]
    return PatternFill(fill_type="solid", fgColor=cell.fill.fgColor.rgb), Border(
        left=cell.border.left, right=cell.border.right, top=cell.border.top, bottom=cell.border.bottom
    )


def _original_comment(text: str) -> Comment | None:
    """The division's own comment kept inside a pipeline comment, or None."""
    match = _ORIGINAL_COMMENT_RE.search(text)
    if match is None:
        return None
    return Comment(match["text"], match["author"])


def _mark_cells(wb: Workbook, issues: Iterable[Issue]) -> set[tuple[str, str]]:
    """Fill and comment every cell an issue points at; return the (sheet, cell) pairs that exist in the workbook."""
    groups: dict[tuple[str, str], list[Issue]] = {}
    placed: set[tuple[str, str]] = set()
    for issue in issues:
        if not issue.sheet or issue.sheet not in wb.sheetnames or _parse_cell(issue.cell) is None:
            continue
        ws = wb[issue.sheet]
        if not isinstance(ws, Worksheet):
            continue
        area = _area(ws, issue.cell)
        groups.setdefault((issue.sheet, area.coord), []).append(issue)
        placed.add((issue.sheet, issue.cell))
    for (sheet, coord), found in groups.items():
        _mark(wb[sheet], CellRange(coord), found)
    return placed


def _area(ws: Worksheet, address: str) -> CellRange:
    """The merged range that holds a cell, or the cell alone."""
    parsed = _parse_cell(address)
    assert parsed is not None
    row, col = parsed
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return CellRange(merged.coord)
    return CellRange(min_col=col, min_row=row, max_col=col, max_row=row)


def _mark(ws: Worksheet, area: CellRange, found: Sequence[Issue]) -> None:
    """Colour an area red (any error) or yellow (warnings only) and put every message in a comment on its first cell."""
    severity = "warning" if all(issue.severity == "warning" for issue in found) else "error"
    fill, edge_rgb = _MARKS[severity]
    edge = Side(style="medium", color=edge_rgb)
    for row in ws.iter_rows(min_row=area.min_row, max_row=area.max_row, min_col=area.min_col, max_col=area.max_col):
        for cell in row:
            cell.fill = fill
            cell.border = Border(left=edge, right=edge, top=edge, bottom=edge)
    first = ws.cell(row=area.min_row, column=area.min_col)
    lines = [f"【{SEVERITY_LABELS[issue.severity]}】{issue.message}" for issue in _by_severity(found)]
    text = "\n".join(lines)
    existing = first.comment
    if existing is not None and existing.author != AUTHOR:  # keep the division's own note, restorable later
        text += "\n\n" + _ORIGINAL_COMMENT.format(author=existing.author or "") + "\n" + existing.text
    text = _clean(text)
    first.comment = Comment(text, AUTHOR, height=_comment_height(text), width=_COMMENT_WIDTH_PX)


# --- the 確認結果 sheet -------------------------------------------------------


def _write_results_sheet(wb: Workbook, filename: str, issues: Sequence[Issue], placed: set[tuple[str, str]]) -> None:
    """Insert the 確認結果 sheet first: title, file, counts, how to resubmit, then one row per issue."""
    ws = wb.create_sheet(SHEET_RESULTS, 0)
    errors = sum(issue.severity != "warning" for issue in issues)
    last = get_column_letter(len(HEADERS))
    ws.merge_cells(f"A1:{last}1")
    _put(ws, 1, 1, "工程表の確認結果", font=_TITLE)
    ws.row_dimensions[1].height = 24
    summary: list[tuple[str, Any, str]] = [
        ("ファイル", filename, "@"),
        ("エラー", errors, '0"件"'),
        ("警告", len(issues) - errors, '0"件"'),
        ("確認日時", checked_at(), "@"),
    ]
    for row, (label, value, number_format) in enumerate(summary, start=2):
        _put(ws, row, 1, label, font=_BOLD, fill=_LABEL_FILL, border=_GRID)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=len(HEADERS))
        _put(ws, row, 2, value, border=_GRID, align=Alignment(horizontal="left", vertical="top"))
        ws.cell(row=row, column=2).number_format = number_format
    how_to_row = 2 + len(summary)
    ws.merge_cells(start_row=how_to_row, start_column=1, end_row=how_to_row, end_column=len(HEADERS))
    _put(ws, how_to_row, 1, HOW_TO_RESUBMIT, font=_BOLD, align=_WRAP)
    ws.row_dimensions[how_to_row].height = _height([HOW_TO_RESUBMIT], [sum(_WIDTHS)])
    for col, (header, width) in enumerate(zip(HEADERS, _WIDTHS, strict=True), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
        _put(ws, _HEADER_ROW, col, header, font=_BOLD, fill=_HEADER_FILL, border=_GRID, align=_CENTRE)
    for row, issue in enumerate(issues, start=_HEADER_ROW + 1):
        _write_issue_row(ws, row, issue, (issue.sheet, issue.cell) in placed)
    ws.freeze_panes = ws.cell(row=_HEADER_ROW + 1, column=1)
    print_setup(ws)  # no print area or titles: either would put a defined name on this sheet


def _write_issue_row(ws: Worksheet, row: int, issue: Issue, placed: bool) -> None:
    """One row of the issue table, its cell address linked to the cell when the cell exists."""
    fill, _edge = _MARKS[issue.severity]
    values = (SEVERITY_LABELS[issue.severity], issue.sheet, issue.cell, issue.field, issue.code, issue.message)
    for col, value in enumerate(values, start=1):
        _put(ws, row, col, value, border=_GRID, align=_CENTRE if col in (1, 3) else _WRAP)
    ws.cell(row=row, column=1).fill = fill
    if placed:
        _link(ws.cell(row=row, column=3), issue.sheet, issue.cell)
    ws.row_dimensions[row].height = _height(values, _WIDTHS)


def _link(cell: Any, sheet: str, address: str) -> None:
    """Make a cell an internal hyperlink to sheet!address, in Excel's hyperlink style."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quoted}!{address}", display=address)
    cell.style = "Hyperlink"  # Excel's ハイパーリンク cell style, at the sheet's font and size
    cell.font, cell.border, cell.alignment = _LINK, _GRID, _CENTRE


def _put(
    ws: Worksheet,
    row: int,
    col: int,
    value: Any,
    *,
    font: Font = _FONT,
    fill: PatternFill | None = None,
    border: Border | None = None,
    align: Alignment = _WRAP,
) -> None:
    """Write a value as data: a string stays a string even when it starts with '='."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _clean(value) or None  # an empty text leaves the cell blank
        if cell.value is not None:
            cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
    else:
        cell.value = value
    cell.font, cell.alignment = font, align
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border


def _open_on_results(wb: Workbook) -> None:
    """Open on 確認結果 alone: Excel groups every sheet marked tabSelected."""
    for sheet in (*wb.worksheets, *wb.chartsheets):
        views = sheet.views.sheetView if isinstance(sheet, Worksheet) else sheet.sheetViews.sheetView
        for view in views:
            view.tabSelected = False
    wb[SHEET_RESULTS].sheet_view.tabSelected = True
    wb.active = 0
    for view in wb.views:
        view.firstSheet = 0

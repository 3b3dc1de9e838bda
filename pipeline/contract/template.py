"""Build the standard 工程表 workbook (template version 1) from the layout in `layout.py`."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import absolute_coordinate, column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.contract.example import EXAMPLE_ENTRIES
from pipeline.contract.guide import guide_lines
from pipeline.contract.layout import (
    ACHIEVEMENT_MAX,
    ACHIEVEMENT_MIN,
    BASIC_FIELDS,
    FONT_NAME,
    META_FIELDS,
    POLICY_FIELDS,
    POLICY_PAGE_STARTS,
    POLICY_SECTIONS,
    RELATED_PLAN_LABELS,
    SHEET_BASIC,
    SHEET_EXAMPLE,
    SHEET_GUIDE,
    SHEET_META,
    SHEET_POLICY,
    TEMPLATE_VERSION,
    Field,
    Kind,
    Shape,
)

TEMPLATE_FILENAME = f"工程表テンプレート_v{TEMPLATE_VERSION}.xlsx"

_LABEL_COLUMN = "B"  # labels sit left of every input area
_TYPED_AS_TEXT = (Kind.CODE, Kind.PHONE)  # input cells formatted as text ("@")
_LAST_BASIC_COLUMN = "L"
_LAST_POLICY_COLUMN = "R"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
_SECTION_FONT = Font(name=FONT_NAME, size=11, bold=True, color="1F3864")
_NOTE_FONT = Font(name=FONT_NAME, size=10, color="595959")
_EXAMPLE_TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True, color="C00000")
_EXAMPLE_NOTE_FONT = Font(name=FONT_NAME, size=10, bold=True, color="C00000")
_LABEL_FONT = Font(name=FONT_NAME, size=10, bold=True)
_HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True)
_INPUT_FONT = Font(name=FONT_NAME, size=10)
_TEXT_FONT = Font(name=FONT_NAME, size=10)
_LABEL_FILL = PatternFill(fill_type="solid", fgColor="DDEBF7")
_HEADER_FILL = PatternFill(fill_type="solid", fgColor="BDD7EE")
_INPUT_FILL = PatternFill(fill_type="solid", fgColor="FFF2CC")
_LABEL_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_INPUT_ALIGN = Alignment(horizontal="left", vertical="top", wrap_text=True)
_CENTER_INPUT_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TEXT_ALIGN = Alignment(horizontal="left", vertical="top", wrap_text=True)

_HEADER_ROW_HEIGHT = 24.0  # at least; taller where a label wraps
_TEXT_TABLE_ROW_HEIGHT = 30.0  # tables of free text (projects, results, challenges)
_VALUE_TABLE_ROW_HEIGHT = 30.0
_ROW_HEIGHT = 18.0  # a row of one line; every printed row gets an explicit height, so page breaks hold anywhere
_SPACER_HEIGHT = 9.0  # blank rows between sections
_EXAMPLE_BLANK_ROW_HEIGHT = 15.0  # the example's unused table rows, kept short so it prints compactly

# Printing. Excel's column width unit is one digit of the workbook's default font (Calibri 11: 7 px = 5.25 pt),
# so the sheets below, at most ~137 units wide, print at 100 % on A4 landscape. LibreOffice without Calibri's
# metrics measures the unit with a wider substitute (DejaVu Sans: ~9.4 px = 7.05 pt) and shrinks the page to
# about 82 %, which keeps the smallest text (10 pt) at 8 pt or more.
_PAGE_HEIGHT_PT = 595.3  # A4 landscape
_PAGE_WIDTH_PT = 841.9
_MARGIN_IN = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.5, "header": 0.2, "footer": 0.2}
_PT_PER_WIDTH_UNIT = 5.25  # Excel at 100 %: what row heights and page breaks are planned for
_LINE_SPACING = 1.5  # a line of 游ゴシック text is about 1.5 times its size tall
_CELL_PADDING_PT = 4.0
_PAGE_FILL = 0.98  # plan pages a little short of full: Excel rounds row heights to pixels
_INPUT_NOTE = (
    "黄色のセルに入力してください。セルを選ぶと入力方法が表示されます。▼の付いたセルは一覧から選んでください。"
)
_EXAMPLE_NOTE = (
    f"このシートは記入例です。集計には読み込まれません。入力は「{SHEET_BASIC}」「{SHEET_POLICY}」シートにしてください。"
)


def build_template() -> Workbook:
    """Build the standard 工程表 workbook in memory: guide, basic information, one policy sheet, the worked example
    and the hidden metadata. Only 基本情報, 政策1 and 管理情報 carry defined names, so the reader never reads 記入例."""
    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    _draw_guide(guide)
    _draw_basic(wb.create_sheet(SHEET_BASIC))
    _draw_policy(wb.create_sheet(SHEET_POLICY))
    _draw_example(wb.create_sheet(SHEET_EXAMPLE), EXAMPLE_ENTRIES)
    _draw_meta(wb.create_sheet(SHEET_META))
    for name_field in (*BASIC_FIELDS, *META_FIELDS):
        sheet = SHEET_BASIC if name_field in BASIC_FIELDS else SHEET_META
        wb.defined_names[name_field.name] = DefinedName(name_field.name, attr_text=name_ref(sheet, name_field.ref))
    policy = wb[SHEET_POLICY]
    for name_field in POLICY_FIELDS:
        policy.defined_names[name_field.name] = DefinedName(
            name_field.name, attr_text=name_ref(SHEET_POLICY, name_field.ref)
        )
    wb.active = 0
    return wb


def write_template(path: Path) -> Path:
    """Write the standard template to ``path`` and return the path (`pipeline template` publishes it via api)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_template().save(path)
    return path


def name_ref(sheet: str, ref: str) -> str:
    """The absolute reference text of a defined name, e.g. ``'政策1'!$B$25:$R$35``."""
    return f"{quote_sheetname(sheet)}!{absolute_coordinate(ref)}"


# --- sheets -----------------------------------------------------------------


def _draw_guide(ws: Worksheet) -> None:
    """Draw the 記入方法 sheet: the workflow and the rules for each kind of value."""
    ws.column_dimensions["A"].width = 2
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 110
    _title(ws, "B1:C1", "工程表　記入方法")
    row = 2
    headings = []
    for heading, text in guide_lines():
        if not text:  # a section heading, after a blank row
            row += 1
            headings.append((row - 1, False))
            _section(ws, row, heading)
        else:
            ws[f"B{row}"].value = heading or None
            ws[f"C{row}"].value = text
            for ref in (f"B{row}", f"C{row}"):
                ws[ref].font = _TEXT_FONT
                ws[ref].alignment = _TEXT_ALIGN
            _fit_height(ws, row, text, "C", "C", _TEXT_FONT)
        row += 1
    _finish_sheet(ws, "C", row - 1, headings)


def _draw_basic(ws: Worksheet) -> None:
    """Draw the 基本情報 sheet: fiscal year, stage, division and missions."""
    ws.column_dimensions["A"].width = 2
    ws.column_dimensions[_LABEL_COLUMN].width = 18
    for idx in range(column_index_from_string("C"), column_index_from_string(_LAST_BASIC_COLUMN) + 1):
        ws.column_dimensions[get_column_letter(idx)].width = 10
    _title(ws, f"B1:{_LAST_BASIC_COLUMN}1", "工程表　基本情報")
    _note(ws, "B2", _INPUT_NOTE)
    _draw_basic_fields(ws)
    _finish_sheet(ws, _LAST_BASIC_COLUMN, _last_row(BASIC_FIELDS), [])


def _draw_basic_fields(ws: Worksheet, *, prompts: bool = True) -> None:
    """Draw the 基本情報 section and its fields at their template rows."""
    _section(ws, 3, "基本的事項（所管組織、所管責任者）")
    for basic in BASIC_FIELDS:
        _draw_field(ws, basic, prompts=prompts)


def _draw_policy(ws: Worksheet) -> None:
    """Draw the 政策1 sheet: policy, goals, related plans, indicators, projects and evaluation."""
    _policy_columns(ws)
    blocks = _draw_policy_fields(ws, 0)
    _finish_sheet(ws, _LAST_POLICY_COLUMN, _last_row(POLICY_FIELDS), blocks, title_rows="1:1")


def _policy_columns(ws: Worksheet) -> None:
    """Set the policy sheet's column widths: one table column per sheet column, A a narrow margin."""
    ws.column_dimensions["A"].width = 2
    widths: dict[str, float] = {}
    for table in POLICY_FIELDS:
        for col in table.columns:
            widths[col.letter] = max(widths.get(col.letter, 0.0), col.width)
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width


def _draw_policy_fields(ws: Worksheet, top: int, *, prompts: bool = True) -> list[tuple[int, bool]]:
    """Draw the policy title, sections and fields `top` rows below their template rows; returns the sections as
    page blocks (first row, whether it always starts a page)."""
    _title(ws, f"B{1 + top}:{_LAST_POLICY_COLUMN}{1 + top}", "工程表　政策内容と目標・評価")
    for row, text in POLICY_SECTIONS:
        _section(ws, row + top, text)
    ws.row_dimensions[4 + top].height = 6  # spacer between the policy title and the goals
    for policy in POLICY_FIELDS:
        _draw_field(ws, _moved(policy, top), prompts=prompts)
    return [(row + top, row in POLICY_PAGE_STARTS) for row, _ in POLICY_SECTIONS]


def _draw_example(ws: Worksheet, entries: Mapping[str, Any]) -> None:
    """Draw the 記入例 sheet: 基本情報 and 政策1 one below the other, filled with `entries`, and no defined names.

    Marked on every printed page (its title row repeats) and in red, so that nobody mistakes it for an input sheet.
    """
    _policy_columns(ws)
    ws.sheet_properties.tabColor = "C00000"
    title = f"記入例　{entries['department']} {entries['division']}（{entries['fiscal_year']}・{entries['stage']}）"
    _title(ws, f"B1:{_LAST_POLICY_COLUMN}1", title)
    ws["B1"].font = _EXAMPLE_TITLE_FONT
    _note(ws, "B2", _EXAMPLE_NOTE)
    ws["B2"].font = _EXAMPLE_NOTE_FONT
    _draw_basic_fields(ws, prompts=False)
    top = _last_row(BASIC_FIELDS)  # the policy's title row follows the last basic row
    blocks = _draw_policy_fields(ws, top, prompts=False)
    basic = {name: value for name, value in entries.items() if name != "policies"}
    for f in BASIC_FIELDS:
        _write_example(ws, f, basic.get(f.name))
    for f in POLICY_FIELDS:
        _write_example(ws, _moved(f, top), entries["policies"][0].get(f.name))
    last = top + _last_row(POLICY_FIELDS)
    _finish_sheet(ws, _LAST_POLICY_COLUMN, last, [(top + 1, True), *blocks], title_rows="1:1")


def _write_example(ws: Worksheet, f: Field, value: Any) -> None:
    """Write one field's example value at its template position and make the rows tall enough to show it;
    unused rows of a list or table are made short and unmerged."""
    (first_col, first_row), (last_col, last_row) = _bounds(f.ref)
    if f.shape is Shape.CELL:
        if value is not None:
            ws[f.first_cell].value = value
            _fit_height(ws, first_row, str(value), first_col, f.merge_to or last_col, _INPUT_FONT)
        return
    if f.columns and f.shape is Shape.LIST:  # related plans: label → mark
        label_col, mark_col = f.columns
        for row in range(first_row, last_row + 1):
            ws[f"{mark_col.letter}{row}"].value = (value or {}).get(ws[f"{label_col.letter}{row}"].value)
        return
    rows: Sequence[Any] = value or ()
    body = first_row + (1 if f.shape is Shape.TABLE else 0)
    for row in range(body, last_row + 1):
        if row - body < len(rows):
            ws.row_dimensions[row].height = _ROW_HEIGHT
        else:
            ws.row_dimensions[row].height = _EXAMPLE_BLANK_ROW_HEIGHT
            _unmerge_blank_row(ws, row)
    for row, item in enumerate(rows, start=body):
        if f.shape is Shape.LIST:
            ws[f"{first_col}{row}"].value = item
            _fit_height(ws, row, str(item), first_col, f.merge_to or last_col, _INPUT_FONT)
            continue
        for col in f.columns:
            cell_value = item.get(col.key)
            if cell_value is not None:
                ws[f"{col.letter}{row}"].value = cell_value
                end = _shift_letter(col.letter, col.span - 1)
                _fit_height(ws, row, str(cell_value), col.letter, end, _INPUT_FONT)


def _unmerge_blank_row(ws: Worksheet, row: int) -> None:
    """Split the merged areas of a blank row into cells that look the same (one outline, no inner borders).

    openpyxl spends time on every merged area each time a workbook is opened (the tests open the template hundreds
    of times), and a blank row has no text to wrap across its area.
    """
    for merged in [m for m in ws.merged_cells.ranges if m.min_row == m.max_row == row]:
        style = copy(ws.cell(row=row, column=merged.min_col)._style)
        ws.unmerge_cells(merged.coord)
        for col in range(merged.min_col, merged.max_col + 1):
            cell = ws.cell(row=row, column=col)
            cell._style = copy(style)
            edges = {"left": col == merged.min_col, "right": col == merged.max_col}
            cell.border = Border(top=_THIN, bottom=_THIN, **{side: _THIN for side, edge in edges.items() if edge})


def _moved(f: Field, rows: int) -> Field:
    """The field drawn `rows` rows lower (its columns and merges stay)."""
    if not rows:
        return f
    (first_col, first_row), (last_col, last_row) = _bounds(f.ref)
    return replace(f, ref=f"{first_col}{first_row + rows}:{last_col}{last_row + rows}")


def _draw_meta(ws: Worksheet) -> None:
    """Draw the hidden 管理情報 sheet holding the template version."""
    for meta in META_FIELDS:
        col, row = _split(meta.first_cell)
        label = ws.cell(row=row, column=column_index_from_string(col) - 1, value=meta.label)
        label.font = _LABEL_FONT
        value = ws[meta.first_cell]
        value.value = TEMPLATE_VERSION
        value.font = _INPUT_FONT
    ws.column_dimensions["A"].width = 16
    ws.sheet_state = "hidden"


# --- fields -----------------------------------------------------------------


def _draw_field(ws: Worksheet, f: Field, *, prompts: bool = True) -> None:
    """Draw one field's label, input area, merges, row heights and (with `prompts`) its data validation."""
    (first_col, first_row), (last_col, last_row) = _bounds(f.ref)
    if f.shape is Shape.TABLE:
        _draw_table(ws, f, first_row, last_row, prompts=prompts)
        return
    if f.columns:  # a two-column list (related plans): fixed labels, then a mark per row
        label_col, mark_col = f.columns
        for offset, text in enumerate(RELATED_PLAN_LABELS):
            row = first_row + offset
            _merge_and_style(ws, f"{label_col.letter}{row}", _LABEL_FONT, _LABEL_FILL, _LABEL_ALIGN, text)
            _merge_and_style(ws, f"{mark_col.letter}{row}", _INPUT_FONT, _INPUT_FILL, _CENTER_INPUT_ALIGN)
            _fit_height(ws, row, text, label_col.letter, label_col.letter, _LABEL_FONT)
        if not prompts:
            return
        _add_validation(
            ws,
            f"{mark_col.letter}{first_row}:{mark_col.letter}{last_row}",
            f.label,
            mark_col.hint,
            mark_col.choices,
            f.kind,
        )
        return
    label_ref = f"{_LABEL_COLUMN}{first_row}:{_LABEL_COLUMN}{last_row}"
    _merge_and_style(ws, label_ref, _LABEL_FONT, _LABEL_FILL, _LABEL_ALIGN, f.label)
    input_last_col = f.merge_to or last_col
    for row in range(first_row, last_row + 1):
        _merge_and_style(
            ws, f"{first_col}{row}:{input_last_col}{row}", _INPUT_FONT, _INPUT_FILL, _INPUT_ALIGN, kind=f.kind
        )
        ws.row_dimensions[row].height = f.row_height or _ROW_HEIGHT
    if first_row == last_row:
        _fit_height(ws, first_row, f.label, _LABEL_COLUMN, _LABEL_COLUMN, _LABEL_FONT)
    if prompts:
        _add_validation(ws, f"{first_col}{first_row}:{first_col}{last_row}", f.label, f.hint, f.choices, f.kind)


def _draw_table(ws: Worksheet, f: Field, header_row: int, last_row: int, *, prompts: bool = True) -> None:
    """Draw a table field: a bold header row of column labels (wrapped) and input rows below it."""
    text_table = any(col.span > 1 for col in f.columns)
    ws.row_dimensions[header_row].height = _HEADER_ROW_HEIGHT
    for col in f.columns:
        end = _shift_letter(col.letter, col.span - 1)
        _merge_and_style(
            ws, f"{col.letter}{header_row}:{end}{header_row}", _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN, col.label
        )
        _fit_height(ws, header_row, col.label, col.letter, end, _HEADER_FONT)
        choice_like = bool(col.choices) or col.kind in (Kind.BUDGET, Kind.CODE)
        for row in range(header_row + 1, last_row + 1):
            align = _CENTER_INPUT_ALIGN if choice_like else _INPUT_ALIGN
            _merge_and_style(ws, f"{col.letter}{row}:{end}{row}", _INPUT_FONT, _INPUT_FILL, align, kind=col.kind)
        if prompts:
            _add_validation(
                ws, f"{col.letter}{header_row + 1}:{col.letter}{last_row}", col.label, col.hint, col.choices, col.kind
            )
    height = f.row_height or (_TEXT_TABLE_ROW_HEIGHT if text_table else _VALUE_TABLE_ROW_HEIGHT)
    for row in range(header_row + 1, last_row + 1):
        ws.row_dimensions[row].height = height


def _add_validation(ws: Worksheet, sqref: str, label: str, hint: str, choices: Iterable[str], kind: Kind) -> None:
    """Attach an input message and, for choices and scores, a dropdown or a range check."""
    options = tuple(choices)
    if options:
        if any("," in option or '"' in option for option in options):
            raise ValueError(f"choice list of {label!r} cannot be a dropdown: {options!r}")
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(options) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{label}の入力",
            error=f"{'、'.join(options)} のいずれかを選んでください。",
        )
    elif kind is Kind.SCORE:
        dv = DataValidation(
            type="whole",
            operator="between",
            formula1=str(ACHIEVEMENT_MIN),
            formula2=str(ACHIEVEMENT_MAX),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{label}の入力",
            error=f"{ACHIEVEMENT_MIN}～{ACHIEVEMENT_MAX}の整数を入力してください。",
        )
    elif hint:
        dv = DataValidation(allow_blank=True, showErrorMessage=False)
    else:
        return
    dv.showInputMessage = True
    if hint:
        dv.promptTitle = label[:32]  # Excel caps the title at 32 characters
        dv.prompt = hint
    dv.add(sqref)
    ws.add_data_validation(dv)


# --- drawing helpers --------------------------------------------------------


def _title(ws: Worksheet, ref: str, text: str) -> None:
    """Write a sheet title across `ref`."""
    ws.merge_cells(ref)
    cell = ws[ref.split(":")[0]]
    cell.value = text
    cell.font = _TITLE_FONT
    cell.alignment = Alignment(horizontal="left", vertical="center")
    ws.row_dimensions[cell.row].height = 26


def _section(ws: Worksheet, row: int, text: str) -> None:
    """Write a section title in the label column."""
    cell = ws[f"{_LABEL_COLUMN}{row}"]
    cell.value = text
    cell.font = _SECTION_FONT
    cell.alignment = Alignment(horizontal="left", vertical="bottom")
    ws.row_dimensions[row].height = 22


def _note(ws: Worksheet, ref: str, text: str) -> None:
    """Write a small grey note."""
    cell = ws[ref]
    cell.value = text
    cell.font = _NOTE_FONT
    ws.row_dimensions[cell.row].height = _ROW_HEIGHT


def _merge_and_style(
    ws: Worksheet,
    ref: str,
    font: Font,
    fill: PatternFill,
    align: Alignment,
    value: str | None = None,
    *,
    kind: Kind | None = None,
) -> None:
    """Merge `ref` (when it spans several cells), style every cell in it and set the top-left value; input cells of
    codes and phone numbers are formatted as text, so that Excel keeps what is typed (0101, 0857267642) instead of
    turning it into a number without its leading zero."""
    if ":" in ref and ref.split(":")[0] != ref.split(":")[1]:
        ws.merge_cells(ref)
    first, *rest = (cell for row in (ws[ref] if ":" in ref else ((ws[ref],),)) for cell in row)
    first.font = font
    first.fill = fill
    first.alignment = align
    first.border = _BORDER
    if kind in _TYPED_AS_TEXT:
        first.number_format = "@"
    for cell in rest:  # the same style indexes: setting each part again would look every one up again
        cell._style = copy(first._style)
    if value is not None:
        ws[ref.split(":")[0]].value = value


def print_setup(
    ws: Worksheet, area: str | None = None, *, title_rows: str | None = None, breaks: Iterable[int] = ()
) -> None:
    """A4 landscape, one page wide, small margins, page numbers in the footer (the template's and its copies'),
    and a page break after each row in `breaks`."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed: Excel then keeps the manual page breaks
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(**_MARGIN_IN)
    ws.row_breaks = RowBreak()
    for row in breaks:
        ws.row_breaks.append(Break(id=row))
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    if area is not None:
        ws.print_area = area
    if title_rows:
        ws.print_title_rows = title_rows
    ws.sheet_view.showGridLines = False


# --- heights and pages ------------------------------------------------------


def _fit_height(ws: Worksheet, row: int, text: str, first_col: str, last_col: str, font: Font) -> None:
    """Make `row` tall enough for `text` wrapped in columns first_col..last_col, as Excel lays it out at 100 %
    (rows never shrink here: merged cells do not grow by themselves in Excel, so the template sizes them)."""
    first, last = column_index_from_string(first_col), column_index_from_string(last_col)
    units = sum(ws.column_dimensions[get_column_letter(i)].width for i in range(first, last + 1))
    usable_em = (units * _PT_PER_WIDTH_UNIT - _CELL_PADDING_PT) / float(font.size)
    lines = sum(max(1, math.ceil(_em_width(line) / usable_em)) for line in text.split("\n"))
    needed = lines * float(font.size) * _LINE_SPACING + _CELL_PADDING_PT
    ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or _ROW_HEIGHT, math.ceil(needed))


def _em_width(text: str) -> float:
    """The printed width of `text` in ems: full-width characters one, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.55 for ch in text)


def _finish_sheet(
    ws: Worksheet, last_col: str, last_row: int, blocks: Iterable[tuple[int, bool]], *, title_rows: str | None = None
) -> None:
    """Give the rows nothing was drawn in a small height (they separate sections), then print A1:last_col+last_row
    with page breaks that keep each block (a section: its title, labels, table header and rows) on one page."""
    for row in range(1, last_row + 1):
        if ws.row_dimensions[row].height is None:
            ws.row_dimensions[row].height = _SPACER_HEIGHT
    repeated = 0.0
    if title_rows:
        first, _, last = title_rows.partition(":")
        repeated = sum(float(ws.row_dimensions[r].height) for r in range(int(first), int(last or first) + 1))
    breaks = _page_breaks(ws, sorted(blocks), last_row, _print_scale(ws, last_col), repeated)
    print_setup(ws, f"A1:{last_col}{last_row}", title_rows=title_rows, breaks=breaks)


def _print_scale(ws: Worksheet, last_col: str) -> float:
    """The scale at which Excel prints columns A..last_col one A4 landscape page wide (at most 100 %)."""
    units = sum(
        float(ws.column_dimensions[get_column_letter(i)].width)
        for i in range(1, column_index_from_string(last_col) + 1)
    )
    printable = _PAGE_WIDTH_PT - 72 * (_MARGIN_IN["left"] + _MARGIN_IN["right"])
    return min(1.0, printable / (units * _PT_PER_WIDTH_UNIT))


def _page_breaks(
    ws: Worksheet, blocks: Sequence[tuple[int, bool]], last_row: int, scale: float, repeated: float
) -> list[int]:
    """Rows after which a new page starts: a block (from its first row to the next block's) starts a page when it
    must, or when it would not fit on what is left of the current one; every page repeats `repeated` pt of titles."""
    capacity = (_PAGE_HEIGHT_PT - 72 * (_MARGIN_IN["top"] + _MARGIN_IN["bottom"])) * _PAGE_FILL / scale
    starts = [(row, must) for row, must in blocks if row > 1]
    edges = zip([(1, False), *starts], [*(row - 1 for row, _ in starts), last_row], strict=True)
    breaks: list[int] = []
    used = 0.0
    for (first, must), last in edges:
        height = sum(float(ws.row_dimensions[r].height or _ROW_HEIGHT) for r in range(first, last + 1))
        if used > repeated and (must or used + height > capacity):
            breaks.append(first - 1)
            used = repeated
        used += height
    return breaks


def _split(cell: str) -> tuple[str, int]:
    """Split ``C12`` into ``("C", 12)``."""
    letters = cell.rstrip("0123456789")
    return letters, int(cell[len(letters) :])


def _bounds(ref: str) -> tuple[tuple[str, int], tuple[str, int]]:
    """The first and last cell of a range such as ``B25:R35`` (a single cell is its own last cell)."""
    first, _, last = ref.partition(":")
    return _split(first), _split(last or first)


def _last_row(fields: Iterable[Field]) -> int:
    """The last row used by any of these fields."""
    return max(_bounds(f.ref)[1][1] for f in fields)


def _shift_letter(letter: str, offset: int) -> str:
    """The column letter `offset` columns right of `letter`."""
    return str(get_column_letter(column_index_from_string(letter) + offset))


# --- the worked example ------------------------------------------------------
# The seed 工程表 (総務部 情報政策課, FY H27, 最終) as published, drawn on the 記入例 sheet. scripts/seed.py holds the
# same division for the tests; test_template checks that the two agree.

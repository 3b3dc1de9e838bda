"""Data rows written as sheet XML and spliced into xlsxwriter's package: what any text becomes, the formats, row
heights and dimension, and every other part of the package as xlsxwriter wrote it."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import fastexcel
import openpyxl
import pytest
import xlsxwriter

from pipeline.outputs.sheetxml import SheetRows, splice

TEXTS = [
    "総務部",
    "a & b < c > d",
    "\"quoted\" 'single'",
    '=HYPERLINK("http://example.com","x")',  # a formula typed as text stays text
    "<r><t>x</t></r>",  # looks like a rich string: written as the text it is
    '</t></is></c><c r="Z1"><f>1+1</f></c>',  # markup that would close the cell
    "  leading and trailing  ",
    "line one\nline two",
    "tab\there",
    "bell\x07 and nul\x00",
    "_x0041_ as typed",
    "non-characters \ufffe\uffff",
    "絵文字 😀 と 𠮷",
]


def _book(tmp_path: Path, fill: list[list[object]], heights: dict[int, float] | None = None) -> Path:
    """A workbook whose sheet 'data' has a header row by xlsxwriter and ``fill``'s rows by SheetRows."""
    package, target = tmp_path / "package.xlsx", tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(package), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = book.add_worksheet("data")
    book.add_worksheet("other").write_string(0, 0, "untouched")
    header = book.add_format({"bold": True})
    red = book.add_format({"bg_color": "#FFC7CE", "num_format": "#,##0.0"})
    ws.write_string(0, 0, "header", header)
    rows = SheetRows("data", tmp_path)
    try:
        for r, values in enumerate(fill, start=1):
            if heights and r in heights:
                rows.set_row(r, heights[r])
            for c, value in enumerate(values):
                if isinstance(value, str):
                    rows.write_string(r, c, value, header if c == 0 else red)
                elif isinstance(value, float):
                    rows.write_number(r, c, value, red)
        rows.close()
        book.close()
        splice(package, target, [rows])
    finally:
        rows.discard()
    return target


def test_any_text_reads_back_as_typed_and_never_as_markup_or_a_formula(tmp_path: Path) -> None:
    path = _book(tmp_path, [[text] for text in TEXTS])
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and '<c r="Z1"' not in xml
    # calamine (the pipeline's reader) decodes Excel's _xHHHH_ escapes: every text as typed, the two
    # non-characters, which no XML may hold, as their escapes
    calamine = fastexcel.read_excel(path).load_sheet("data", header_row=None).to_polars().to_series(0).to_list()
    typed = [text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_") for text in TEXTS]
    assert calamine == ["header", *typed]
    # openpyxl leaves the escapes as they are written; everything else reads back as typed, and as text
    sheet = openpyxl.load_workbook(path)["data"]
    values = [sheet.cell(r + 2, 1).value for r in range(len(TEXTS))]
    assert values[9:12] == ["bell_x0007_ and nul_x0000_", "_x005F_x0041_ as typed", "non-characters _xFFFE__xFFFF_"]
    assert values[:9] + values[12:] == TEXTS[:9] + TEXTS[12:]
    assert all(sheet.cell(r + 2, 1).data_type == "s" for r in range(len(TEXTS)))
    assert sheet.max_column == 1


def test_numbers_formats_heights_and_the_dimension(tmp_path: Path) -> None:
    path = _book(
        tmp_path,
        [["a", 1.5, 1234567.0], ["b", math.nan, math.inf], ["c", 0.1 + 0.2, -3.0]],
        heights={2: 42.0, 3: 31.0},
    )
    sheet = openpyxl.load_workbook(path)["data"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["a", 1.5, 1234567],
        ["b", "#NUM!", "#DIV/0!"],
        ["c", 0.3, -3],  # 16 significant digits, as xlsxwriter writes them
    ]
    assert sheet["B2"].fill.fgColor.rgb == "FFFFC7CE" and sheet["B2"].number_format == "#,##0.0"
    assert sheet["A2"].font.b and not sheet["B2"].font.b
    assert sheet.row_dimensions[3].height == 42.0 and sheet.row_dimensions[2].height is None
    assert sheet.row_dimensions[4].height == 30.75  # 31 points: 41 whole pixels, as xlsxwriter sets a row
    assert sheet.dimensions == "A1:C4"


def test_every_other_part_is_xlsxwriters_own(tmp_path: Path) -> None:
    path = _book(tmp_path, [["x"]])
    with zipfile.ZipFile(tmp_path / "package.xlsx") as before, zipfile.ZipFile(path) as after:
        assert before.namelist() == after.namelist()
        # no Zip64 record, which a small part does not need (older readers flag one): no extra field in any
        # local header
        raw = path.read_bytes()
        for info in after.infolist():
            assert raw[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
            assert int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little") == 0, info.filename
        for name in before.namelist():
            if name != "xl/worksheets/sheet1.xml":
                assert before.read(name) == after.read(name), name
                assert before.getinfo(name).date_time == after.getinfo(name).date_time


def test_a_text_longer_than_a_cell_holds_is_cut_as_xlsxwriter_cuts_it(tmp_path: Path) -> None:
    path = _book(tmp_path, [["長" * 40_000], ["x" * 32_767]])
    values = fastexcel.read_excel(path).load_sheet("data", header_row=None).to_polars().to_series(0).to_list()
    assert values[1:] == ["長" * 32_767, "x" * 32_767]


def test_rows_come_in_order(tmp_path: Path) -> None:
    rows = SheetRows("data", tmp_path)
    try:
        rows.write_string(5, 0, "later", None)
        with pytest.raises(ValueError, match="in order"):
            rows.write_string(4, 0, "earlier", None)
    finally:
        rows.discard()


def _look(path: Path) -> dict[str, Any]:
    """What a reader sees of every cell and row of a workbook: value, type, style, and the rows' heights."""
    seen: dict[str, Any] = {}
    for ws in openpyxl.load_workbook(path).worksheets:
        cells = [
            (
                c.coordinate,
                c.value,
                c.data_type,
                c.number_format,
                c.fill.fgColor.rgb,
                c.font.b,
                c.font.color.rgb if c.font.color is not None else None,
                c.alignment.wrap_text,
                c.alignment.horizontal,
                c.alignment.vertical,
                c.border.left.style,
                c.border.bottom.color.rgb if c.border.bottom.color is not None else None,
            )
            for row in ws.iter_rows()
            for c in row
        ]
        heights = {r: ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)}
        seen[ws.title] = (cells, heights, ws.dimensions, ws.freeze_panes, ws.auto_filter.ref)
    return seen


def test_the_spliced_workbook_reads_as_the_one_xlsxwriter_writes_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every table's rows through SheetRows, or every cell through xlsxwriter: the same values, types, styles, row
    heights, dimensions, panes and filters, sheet by sheet."""
    from pipeline.outputs import sheets, workbook
    from tests.test_write import PRESENTATION, sample_result

    spliced = workbook.write_workbook(sample_result(), tmp_path / "spliced.xlsx", presentation=PRESENTATION)
    data_sheet = sheets.data_sheet

    def alone(*args: Any, rows_out: Any = None, **kwargs: Any) -> None:
        data_sheet(*args, **kwargs)  # no rows_out: the rows go to xlsxwriter

    monkeypatch.setattr(sheets, "data_sheet", alone)
    plain = workbook.write_workbook(sample_result(), tmp_path / "plain.xlsx", presentation=PRESENTATION)
    with zipfile.ZipFile(spliced) as z:
        assert 't="inlineStr"' in z.read("xl/worksheets/sheet3.xml").decode()
    with zipfile.ZipFile(plain) as z:
        assert 't="inlineStr"' not in z.read("xl/worksheets/sheet3.xml").decode()
    assert _look(spliced) == _look(plain)

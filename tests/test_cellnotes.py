"""What calamine does not say of cells: percent-formatted numbers (80% typed in Excel is stored as 0.8) are read
as the percentages they show; formula errors (#DIV/0!) are errors at their cell, not blanks."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from pipeline.api import validate_files
from pipeline.intake.cellnotes import Scale, as_shown, number_scale, scaled_styles, sheet_notes
from pipeline.intake.preflight import preflight


@pytest.mark.parametrize(
    ("code", "scale"),
    [
        ("0%", Scale(percent=True)),
        ("0.0%", Scale(percent=True)),
        ("#,##0.00%;[Red]-#,##0.00%", Scale(percent=True)),
        ("[$-411]0%", Scale(percent=True)),
        ('0.0"%"', Scale()),  # a quoted % is a literal sign: the value is not scaled
        ("0\\%", Scale()),  # so is an escaped one
        ("[%]0", Scale()),  # inside brackets
        ("0_%", Scale()),  # _x leaves the width of x
        ("#,##0,", Scale(thousands=1)),  # 628400 shows as 628: thousands
        ('#,##0,"千円"', Scale(thousands=1)),
        ("#,##0.0,,;[Red]-#,##0.0,,", Scale(thousands=2)),
        ("#,##0", Scale()),  # a thousands separator, not a scale
        ('#,##0"千円"', Scale()),
        ('0;"%";0,', Scale()),  # the first section decides
        ("General", Scale()),
        ('yyyy"年"m"月"', Scale()),
        ("@", Scale()),
        ("", Scale()),
    ],
)
def test_number_scale(code: str, scale: Scale) -> None:
    assert number_scale(code) == scale


@pytest.mark.parametrize(
    ("stored", "scale", "shown"),
    [
        ("0.8", Scale(percent=True), "80%"),
        ("0.75", Scale(percent=True), "75%"),
        ("0.125", Scale(percent=True), "12.5%"),
        ("1", Scale(percent=True), "100%"),
        ("1.5", Scale(percent=True), "150%"),
        ("-0.05", Scale(percent=True), "-5%"),
        ("0", Scale(percent=True), "0%"),
        ("0.30000000000000004", Scale(percent=True), "30%"),  # Excel's 15 significant digits
        ("1e-05", Scale(percent=True), "0.001%"),
        ("628000", Scale(thousands=1), "628"),
        ("628400", Scale(thousands=1), "628.4"),  # exact, not rounded as the cell shows it
        ("1500000", Scale(thousands=2), "1.5"),
        ("0", Scale(thousands=1), "0"),
        ("六", Scale(percent=True), "六"),
        ("inf", Scale(percent=True), "inf"),
    ],
)
def test_as_shown(stored: str, scale: Scale, shown: str) -> None:
    assert as_shown(stored, scale) == shown


STYLES = """<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="4"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="0.0&quot;%&quot;"/>
<numFmt numFmtId="10" formatCode="0.00"/><numFmt numFmtId="166" formatCode="#,##0,&quot;千円&quot;"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="9"/></cellStyleXfs>
<cellXfs count="7"><xf numFmtId="0" fontId="0"/><xf numFmtId="9" fontId="0" applyNumberFormat="1"/>
<xf numFmtId="164"><alignment wrapText="1"/></xf><xf numFmtId="165"/><xf numFmtId="10"/><xf/><xf numFmtId="166"/>
</cellXfs></styleSheet>""".encode()


def test_scaled_styles_follow_built_in_and_custom_formats() -> None:
    # 1: built-in 9; 2: custom 0.0%; 6: thousands; not 3 (quoted %), 4 (10 redefined without %), 5 (General)
    expected = {1: Scale(percent=True), 2: Scale(percent=True), 6: Scale(thousands=1)}
    assert scaled_styles(STYLES) == expected
    assert scaled_styles(STYLES.replace(b"cellXfs", b"x:cellXfs").replace(b"<xf", b"<x:xf")) == expected
    assert scaled_styles(b'<styleSheet><cellXfs><xf numFmtId="14"/></cellXfs></styleSheet>') == {}


def test_scaled_cells_are_the_numeric_cells_with_those_styles() -> None:
    sheet = (
        b'<worksheet><sheetData><row r="3"><c r="A3" s="1"><v>0.8</v></c><c r="B3" s="1" t="s"><v>0</v></c>'
        b'<c r="C3" s="2" t="n"><v>0.5</v></c><c r="D3" s="3"><v>1</v></c><c r="E3"><v>2</v></c>'
        b'<c r="F3" s="1" t="str"><f>A3</f><v>x</v></c><c r="g3" s="2"><f>A3</f><v>0.8</v></c></row>'
        b"</sheetData></worksheet>"
    )
    percent = Scale(percent=True)
    assert sheet_notes(sheet, {1: percent, 2: percent}) == ({"A3": percent, "C3": percent, "G3": percent}, {})
    assert sheet_notes(sheet, {0: percent}) == ({"E3": percent}, {})  # a cell without s has style 0
    assert sheet_notes(sheet, {}) == ({}, {})


def _edited(book: Path, target: Path, values: dict[str, Any], formats: dict[str, str] | None = None) -> Path:
    """The workbook with these cells of 政策1 set, and these number formats, saved at ``target``."""
    wb = load_workbook(book)
    ws = wb["政策1"]
    for ref, value in values.items():
        ws[ref] = value
    for ref, number_format in (formats or {}).items():
        ws[ref].number_format = number_format
    wb.save(target)
    return target


def _with_percentages(book: Path, cells: dict[str, Any], target: Path) -> Path:
    """The workbook with these cells of 政策1 set as Excel stores typed percentages: a fraction, format 0%."""
    return _edited(book, target, cells, {ref: "0%" for ref, value in cells.items() if isinstance(value, float)})


PERCENTAGES = ("F28", "J28", "L28", "N28")
PERCENT_ROW = {
    "B28": "電子申請の利用率",
    "C28": "成果指標",
    "D28": "%",
    "E28": "増加",
    "F28": 0.5,
    "G28": "H26",
    "J28": 0.8,
    "K28": "H27",
    "L28": 0.75,
    "M28": "H28.3",
    "N28": 0.9,
    "O28": "R2",
}


def test_typed_percentages_read_as_percent_values(
    make_book: Callable[..., Path], seed: dict[str, Any], tmp_path: Path
) -> None:
    book = _with_percentages(make_book(seed, "seed.xlsx"), PERCENT_ROW, tmp_path / "percent.xlsx")
    with zipfile.ZipFile(book) as archive:  # styles come after the sheets in the zip: preflight reads them first
        names = archive.namelist()
    assert names.index("xl/styles.xml") > names.index("xl/worksheets/sheet3.xml")
    assert preflight(book.read_bytes()).cells.scaled == {"政策1": dict.fromkeys(PERCENTAGES, Scale(percent=True))}

    [result] = validate_files([book])
    assert result.accepted
    indicator = result.record["policies"][0]["indicators"][2]  # type: ignore[index]
    values = {key: indicator[key] for key in ("unit", "baseline", "target", "actual", "long_term_target")}
    assert values == {"unit": "%", "baseline": 50, "target": 80, "actual": 75, "long_term_target": 90}


def test_typed_percentage_in_an_indicator_counted_in_other_units_is_not_evaluable(
    make_book: Callable[..., Path], seed: dict[str, Any], tmp_path: Path
) -> None:
    book = _with_percentages(make_book(seed, "seed.xlsx"), {"L26": 0.75}, tmp_path / "percent.xlsx")
    [result] = validate_files([book])
    assert [(i.sheet, i.cell, i.code, i.severity, i.message) for i in result.issues] == [
        (
            "政策1",
            "L26",
            "unit-mismatch",
            "warning",
            "政策1!L26「今年度実績値」: 単位「%」が指標の単位「部会」（「単位」欄）と違うため、この値は判定できません（判定不可）。"
            "「部会」で入力するか、単位ごとに指標の行を分けてください（入力値: 「75%」）",
        )
    ]
    assert result.record is not None and result.record["policies"][0]["indicators"][0]["actual"] == "75%"


def test_percentages_resaved_by_libreoffice_read_the_same(
    make_book: Callable[..., Path],
    seed: dict[str, Any],
    tmp_path: Path,
    libreoffice: Callable[[Path, str, Path], Path],
) -> None:
    book = _with_percentages(make_book(seed, "seed.xlsx"), PERCENT_ROW, tmp_path / "percent.xlsx")
    resaved = libreoffice(book, "xlsx", tmp_path / "resaved")
    assert preflight(resaved.read_bytes()).cells.scaled == {"政策1": dict.fromkeys(PERCENTAGES, Scale(percent=True))}
    [original] = validate_files([book])
    [again] = validate_files([resaved])
    assert [(i.code, i.cell, i.message) for i in again.issues] == [(i.code, i.cell, i.message) for i in original.issues]
    assert again.record == original.record


def test_budget_kept_in_yen_and_shown_in_thousands_reads_as_shown(
    make_book: Callable[..., Path],
    seed: dict[str, Any],
    tmp_path: Path,
    libreoffice: Callable[[Path, str, Path], Path],
) -> None:
    # 予算額(千円) 628 kept as 628,400 yen under #,##0, (the cell shows 628): 628.4 千円, not 628,400
    yen = _edited(make_book(seed, "seed.xlsx"), tmp_path / "yen.xlsx", {"G39": 628_400}, {"G39": "#,##0,"})
    resaved = libreoffice(yen, "xlsx", tmp_path / "resaved")
    for book in (yen, resaved):
        assert preflight(book.read_bytes()).cells.scaled == {"政策1": {"G39": Scale(thousands=1)}}
        [result] = validate_files([book])
        assert result.issues == ()
        assert result.record["policies"][0]["projects"][0]["budget"] == 628.4  # type: ignore[index]


# ---------------------------------------------------------------- formula errors


def test_error_cells_with_the_error_shown() -> None:
    sheet = (
        b'<sheetData><row r="2"><c r="A2" s="3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="B2" t="e"><v>#N/A</v></c>'
        b'<c r="C2" t="e"/><c r="D2" t="n"><v>1</v></c><x:c r="E2" t="e"><x:v>#REF!</x:v></x:c></row></sheetData>'
    )
    errors = {"A2": "#DIV/0!", "B2": "#N/A", "C2": "#エラー", "E2": "#REF!"}
    assert sheet_notes(sheet, {}) == ({}, errors)
    assert sheet_notes(sheet, {0: Scale(percent=True)}) == ({"D2": Scale(percent=True)}, errors)
    assert sheet_notes(b'<sheetData><row r="1"><c r="A1" t="n"><v>1</v></c></row></sheetData>', {}) == ({}, {})


FORMULA_ERROR = "数式の結果がエラーです。数式を直すか、値を直接入力してください（入力値: 「{}」）"


def _with_errors(book: Path, sheet_part: str, errors: dict[str, str], target: Path) -> Path:
    """The workbook with these cells replaced by formulas whose cached result is an error, as Excel saves them."""
    with zipfile.ZipFile(book) as archive:
        parts = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == sheet_part:
                for ref, error in errors.items():
                    cell = f'<c r="{ref}" t="e"><f>1/0</f><v>{error}</v></c>'.encode()
                    data, count = re.subn(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', cell, data)
                    assert count == 1, ref
            archive.writestr(info, data)
    return target


def test_formula_errors_are_errors_at_their_cells_not_blanks(
    make_book: Callable[..., Path], seed: dict[str, Any], tmp_path: Path
) -> None:
    book = make_book(seed, "seed.xlsx")
    book = _with_errors(book, "xl/worksheets/sheet2.xml", {"C9": "#REF!", "C13": "#N/A"}, tmp_path / "basic.xlsx")
    book = _with_errors(book, "xl/worksheets/sheet3.xml", {"L26": "#DIV/0!", "C17": "#NAME?"}, tmp_path / "err.xlsx")
    assert preflight(book.read_bytes()).cells.errors == {
        "基本情報": {"C9": "#REF!", "C13": "#N/A"},
        "政策1": {"L26": "#DIV/0!", "C17": "#NAME?"},
    }
    [result] = validate_files([book])
    assert result.needs_correction  # formula errors are wrong values: the file is merged, those cells not used
    # one issue a cell: a required field (所属長名) is not also reported as missing
    assert [(i.sheet, i.cell, i.field, i.code, i.message) for i in result.issues] == [
        ("基本情報", "C9", "所属長名", "formula-error", "基本情報!C9「所属長名」: " + FORMULA_ERROR.format("#REF!")),
        (
            "基本情報",
            "C13",
            "組織ミッション",
            "formula-error",
            "基本情報!C13「組織ミッション」: " + FORMULA_ERROR.format("#N/A"),
        ),
        (
            "政策1",
            "C17",
            "該当する長期的目標（将来ビジョン）",
            "formula-error",
            "政策1!C17「該当する長期的目標（将来ビジョン）」: " + FORMULA_ERROR.format("#NAME?"),
        ),
        (
            "政策1",
            "L26",
            "今年度実績値",
            "formula-error",
            "政策1!L26「今年度実績値」: " + FORMULA_ERROR.format("#DIV/0!"),
        ),
    ]


def test_formula_error_saved_by_libreoffice_is_an_error(
    make_book: Callable[..., Path],
    seed: dict[str, Any],
    tmp_path: Path,
    libreoffice: Callable[[Path, str, Path], Path],
) -> None:
    formula = _edited(make_book(seed, "seed.xlsx"), tmp_path / "formula.xlsx", {"L27": "=L26/0"})
    computed = libreoffice(formula, "xlsx", tmp_path / "computed")  # caches the result
    [result] = validate_files([computed])
    assert [(i.cell, i.code, i.message) for i in result.errors] == [
        ("L27", "formula-error", "政策1!L27「今年度実績値」: " + FORMULA_ERROR.format("#DIV/0!"))
    ]

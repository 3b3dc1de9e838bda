"""Annotated copies: every issue marked on its cell and listed on 確認結果, the rest of the workbook kept, resubmittable."""

from __future__ import annotations

import hashlib
import itertools
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.api import validate_files
from pipeline.contract.layout import SHEET_BASIC, field
from pipeline.model import Code, Issue, make_issue
from pipeline.outputs.feedback import annotate
from pipeline.outputs.marks import AUTHOR, HEADERS, HOW_TO_RESUBMIT, SHEET_RESULTS
from pipeline.outputs.names import feedback_name
from tests.hostile import macros

ERROR_FILL, WARNING_FILL, INPUT_FILL = "FFC7CE", "FFEB9C", "FFF2CC"

# The faulty file's findings once listed: errors first, then by sheet order, row, column.
EXPECTED_ROWS = [
    ("エラー", "基本情報", "C4", "年度", "invalid-fiscal-year"),
    ("エラー", "基本情報", "C6", "部局名", "missing-field"),
    ("エラー", "基本情報", "C10", "電話番号", "invalid-phone"),
    ("エラー", "政策1", "E26", "方向", "invalid-choice"),
    ("エラー", "政策1", "L26", "今年度実績値", "not-a-number"),
    ("エラー", "政策1", "C52", "達成度の評価", "out-of-range"),
    ("エラー", "政策2", "L26", "今年度実績値", "not-a-number"),
    ("エラー", "政策2", "C51", "進捗評価", "missing-field"),
    ("警告", "政策2", "J26", "今年度目標値", "qualitative-value"),
]


def _faulty(seed: dict[str, Any]) -> dict[str, Any]:
    """The seed with nine problems on 基本情報, 政策1 and an added 政策2 (stage 最終, so evaluation is required)."""
    second = {**seed["policies"][0], "indicators": [dict(i) for i in seed["policies"][0]["indicators"]]}
    seed.update(fiscal_year="来年度", department=None, phone="内線1234")
    first = seed["policies"][0]
    first["indicators"][0].update(actual="6,,0", direction="上昇")
    first.update(achievement=11)
    second["indicators"][0].update(actual="1.2.3", target="全て達成する")
    second.update(progress=None)
    seed["policies"].append(second)
    return seed


@pytest.fixture
def faulty(make_book: Callable[..., Path], seed: dict[str, Any]) -> tuple[Path, tuple[Issue, ...]]:
    """The faulty workbook and what validation found on its cells (its file-level 'unplaceable', which follows from
    the blank 部局名 and 年度, is left out: the copy lists it without a cell, see test_validate)."""
    path = make_book(_faulty(seed), "総務部_情報政策課.xlsx")
    [result] = validate_files([path])
    assert [i.code for i in result.issues if not i.cell] == ["unplaceable"]
    return path, tuple(i for i in result.issues if i.cell)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rgb(cell: Any) -> str:
    return str(cell.fill.fgColor.rgb)[-6:]


def _table(wb: Workbook) -> list[tuple[Any, ...]]:
    """The issue rows of 確認結果, below its header row."""
    ws = wb[SHEET_RESULTS]
    header = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == HEADERS[0])
    assert tuple(c.value for c in ws[header]) == HEADERS
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=header + 1) if row[0].value is not None]


def _links(wb: Workbook) -> list[tuple[str, Any]]:
    ws = wb[SHEET_RESULTS]
    return [(c.value, c.hyperlink) for c in ws["C"] if c.hyperlink is not None]


def _names(wb: Workbook) -> set[tuple[str, str, str]]:
    """Every defined name as (scope, name, reference), print areas and titles included."""
    names = {("", name, d.attr_text) for name, d in wb.defined_names.items()}
    for ws in wb.worksheets:
        names |= {(ws.title, name, d.attr_text) for name, d in ws.defined_names.items()}
        if ws.print_area:
            names.add((ws.title, "print_area", str(ws.print_area)))
        if ws.print_title_rows:
            names.add((ws.title, "print_title_rows", str(ws.print_title_rows)))
    return names


def _validations(wb: Workbook) -> set[tuple[str, ...]]:
    return {
        (ws.title, str(dv.sqref), str(dv.type), str(dv.formula1), str(dv.formula2), str(dv.prompt), str(dv.error))
        for ws in wb.worksheets
        for dv in ws.data_validations.dataValidation
    }


def _layout(wb: Workbook) -> set[tuple[str, ...]]:
    """Merges, sheet states, print setup and column widths of every sheet."""
    found: set[tuple[str, ...]] = set()
    for ws in wb.worksheets:
        found |= {(ws.title, "merge", m.coord) for m in ws.merged_cells.ranges}
        setup = ws.page_setup
        found.add(
            (ws.title, "setup", ws.sheet_state, str(setup.orientation), str(setup.paperSize), str(setup.fitToWidth))
        )
        found |= {(ws.title, "width", k, str(d.width)) for k, d in ws.column_dimensions.items()}
    return found


def _values(wb: Workbook) -> dict[tuple[str, str], Any]:
    return {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def _without_results(wb: Workbook) -> Workbook:
    del wb[SHEET_RESULTS]
    return wb


def _xml(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(part).decode()


def _results_sheet_xml(path: Path) -> str:
    """The XML of 確認結果, found through the workbook's relationships."""
    workbook = _xml(path, "xl/workbook.xml")
    rid = re.search(rf'<sheet name="{SHEET_RESULTS}"[^>]*r:id="(rId\d+)"', workbook)
    assert rid is not None
    rels = _xml(path, "xl/_rels/workbook.xml.rels")
    target = re.search(
        rf'Id="{rid[1]}"[^>]*Target="/?(?:xl/)?([^"]+)"|Target="/?(?:xl/)?([^"]+)"[^>]*Id="{rid[1]}"', rels
    )
    assert target is not None
    return _xml(path, "xl/" + (target[1] or target[2]))


def test_every_problem_is_marked_commented_listed_and_linked(
    tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]
) -> None:
    source, issues = faulty
    before = _sha256(source)
    assert len({(i.sheet, i.cell) for i in issues}) == 9

    copy = annotate(source, issues, tmp_path / "out" / "annotated.xlsx")

    assert copy == tmp_path / "out" / "annotated.xlsx"
    assert _sha256(source) == before
    wb = load_workbook(copy)
    for issue in issues:
        cell = wb[issue.sheet][issue.cell]
        assert _rgb(cell) == (ERROR_FILL if issue.severity == "error" else WARNING_FILL), issue.location
        assert cell.comment is not None and cell.comment.author == AUTHOR
        assert issue.message in cell.comment.text
    # openpyxl does not read comment sizes back: the boxes are sized in the VML drawings.
    with zipfile.ZipFile(copy) as archive:
        vml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".vml"))
    sizes = [(int(w), int(h)) for w, h in re.findall(r"width:(\d+)px;height:(\d+)px", vml)]
    assert len(sizes) == len(issues) and all(w >= 400 and h >= 40 for w, h in sizes)
    # Cells without a problem keep the template's input look and no comment.
    untouched = wb[SHEET_BASIC][field("division").first_cell]
    assert (_rgb(untouched), untouched.comment) == (INPUT_FILL, None)

    assert wb.sheetnames[0] == SHEET_RESULTS
    by_location = {(i.sheet, i.cell): i for i in issues}
    rows = _table(wb)
    assert [row[:5] for row in rows] == EXPECTED_ROWS
    assert [row[5] for row in rows] == [by_location[(sheet, cell)].message for _, sheet, cell, *_ in EXPECTED_ROWS]
    results = wb[SHEET_RESULTS]
    texts = [c.value for row in results.iter_rows(max_row=7) for c in row if c.value is not None]
    assert texts[:3] == ["工程表の確認結果", "ファイル", source.name]
    assert ("エラー", 8) in itertools.pairwise(texts) and ("警告", 1) in itertools.pairwise(texts)
    assert HOW_TO_RESUBMIT in texts
    assert results.freeze_panes is not None
    assert (results.page_setup.orientation, results.page_setup.fitToWidth) == ("landscape", 1)

    links = _links(wb)
    assert [text for text, _ in links] == [cell for _, _, cell, *_ in EXPECTED_ROWS]
    for (_, sheet, cell, *_), (_, link) in zip(EXPECTED_ROWS, links, strict=True):
        assert link.location == f"'{sheet}'!{cell}" and link.target is None
        target_sheet, target_cell = link.location.rsplit("!", 1)
        assert target_sheet.strip("'") in wb.sheetnames
        assert wb[target_sheet.strip("'")][target_cell].coordinate == cell

    original = load_workbook(source)
    assert _names(_without_results(load_workbook(copy))) == _names(original)
    assert _validations(_without_results(load_workbook(copy))) == _validations(original)
    assert _layout(_without_results(load_workbook(copy))) == _layout(original)
    assert _values(_without_results(load_workbook(copy))) == _values(original)


def test_the_results_sheet_has_no_names_and_opens_alone(tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]) -> None:
    source, issues = faulty
    grouped = load_workbook(source)  # the division saved with 政策1 and 政策2 grouped (both tabs selected)
    grouped.active = 2
    for title in ("政策1", "政策2"):
        grouped[title].sheet_view.tabSelected = True
    grouped.save(source)
    copy = annotate(source, issues, tmp_path / "annotated.xlsx")
    workbook = _xml(copy, "xl/workbook.xml")
    assert 'localSheetId="0"' not in workbook and f"{SHEET_RESULTS}!" not in workbook
    assert re.search(r'activeTab="0"', workbook)
    wb = load_workbook(copy)
    assert wb.active.title == SHEET_RESULTS
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [SHEET_RESULTS]
    assert not wb[SHEET_RESULTS].defined_names


@pytest.mark.libreoffice
def test_the_annotated_copy_opens_in_libreoffice(
    tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]], libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    source, issues = faulty
    copy = annotate(source, issues, tmp_path / "annotated.xlsx")
    pdf = libreoffice(copy, "pdf", tmp_path / "pdf")
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")


# name -> (workbook-scoped name or (policy sheet, sheet-scoped name), table column label or None, row, value)
CORRECTIONS: list[tuple[str | None, str, str | None, Any]] = [
    (None, "fiscal_year", None, "H27"),
    (None, "department", None, "総務部"),
    (None, "phone", None, "0857-26-7642"),
    ("政策1", "indicators", "direction", "増加"),
    ("政策1", "indicators", "actual", 6),
    ("政策1", "achievement", None, 9),
    ("政策2", "indicators", "actual", 6),
    ("政策2", "indicators", "target", 2),
    ("政策2", "progress", None, "◎（予定以上）"),
]


def _named_cell(wb: Workbook, sheet: str | None, name: str, column: str | None) -> Any:
    """The cell a defined name points at; for a table, the first data row under the column's header label."""
    names = wb.defined_names if sheet is None else wb[sheet].defined_names
    [(title, coord)] = list(names[name].destinations)
    ws: Worksheet = wb[title]
    ref = CellRange(coord.replace("$", ""))
    if column is None:
        return ws.cell(row=ref.min_row, column=ref.min_col)
    label = field(name).column(column).label
    [col] = [c for c in range(ref.min_col, ref.max_col + 1) if ws.cell(row=ref.min_row, column=c).value == label]
    return ws.cell(row=ref.min_row + 1, column=col)


def test_a_copy_corrected_through_the_names_is_accepted(tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]) -> None:
    source, issues = faulty
    copy = annotate(source, issues, tmp_path / "annotated.xlsx")
    wb = load_workbook(copy)
    for sheet, name, column, value in CORRECTIONS:
        _named_cell(wb, sheet, name, column).value = value
    wb.save(copy)

    [result] = validate_files([copy])

    assert result.issues == ()
    assert result.accepted
    kept = load_workbook(copy)
    assert kept.sheetnames[0] == SHEET_RESULTS
    assert _rgb(kept["政策1"]["L26"]) == ERROR_FILL and kept["政策1"]["L26"].comment is not None


def test_annotating_an_annotated_copy_replaces_the_results_sheet_and_old_marks(
    tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]
) -> None:
    source, issues = faulty
    first = annotate(source, issues, tmp_path / "first.xlsx")
    wb = load_workbook(first)
    for sheet, name, column, value in CORRECTIONS[:3]:  # the division fixes 基本情報 only
        _named_cell(wb, sheet, name, column).value = value
    wb.save(first)
    [result] = validate_files([first])
    assert sorted((i.sheet, i.cell) for i in result.issues) == sorted(
        (s, c) for _, s, c, *_ in EXPECTED_ROWS if s != SHEET_BASIC
    )

    second = annotate(first, result.issues, tmp_path / "second.xlsx")

    again = load_workbook(second)
    assert again.sheetnames.count(SHEET_RESULTS) == 1 and again.sheetnames[0] == SHEET_RESULTS
    assert [row[:5] for row in _table(again)] == [row for row in EXPECTED_ROWS if row[1] != SHEET_BASIC]
    assert len(_links(again)) == 6
    basic = again[SHEET_BASIC]
    for cell in ("C4", "C6", "C10"):  # fixed: back to the template's input look, no stale comment
        fixed = basic[cell]
        assert (_rgb(fixed), fixed.comment, fixed.border.left.style) == (INPUT_FILL, None, "thin"), cell
    edges = [basic["D6"].border.top, basic["E6"].border.bottom, basic["F6"].border.right]
    assert {(side.style, str(side.color.rgb)[-6:]) for side in edges} == {("thin", "808080")}
    assert _rgb(again["政策1"]["L26"]) == ERROR_FILL
    assert again["政策1"]["L26"].comment.text.count("【エラー】") == 1
    assert _names(_without_results(again)) == _names(load_workbook(source))


def test_an_error_and_a_warning_on_one_merged_cell_make_it_red_with_both_messages(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    issues = [
        make_issue(Code.QUALITATIVE_VALUE, sheet=SHEET_BASIC, cell="C6", field="部局名", found="総務部"),
        make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="E6", field="部局名", what="部局名を入力してください。"),
    ]
    wb = load_workbook(annotate(source, issues, tmp_path / "a.xlsx"))
    ws = wb[SHEET_BASIC]
    merged = next(m for m in ws.merged_cells.ranges if "C6" in m)
    assert merged.coord == "C6:F6"
    # Excel and Calc paint a merged area with its first cell's fill and its edge cells' borders.
    assert _rgb(ws["C6"]) == ERROR_FILL
    edges = [ws["C6"].border.left, ws["D6"].border.top, ws["E6"].border.bottom, ws["F6"].border.right]
    assert {(side.style, str(side.color.rgb)[-6:]) for side in edges} == {("medium", "9C0006")}
    text = ws["C6"].comment.text
    assert text.index("【エラー】" + issues[1].message) < text.index("【警告】" + issues[0].message)
    assert [row[2] for row in _table(wb)] == ["E6", "C6"]
    assert [link.location for _, link in _links(wb)] == [f"'{SHEET_BASIC}'!E6", f"'{SHEET_BASIC}'!C6"]


def test_issues_without_a_cell_or_on_a_missing_sheet_are_only_listed(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    issues = [
        make_issue(Code.HAS_MACROS),
        make_issue(Code.MISSING_NAME, sheet="政策1", field="進捗評価", name="progress"),
        make_issue(Code.MISSING_FIELD, sheet="政策9", cell="C51", field="進捗評価", what="x"),
        make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="not-a-cell", field="部局名", what="x"),
    ]
    wb = load_workbook(annotate(source, issues, tmp_path / "a.xlsx"))
    assert [(row[0], row[1], row[2], row[4]) for row in _table(wb)] == [
        ("エラー", SHEET_BASIC, "not-a-cell", "missing-field"),
        ("エラー", "政策1", None, "missing-name"),
        ("エラー", "政策9", "C51", "missing-field"),
        ("警告", None, None, "has-macros"),
    ]
    assert _links(wb) == []
    commented = [c.coordinate for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row if c.comment]
    assert commented == []


def test_text_that_looks_like_a_formula_stays_text(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    formula = Issue("schema", "error", "=1+1", sheet=SHEET_BASIC, cell="C6", field="=SUM(A1:A2)", found="=A1")
    control = Issue("schema", "error", "bad\x0bchar", sheet=SHEET_BASIC, cell="C7", field="所属名")
    copy = annotate(source, [formula, control], tmp_path / "a.xlsx")

    sheet_xml = _results_sheet_xml(copy)
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    wb = load_workbook(copy)
    rows = _table(wb)
    assert rows[0][3:] == ("=SUM(A1:A2)", "schema", "=1+1")
    assert rows[1][5] == "bad\ufffdchar"
    assert wb[SHEET_BASIC]["C7"].comment.text == "【エラー】bad\ufffdchar"


def test_a_macro_workbook_is_copied_without_its_macros_as_xlsx(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = tmp_path / "macros.xlsm"
    source.write_bytes(macros(make_book(seed).read_bytes()))
    [result] = validate_files([source])
    assert [(i.code, i.cell) for i in result.issues] == [("has-macros", "")]

    copy = annotate(source, result.issues, tmp_path / "out" / "macros.xlsm")

    assert copy == tmp_path / "out" / "macros.xlsx" and not copy.with_suffix(".xlsm").exists()
    with zipfile.ZipFile(copy) as archive:
        assert "xl/vbaProject.bin" not in archive.namelist()
        assert b"macroEnabled" not in archive.read("[Content_Types].xml")
    assert validate_files([copy])[0].issues == ()


def test_the_given_bytes_are_annotated_and_the_original_is_never_overwritten(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    data = source.read_bytes()
    issue = make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="C9", field="所属長名", what="x")
    moved = tmp_path / "gone" / "book.xlsx"  # the caller's bytes are enough: the path is only a name
    copy = annotate(moved, [issue], tmp_path / "a.xlsx", data=data)
    wb = load_workbook(copy)
    assert wb[SHEET_RESULTS]["B2"].value == "book.xlsx"
    assert _rgb(wb[SHEET_BASIC]["C9"]) == ERROR_FILL
    with pytest.raises(ValueError, match="overwrite"):
        annotate(source, [issue], source)
    assert source.read_bytes() == data


def test_a_division_comment_is_kept_under_the_marks_and_restored_when_fixed(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    from openpyxl.comments import Comment

    source = make_book(seed)
    wb = load_workbook(source)
    wb[SHEET_BASIC]["C9"].comment = Comment("4月に異動予定", "山田")
    wb.save(source)
    issue = make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="C9", field="所属長名", what="x")
    first = annotate(source, [issue], tmp_path / "first.xlsx")
    note = load_workbook(first)[SHEET_BASIC]["C9"].comment
    assert note.author == AUTHOR and issue.message in note.text and "4月に異動予定" in note.text

    second = annotate(first, [], tmp_path / "second.xlsx")

    restored = load_workbook(second)[SHEET_BASIC]["C9"].comment
    assert (restored.author, restored.text) == ("山田", "4月に異動予定")


@pytest.mark.parametrize(
    ("department", "division", "fallback", "expected"),
    [
        ("総務部", "情報政策課", "x", "総務部/情報政策課.xlsx"),
        (" 総務部　", "情報/政策:課?", "x", "総務部/情報_政策_課_.xlsx"),
        ("総務部", "課名...", "x", "総務部/課名.xlsx"),
        ("con", "aux.txt", "x", "_con/_aux.txt.xlsx"),
        (None, None, "提出ファイル", "部局名未記入/提出ファイル.xlsx"),
        ("..", " . ", "a<b>", "部局名未記入/a_b_.xlsx"),
        ("総務部", "", "", "総務部/工程表.xlsx"),
        ("総務部", "課\t名\n", "x", "総務部/課 名.xlsx"),
    ],
)
def test_feedback_name_is_safe_on_windows_and_unix(
    department: str | None, division: str | None, fallback: str, expected: str
) -> None:
    assert feedback_name(department, division, fallback) == f"feedback/{expected}"


@pytest.mark.parametrize("character", ["部", "😀", "a"])
def test_feedback_name_keeps_long_names_within_file_system_limits(character: str) -> None:
    name = feedback_name(character * 300, character * 63, "x")
    parts = name.split("/")
    assert all(len(part.encode()) <= 200 + len(".xlsx") for part in parts)
    assert parts[-1].endswith(f"{character}.xlsx")

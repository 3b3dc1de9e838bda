"""Feedback copies made by patching the package: marks, comments and 確認結果 as annotate's, every other part unchanged."""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import fastexcel
import pytest
import xlsxwriter
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.workbook.workbook import Workbook

from pipeline.api import validate_files
from pipeline.contract.layout import SHEET_BASIC
from pipeline.model import Code, Issue, make_issue
from pipeline.outputs.feedback import annotate
from pipeline.outputs.marks import AUTHOR, HEADERS, HOW_TO_RESUBMIT, SHEET_RESULTS
from pipeline.outputs.patch import patch_file, patch_workbook
from tests.hostile import macros
from tests.test_annotate import EXPECTED_ROWS, _faulty

ERROR_FILL, WARNING_FILL, INPUT_FILL = "FFC7CE", "FFEB9C", "FFF2CC"
NOW = dt.datetime(2026, 6, 1, 9, 30)
LABELS = {"error": "エラー", "warning": "警告"}

# Parts a copy may change: the workbook's own, plus each marked or deselected sheet with its comments and drawing.
WORKBOOK_PARTS = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}


# --- helpers ------------------------------------------------------------------------------------------------


def _members(data: bytes) -> dict[str, bytes]:
    """Every zip member, decompressed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _changes(before: bytes, after: bytes) -> tuple[set[str], set[str], set[str]]:
    """(changed, added, removed) member names."""
    old, new = _members(before), _members(after)
    changed = {name for name in old.keys() & new.keys() if old[name] != new[name]}
    return changed, set(new) - set(old), set(old) - set(new)


def _sheet_parts(data: bytes) -> dict[str, str]:
    """Sheet name -> its part, through the workbook's relationships (as Excel finds them)."""
    parts = _members(data)
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    targets = {}
    for rel in re.findall(r"<Relationship [^>]*>", rels):
        rid = re.search(r'Id="([^"]+)"', rel)
        target = re.search(r'Target="([^"]+)"', rel)
        assert rid and target
        path = target[1].lstrip("/") if target[1].startswith("/") else "xl/" + target[1]
        targets[rid[1]] = path
    found = {}
    for tag in re.findall(r"<sheet [^>]*>", workbook):
        name = re.search(r'name="([^"]+)"', tag)
        rid = re.search(r'r:id="([^"]+)"', tag)
        assert name and rid
        found[name[1].replace("&amp;", "&")] = targets[rid[1]]
    return found


def _rels_of(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels"


def _allowed(patched: bytes, sheets: set[str]) -> set[str]:
    """Parts a copy may change or add: the workbook's, app.xml, 確認結果, the given sheets' and their comments and
    VML drawings."""
    new, where = _members(patched), _sheet_parts(patched)
    allowed = WORKBOOK_PARTS | {"docProps/app.xml", where[SHEET_RESULTS]}
    for name in sheets:
        part = where[name]
        allowed |= {part, _rels_of(part)}
        rels = new.get(_rels_of(part), b"").decode()
        for rel in re.findall(r"<Relationship [^>]*>", rels):
            kind, target = re.search(r'Type="[^"]*/(\w+)"', rel), re.search(r'Target="([^"]+)"', rel)
            assert kind and target
            if kind[1] not in ("comments", "vmlDrawing"):  # drawings, charts, images, tables: never touched
                continue
            target, folder = target[1], posixpath.dirname(part)
            allowed.add(target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target)))
    return allowed


def _assert_only_marked_parts_change(original: bytes, patched: bytes, sheets: set[str]) -> None:
    """Every part outside the workbook's own and the marked sheets' is byte for byte the original's."""
    with zipfile.ZipFile(io.BytesIO(patched)) as archive:
        assert archive.testzip() is None  # every member's CRC checks out
    changed, added, removed = _changes(original, patched)
    allowed = _allowed(patched, sheets)
    assert removed == set()
    assert changed <= allowed, changed - allowed
    assert added <= allowed, added - allowed
    old, new = _members(original), _members(patched)
    for name in set(old) - allowed:
        assert new[name] == old[name], name
    for name in changed | added:  # what the copy wrote is well-formed XML (the test's own files: safe to parse)
        ElementTree.fromstring(new[name])


def _marked_sheets(issues: Any, selected: set[str] | None = None) -> set[str]:
    """The sheets an issue points into, and those selected in the original (deselected in the copy)."""
    return {issue.sheet for issue in issues if issue.sheet and issue.cell} | (selected or set())


def _rgb(cell: Any) -> str:
    return str(cell.fill.fgColor.rgb)[-6:]


def _note(issues: list[Issue]) -> str:
    ordered = sorted(issues, key=lambda issue: issue.severity != "error")
    return "\n".join(f"【{LABELS[issue.severity]}】{issue.message}" for issue in ordered)


def _results(wb: Workbook) -> list[tuple[Any, ...]]:
    """Every row of 確認結果 but the time of the check."""
    return [row for row in wb[SHEET_RESULTS].iter_rows(values_only=True) if row[0] != "確認日時"]


def _load(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def _frames(data: bytes) -> dict[str, Any]:
    """Every sheet as calamine reads it (no header row), 確認結果 left out."""
    reader = fastexcel.read_excel(data)
    return {
        name: reader.load_sheet_by_name(name, header_row=None).to_polars()
        for name in reader.sheet_names
        if name != SHEET_RESULTS
    }


def _assert_marked(data: bytes, issues: list[Issue], *, author: str | None = AUTHOR) -> Workbook:
    """openpyxl reads back every mark: the fill of each issue's cell and a comment of its messages (by ``author``
    unless None: LibreOffice does not keep comment authors)."""
    wb = _load(data)
    by_cell: dict[tuple[str, str], list[Issue]] = {}
    for issue in issues:
        if issue.sheet in wb.sheetnames and issue.cell:
            by_cell.setdefault((issue.sheet, issue.cell), []).append(issue)
    for (sheet, address), found in by_cell.items():
        cell = wb[sheet][address]
        error = any(issue.severity == "error" for issue in found)
        assert _rgb(cell) == (ERROR_FILL if error else WARNING_FILL), (sheet, address)
        assert cell.comment is not None, (sheet, address)
        if cell.comment.text.startswith("[Threaded comment]"):
            continue  # a threaded comment is left alone (its thread would not match a replaced note)
        assert author is None or cell.comment.author == author, (sheet, address)
        assert cell.comment.text.startswith(_note(found)), (sheet, address)
    assert wb.sheetnames[0] == SHEET_RESULTS
    return wb


def _fill_id(data: bytes, sheet: str, address: str) -> str:
    """The fillId of a cell's format, read from the XML (openpyxl gives a merged area's inner cells no fill)."""
    parts = _members(data)
    xml = parts[_sheet_parts(data)[sheet]].decode()
    cell = re.search(rf'<c r="{address}"[^>]*?\ss="(\d+)"', xml)
    assert cell is not None, address
    formats = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", parts["xl/styles.xml"].decode(), re.S)
    assert formats is not None
    xf = re.findall(r"<xf [^>]*>", formats[1])[int(cell[1])]
    found = re.search(r'fillId="(\d+)"', xf)
    assert found is not None
    return found[1]


def _png() -> bytes:
    """A 2×2 red PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _xlsxwriter_book(path: Path, *, chart: bool = True) -> Path:
    """A workbook as xlsxwriter writes it: shared strings, a formula, a division comment, names, a chart, an image,
    the third sheet active and two tabs selected."""
    wb = xlsxwriter.Workbook(str(path))
    first = wb.add_worksheet("表紙")
    data = wb.add_worksheet("データ")
    notes = wb.add_worksheet("メモ&備考")
    first.write("A1", "工程表")
    data.write_row("A1", ["項目", "目標", "実績"])
    for row in range(2, 7):
        data.write_row(f"A{row}", [f"指標{row}", row * 10, row * 9])
        data.write_formula(f"D{row}", f"=C{row}/B{row}", None, 0.9)
    data.write_comment("B3", "所属のメモ", {"author": "山田"})
    data.write_comment("C4", "実績は見込み", {"author": "佐藤"})
    data.write_comment("A6", "[Threaded comment] 確認中", {"author": "tc={0A1B2C3D-0000-0000-0000-000000000000}"})
    data.insert_button("H30", {"caption": "集計", "macro": "Sum"})  # a form control in the comments' VML
    notes.write("A1", "備考")
    wb.define_name("全体", "=データ!$A$1:$C$6")
    wb.define_name("データ!実績", "=データ!$C$2:$C$6")
    wb.define_name("メモ&備考!備考", "='メモ&備考'!$A$1")
    if chart:
        line = wb.add_chart({"type": "column"})
        line.add_series({"values": "=データ!$C$2:$C$6", "categories": "=データ!$A$2:$A$6"})
        data.insert_chart("F2", line)
        data.insert_image("F20", "dot.png", {"image_data": io.BytesIO(_png())})
    notes.activate()
    data.select()
    wb.close()
    return path


XLSXWRITER_ISSUES = [
    Issue("not-a-number", "error", "実績を数値で", sheet="データ", cell="C3", field="実績"),
    Issue("qualitative-value", "warning", "目標が文章です", sheet="データ", cell="B3", field="目標"),
    Issue("missing-field", "error", "空欄です", sheet="データ", cell="E4", field="備考"),  # no such cell yet
    Issue("missing-field", "error", "行がありません", sheet="データ", cell="B9", field="目標"),  # no such row
    Issue("missing-field", "error", "表紙の空欄", sheet="表紙", cell="A3", field="表題"),
    Issue("not-a-number", "error", "スレッドのあるセル", sheet="データ", cell="A6", field="項目"),
    Issue("has-macros", "warning", "ファイル全体の警告"),
]


# --- files written by openpyxl (the filled template) ----------------------------------------------------------


@pytest.fixture
def faulty(make_book: Callable[..., Path], seed: dict[str, Any]) -> tuple[Path, tuple[Issue, ...]]:
    path = make_book(_faulty(seed), "総務部_情報政策課.xlsx")
    [result] = validate_files([path])
    # the cells' issues; the file-level 'unplaceable' that follows from the blank 年度 has no cell to mark
    assert [i.code for i in result.issues if not i.cell] == ["unplaceable"]
    return path, tuple(i for i in result.issues if i.cell)


def test_a_filled_template_is_marked_listed_and_otherwise_unchanged(
    tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]
) -> None:
    source, issues = faulty
    original = source.read_bytes()

    patched = patch_workbook(original, issues, filename=source.name, now=NOW)

    _assert_only_marked_parts_change(original, patched, _marked_sheets(issues, {"記入方法"}))
    changed, added, _ = _changes(original, patched)
    assert {"xl/styles.xml", "xl/workbook.xml"} <= changed
    assert sum(name.endswith(".vml") for name in added) == 3  # one drawing per marked sheet
    wb = _assert_marked(patched, list(issues))
    assert [row[:5] for row in _results(wb)[7:]] == EXPECTED_ROWS
    # Neighbours of a marked cell keep their look; the copy opens on 確認結果 alone.
    assert _rgb(wb[SHEET_BASIC]["C7"]) == INPUT_FILL and wb[SHEET_BASIC]["C7"].comment is None
    assert wb.active.title == SHEET_RESULTS
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [SHEET_RESULTS]
    links = [(c.value, c.hyperlink.location) for c in wb[SHEET_RESULTS]["C"] if c.hyperlink is not None]
    assert links == [(cell, f"'{sheet}'!{cell}") for _, sheet, cell, *_ in EXPECTED_ROWS]


def test_the_results_sheet_says_what_annotates_says(tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]) -> None:
    source, issues = faulty
    patched = _load(patch_workbook(source.read_bytes(), issues, filename=source.name, now=NOW))
    annotated = load_workbook(annotate(source, issues, tmp_path / "annotated.xlsx"))

    assert _results(patched) == _results(annotated)
    assert HOW_TO_RESUBMIT in [row[0] for row in _results(patched)]
    assert [c.value for c in patched[SHEET_RESULTS][8]] == list(HEADERS)
    merged = {str(m) for m in patched[SHEET_RESULTS].merged_cells.ranges}
    assert merged == {str(m) for m in annotated[SHEET_RESULTS].merged_cells.ranges}
    ws = patched[SHEET_RESULTS]
    assert (ws.freeze_panes, ws.page_setup.orientation, ws.page_setup.fitToWidth) == ("A9", "landscape", 1)
    assert not ws.defined_names and ws["B3"].number_format == '0"件"'
    for issue in issues:  # every comment reads as annotate's
        assert patched[issue.sheet][issue.cell].comment.text == annotated[issue.sheet][issue.cell].comment.text
    assert patched[SHEET_RESULTS]["B5"].value == NOW.strftime("%Y-%m-%d %H:%M")


def test_names_scoped_to_sheets_keep_their_sheet(tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]) -> None:
    source, issues = faulty
    before = load_workbook(source)
    patched = _load(patch_workbook(source.read_bytes(), issues, filename=source.name))
    for ws in before.worksheets:
        scoped = {name: d.attr_text for name, d in ws.defined_names.items()}
        assert {name: d.attr_text for name, d in patched[ws.title].defined_names.items()} == scoped, ws.title
    assert set(patched.defined_names) == set(before.defined_names)


def test_calamine_and_the_reader_see_the_same_workbook(faulty: tuple[Path, tuple[Issue, ...]], tmp_path: Path) -> None:
    source, issues = faulty
    patched = tmp_path / "patched.xlsx"
    patched.write_bytes(patch_workbook(source.read_bytes(), issues, filename=source.name))

    before, after = _frames(source.read_bytes()), _frames(patched.read_bytes())
    assert before.keys() == after.keys()
    for name, frame in before.items():
        assert after[name].equals(frame), name
    [again] = validate_files([patched])
    assert [(i.sheet, i.cell, i.code) for i in again.issues if i.cell] == [(i.sheet, i.cell, i.code) for i in issues]


def test_reannotating_replaces_the_marks_and_does_not_grow_the_styles(
    faulty: tuple[Path, tuple[Issue, ...]], tmp_path: Path
) -> None:
    source, issues = faulty
    first = patch_workbook(source.read_bytes(), issues, filename=source.name)
    remaining = [i for i in issues if i.sheet != SHEET_BASIC]

    second = patch_workbook(first, remaining, filename=source.name)
    third = patch_workbook(second, remaining, filename=source.name)

    wb = _assert_marked(second, remaining)
    assert wb.sheetnames.count(SHEET_RESULTS) == 1
    assert len(_results(wb)[7:]) == len(remaining)
    for address in ("C4", "C6", "C10"):  # fixed: the template's input look again, no comment
        cell = wb[SHEET_BASIC][address]
        assert (_rgb(cell), cell.comment, cell.border.left.style) == (INPUT_FILL, None, "thin"), address
    assert wb["政策1"]["L26"].comment.text.count("【エラー】") == 1
    # Each round reuses the formats the last one added: styles.xml stops changing.
    assert _members(third)["xl/styles.xml"] == _members(second)["xl/styles.xml"]
    assert _members(third)["xl/workbook.xml"] == _members(second)["xl/workbook.xml"]
    comments = [n for n in _members(third) if re.search(r"comments\d*\.xml$", n)]
    assert len(comments) == 2  # 基本情報 has no comment left, its part lists none
    for name in comments:
        assert _members(third)[name].count(b"<comment ") == _members(second)[name].count(b"<comment ")


def test_reannotating_a_copy_resaved_by_openpyxl_reuses_its_formats(
    faulty: tuple[Path, tuple[Issue, ...]], tmp_path: Path
) -> None:
    source, issues = faulty
    first = tmp_path / "first.xlsx"
    first.write_bytes(patch_workbook(source.read_bytes(), issues, filename=source.name))
    load_workbook(first).save(first)  # the division opens the copy, corrects nothing, saves it
    resaved = first.read_bytes()

    second = patch_workbook(resaved, issues, filename=source.name)
    third = patch_workbook(second, issues, filename=source.name)

    count = re.compile(rb'<cellXfs count="(\d+)"')

    def formats(data: bytes) -> int:
        found = count.search(_members(data)["xl/styles.xml"])
        assert found is not None
        return int(found[1])

    assert formats(second) <= formats(resaved) + 2  # at most the results sheet's formats openpyxl did not keep
    assert formats(third) == formats(second)
    _assert_marked(third, list(issues))


def test_division_comments_are_kept_and_restored_when_fixed(
    make_book: Callable[..., Path], seed: dict[str, Any], tmp_path: Path
) -> None:
    source = make_book(seed)
    wb = load_workbook(source)
    wb[SHEET_BASIC]["C9"].comment = Comment("4月に異動予定", "山田")
    wb[SHEET_BASIC]["B2"].comment = Comment("表題のメモ", "佐藤")
    wb.save(source)
    issue = make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="C9", field="所属長名", what="x")

    first = patch_workbook(source.read_bytes(), [issue], filename=source.name)
    marked = _load(first)[SHEET_BASIC]
    assert marked["C9"].comment.author == AUTHOR
    assert marked["C9"].comment.text == f"{_note([issue])}\n\n――元のコメント（山田）――\n4月に異動予定"
    assert (marked["B2"].comment.author, marked["B2"].comment.text) == ("佐藤", "表題のメモ")
    vml = "".join(v.decode() for k, v in _members(first).items() if k.endswith(".vml"))
    assert len(re.findall(r'ObjectType="Note"', vml)) == 2  # one box per comment, none doubled

    again = _load(patch_workbook(first, [issue], filename=source.name))[SHEET_BASIC]
    assert again["C9"].comment.text == marked["C9"].comment.text  # the division's note kept once, not nested

    second = patch_workbook(first, [], filename=source.name)
    restored = _load(second)[SHEET_BASIC]
    assert (restored["C9"].comment.author, restored["C9"].comment.text) == ("山田", "4月に異動予定")
    assert (restored["B2"].comment.author, restored["B2"].comment.text) == ("佐藤", "表題のメモ")
    assert _rgb(restored["C9"]) == INPUT_FILL


# --- files written by xlsxwriter --------------------------------------------------------------------------------


def test_an_xlsxwriter_book_keeps_its_chart_image_comments_and_names(tmp_path: Path) -> None:
    original = _xlsxwriter_book(tmp_path / "xw.xlsx").read_bytes()

    patched = patch_workbook(original, XLSXWRITER_ISSUES, filename="xw.xlsx", now=NOW)

    _assert_only_marked_parts_change(original, patched, {"データ", "表紙", "メモ&備考"})
    changed, _, _ = _changes(original, patched)
    assert {n for n in changed if "chart" in n or "media" in n or "drawing" in n} == {
        n for n in changed if n.endswith(".vml")
    }
    wb = _assert_marked(patched, XLSXWRITER_ISSUES)
    data = wb["データ"]
    assert (data["C4"].comment.author, data["C4"].comment.text) == ("佐藤", "実績は見込み")
    assert "――元のコメント（山田）――\n所属のメモ" in data["B3"].comment.text
    assert data["A6"].comment.text == "[Threaded comment] 確認中" and _rgb(data["A6"]) == ERROR_FILL
    vml = "".join(v.decode() for k, v in _members(patched).items() if k.endswith(".vml"))
    assert vml.count('ObjectType="Button"') == 1 and "集計" in vml
    app = _members(patched)["docProps/app.xml"].decode()
    assert "<vt:i4>4</vt:i4>" in app and '<vt:vector size="7" baseType="lpstr"><vt:lpstr>確認結果</vt:lpstr>' in app
    assert data["D3"].value == "=C3/B3" and data["C3"].value == 27
    assert wb.defined_names["全体"].attr_text == "データ!$A$1:$C$6"
    assert data.defined_names["実績"].attr_text == "データ!$C$2:$C$6"
    assert wb["メモ&備考"].defined_names["備考"].attr_text == "'メモ&備考'!$A$1"
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [SHEET_RESULTS]
    assert wb.active.title == SHEET_RESULTS
    workbook = _members(patched)["xl/workbook.xml"].decode()
    assert 'activeTab="0"' in workbook and "firstSheet" not in workbook
    assert _frames(patched).keys() == _frames(original).keys()
    for name, frame in _frames(original).items():
        assert _frames(patched)[name].equals(frame), name
    assert [(r[1], r[2]) for r in _results(wb)[7:]] == [
        ("表紙", "A3"),
        ("データ", "C3"),
        ("データ", "E4"),
        ("データ", "A6"),
        ("データ", "B9"),
        (None, None),
        ("データ", "B3"),
    ]


def test_cells_and_rows_missing_from_sheet_data_are_inserted_in_order(tmp_path: Path) -> None:
    original = _xlsxwriter_book(tmp_path / "xw.xlsx", chart=False).read_bytes()
    patched = patch_workbook(original, XLSXWRITER_ISSUES, filename="xw.xlsx")
    sheet = _members(patched)[_sheet_parts(patched)["データ"]].decode()
    rows = [int(r) for r in re.findall(r'<row r="(\d+)"', sheet)]
    assert rows == sorted(rows) and 9 in rows
    for row in re.findall(r'<row r="\d+"[^>]*>(.*?)</row>', sheet):
        columns = re.findall(r'<c r="([A-Z]+)\d+"', row)
        assert columns == sorted(columns, key=lambda c: (len(c), c))
    assert re.search(r'<dimension ref="A1:E9"/>', sheet)


# --- files written by LibreOffice ----------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_a_libreoffice_book_with_chart_and_image_keeps_them_and_opens_again(
    tmp_path: Path, libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    converted = libreoffice(_xlsxwriter_book(tmp_path / "lo.xlsx"), "xlsx", tmp_path / "lo")
    original = converted.read_bytes()
    assert any("chart" in name for name in _members(original)) and any("media" in name for name in _members(original))

    patched = patch_workbook(original, XLSXWRITER_ISSUES, filename="lo.xlsx")

    _assert_only_marked_parts_change(original, patched, {"データ", "表紙", "メモ&備考"})
    _assert_marked(patched, XLSXWRITER_ISSUES)
    for name, frame in _frames(original).items():
        assert _frames(patched)[name].equals(frame), name
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(patched)
    reopened = libreoffice(copy, "xlsx", tmp_path / "again")  # LibreOffice opens the copy and saves it
    _assert_marked(reopened.read_bytes(), XLSXWRITER_ISSUES, author=None)
    # Its comments lost their author on the way: the next round still knows them as the pipeline's by their text.
    again = patch_workbook(reopened.read_bytes(), XLSXWRITER_ISSUES[:1], filename="lo.xlsx")
    data = _load(again)["データ"]
    assert data["C3"].comment.text.count("【エラー】") == 1 and data["E4"].comment is None
    wb = load_workbook(reopened)
    assert wb["データ"]["C4"].comment.text == "実績は見込み" and wb["データ"]["C3"].value == 27
    assert any("chart" in name for name in _members(reopened.read_bytes()))


@pytest.mark.libreoffice
def test_a_template_resaved_by_libreoffice_is_patched_and_read_alike(
    tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]], libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    source, _ = faulty
    converted = libreoffice(source, "xlsx", tmp_path / "lo")
    [result] = validate_files([converted])
    original = converted.read_bytes()

    patched = patch_workbook(original, result.issues, filename=converted.name)

    selected = {n for n, part in _sheet_parts(original).items() if b"tabSelected" in _members(original)[part]}
    _assert_only_marked_parts_change(original, patched, _marked_sheets(result.issues, selected))
    _assert_marked(patched, list(result.issues))
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(patched)
    [again] = validate_files([copy])
    assert [(i.sheet, i.cell, i.code) for i in again.issues] == [(i.sheet, i.cell, i.code) for i in result.issues]
    libreoffice(copy, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", tmp_path / "csv")
    sheets = {
        path.stem.removeprefix("copy-"): path.read_text(encoding="utf-8") for path in (tmp_path / "csv").glob("*.csv")
    }
    assert "工程表の確認結果" in sheets[SHEET_RESULTS] and "来年度" in sheets[SHEET_BASIC]


# --- package structures the patcher must handle -----------------------------------------------------------------

_HAND_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<bookViews><workbookView activeTab="1" firstSheet="1"/></bookViews>
<sheets><sheet name="計算" sheetId="3" r:id="rId7"/><sheet name="空" sheetId="5" r:id="rId9"/></sheets>
<definedNames><definedName name="_xlnm.Print_Area" localSheetId="1">空!$A$1:$B$2</definedName>\
<definedName name="合計" localSheetId="0">計算!$B$4</definedName></definedNames>
</workbook>"""

_HAND_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetViews><sheetView workbookViewId="0"/></sheetViews>
<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c></row>\
<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><f t="shared" ref="B2:B3" si="0">B1*2</f><v>2</v></c></row>\
<row r="3"><c r="B3"><f t="shared" si="0"/><v>4</v></c></row>\
<row r="4"><c r="B4"><f>SUM(B1:B3)</f><v>7</v></c></row></sheetData>
<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>
</worksheet>"""

_HAND_EMPTY = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetData/>
</worksheet>"""

_HAND_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.0"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def _hand_made() -> bytes:
    """A package with unusual paths: absolute targets, a sheet not named sheetN.xml, an empty sheetData, shared
    strings and a shared formula, the second sheet active."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/data/calc.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/data/empty.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="/xl/workbook.xml"/></Relationships>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="/xl/data/calc.xml"/>'
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="data/empty.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/workbook.xml": _HAND_WORKBOOK,
        "xl/data/calc.xml": _HAND_SHEET,
        "xl/data/empty.xml": _HAND_EMPTY,
        "xl/styles.xml": _HAND_STYLES,
        "xl/sharedStrings.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
        "<si><t>項目</t></si><si><t>値</t></si></sst>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return out.getvalue()


HAND_ISSUES = [
    Issue("not-a-number", "error", "共有数式のセル", sheet="計算", cell="B3", field="値"),
    Issue("missing-field", "warning", "文字列のセル", sheet="計算", cell="A2", field="項目"),
    Issue("missing-field", "error", "空のシート", sheet="空", cell="B2", field="値"),
]


def test_absolute_targets_odd_sheet_paths_empty_sheet_data_and_shared_formulas(tmp_path: Path) -> None:
    original = _hand_made()

    patched = patch_workbook(original, HAND_ISSUES, filename="hand.xlsx")

    changed, _, _ = _changes(original, patched)
    assert "xl/sharedStrings.xml" not in changed
    assert {"xl/data/calc.xml", "xl/data/empty.xml"} <= changed
    calc = _members(patched)["xl/data/calc.xml"].decode()
    assert '<f t="shared" ref="B2:B3" si="0">B1*2</f>' in calc and '<f t="shared" si="0"/>' in calc
    wb = _assert_marked(patched, HAND_ISSUES)
    assert wb["計算"]["B3"].value == "=B1*2" or str(wb["計算"]["B3"].value).startswith("=")
    assert wb["計算"]["A2"].value == "値" and wb["計算"]["B4"].value == "=SUM(B1:B3)"
    assert wb["空"].print_area == "'空'!$A$1:$B$2" and wb["計算"].defined_names["合計"].attr_text == "計算!$B$4"
    workbook = _members(patched)["xl/workbook.xml"].decode()
    assert 'activeTab="0"' in workbook and "firstSheet" not in workbook
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [SHEET_RESULTS]
    frames = _frames(patched)
    assert frames["計算"].equals(_frames(original)["計算"])


@pytest.mark.libreoffice
def test_libreoffice_computes_the_patched_hand_made_book(
    tmp_path: Path, libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    copy = tmp_path / "hand.xlsx"
    copy.write_bytes(patch_workbook(_hand_made(), HAND_ISSUES, filename="hand.xlsx"))
    reopened = libreoffice(copy, "xlsx", tmp_path / "lo")
    wb = load_workbook(reopened, data_only=True)
    assert [wb["計算"][c].value for c in ("B1", "B2", "B3", "B4")] == [1, 2, 4, 7]
    assert wb["計算"]["B3"].comment is not None and _rgb(wb["計算"]["B3"]) == ERROR_FILL


def test_a_macro_workbook_becomes_a_plain_one(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = macros(make_book(seed).read_bytes(), by_part=True)
    issue = make_issue(Code.HAS_MACROS)

    patched = patch_workbook(source, [issue], filename="macros.xlsm")

    members = _members(patched)
    assert "xl/vbaProject.bin" not in members and b"vbaProject" not in members["xl/_rels/workbook.xml.rels"]
    assert b"macroEnabled" not in members["[Content_Types].xml"] and b"vbaProject" not in members["[Content_Types].xml"]
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(patched)
    assert validate_files([copy])[0].issues == ()


def test_issues_without_a_cell_or_on_a_missing_sheet_are_only_listed(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    issues = [
        make_issue(Code.HAS_MACROS),
        make_issue(Code.MISSING_NAME, sheet="政策1", field="進捗評価", name="progress"),
        make_issue(Code.MISSING_FIELD, sheet="政策9", cell="C51", field="進捗評価", what="x"),
        make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="not-a-cell", field="部局名", what="x"),
    ]
    original = source.read_bytes()
    patched = patch_workbook(original, issues, filename=source.name)
    _assert_only_marked_parts_change(original, patched, {"記入方法"})
    wb = _load(patched)
    assert [(r[0], r[1], r[2], r[4]) for r in _results(wb)[7:]] == [
        ("エラー", SHEET_BASIC, "not-a-cell", "missing-field"),
        ("エラー", "政策1", None, "missing-name"),
        ("エラー", "政策9", "C51", "missing-field"),
        ("警告", None, None, "has-macros"),
    ]
    assert [c for c in wb[SHEET_RESULTS]["C"] if c.hyperlink is not None] == []


def test_text_that_looks_like_a_formula_or_holds_control_characters_stays_text(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    formula = Issue("schema", "error", "=1+1 & <b>", sheet=SHEET_BASIC, cell="C6", field="=SUM(A1:A2)", found="=A1")
    control = Issue("schema", "error", "bad\x0bchar", sheet=SHEET_BASIC, cell="C7", field="所属名")
    patched = patch_workbook(source.read_bytes(), [formula, control], filename="a&b<c>.xlsx")
    results = _members(patched)[_sheet_parts(patched)[SHEET_RESULTS]].decode()
    assert "<f>" not in results
    wb = _load(patched)
    rows = _results(wb)
    assert rows[1][1] == "a&b<c>.xlsx"
    assert rows[7][3:] == ("=SUM(A1:A2)", "schema", "=1+1 & <b>")
    assert wb[SHEET_BASIC]["C7"].comment.text == "【エラー】bad\ufffdchar"


def test_names_on_or_into_an_earlier_results_sheet_go_with_it(tmp_path: Path) -> None:
    first = patch_workbook(_hand_made(), HAND_ISSUES, filename="hand.xlsx")
    parts = _members(first)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"</definedNames>",
        "<definedName name=\"一覧\">'確認結果'!$A$9</definedName>"
        '<definedName name="旧">旧確認結果!$A$1</definedName>'
        '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">確認結果!$A$8:$F$9</definedName>'
        '<definedName name="範囲" localSheetId="0">$A$1</definedName></definedNames>'.encode(),
    )
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)

    second = patch_workbook(edited.getvalue(), HAND_ISSUES[:1], filename="hand.xlsx")

    names = re.findall(r"<definedName [^>]*>[^<]*</definedName>", _members(second)["xl/workbook.xml"].decode())
    assert names == [
        '<definedName name="_xlnm.Print_Area" localSheetId="2">空!$A$1:$B$2</definedName>',
        '<definedName name="合計" localSheetId="1">計算!$B$4</definedName>',
        '<definedName name="旧">旧確認結果!$A$1</definedName>',
    ]
    assert _load(second).sheetnames == [SHEET_RESULTS, "計算", "空"]


def test_an_error_and_a_warning_on_one_merged_cell_make_the_area_red_with_both_messages(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    issues = [
        make_issue(Code.QUALITATIVE_VALUE, sheet=SHEET_BASIC, cell="C6", field="部局名", found="総務部"),
        make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="E6", field="部局名", what="部局名を入力してください。"),
    ]
    patched = patch_workbook(source.read_bytes(), issues, filename=source.name)
    wb = _load(patched)
    ws = wb[SHEET_BASIC]
    assert "C6:F6" in {m.coord for m in ws.merged_cells.ranges}
    assert _rgb(ws["C6"]) == ERROR_FILL  # openpyxl reads a merged area's fill from its first cell only
    assert {_fill_id(patched, SHEET_BASIC, c) for c in ("C6", "D6", "E6", "F6")} == {
        _fill_id(patched, SHEET_BASIC, "C6")
    }
    edges = [ws["C6"].border.left, ws["D6"].border.top, ws["E6"].border.bottom, ws["F6"].border.right]
    assert {(side.style, str(side.color.rgb)[-6:]) for side in edges} == {("medium", "9C0006")}
    assert ws["C6"].comment.text == _note([issues[1], issues[0]])
    assert [ws.cell(row=r, column=1).comment for r in range(1, 20)] == [None] * 19
    assert [(r[1], r[2]) for r in _results(wb)[7:]] == [(SHEET_BASIC, "E6"), (SHEET_BASIC, "C6")]


def test_patch_file_writes_an_xlsx_from_the_bytes_given_and_never_over_the_original(
    tmp_path: Path, make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    source = make_book(seed)
    data = source.read_bytes()
    issue = make_issue(Code.MISSING_FIELD, sheet=SHEET_BASIC, cell="C9", field="所属長名", what="x")
    moved = tmp_path / "gone" / "book.xlsm"  # the caller's bytes are enough: the path only names the file

    copy = patch_file(moved, [issue], tmp_path / "out" / "book.xlsm", data=data)

    assert copy == tmp_path / "out" / "book.xlsx" and [p.name for p in copy.parent.iterdir()] == ["book.xlsx"]
    wb = load_workbook(copy)
    assert wb[SHEET_RESULTS]["B2"].value == "book.xlsm" and _rgb(wb[SHEET_BASIC]["C9"]) == ERROR_FILL
    with pytest.raises(ValueError, match="overwrite"):
        patch_file(source, [issue], source)
    assert source.read_bytes() == data


def test_a_copy_annotated_by_openpyxl_is_reannotated_by_patching(
    tmp_path: Path, faulty: tuple[Path, tuple[Issue, ...]]
) -> None:
    source, issues = faulty
    annotated = annotate(source, issues, tmp_path / "annotated.xlsx").read_bytes()
    remaining = [i for i in issues if i.sheet != SHEET_BASIC]

    patched = patch_workbook(annotated, remaining, filename=source.name)

    wb = _assert_marked(patched, remaining)
    assert wb.sheetnames.count(SHEET_RESULTS) == 1 and len(_results(wb)[7:]) == len(remaining)
    for address in ("C4", "C6", "C10"):
        cell = wb[SHEET_BASIC][address]
        assert (_rgb(cell), cell.comment, cell.border.left.style) == (INPUT_FILL, None, "thin"), address
    assert wb["政策1"]["L26"].comment.text.count("【エラー】") == 1


def test_the_copy_says_when_it_was_made_in_japan_time() -> None:
    from pipeline.outputs.marks import checked_at

    utc = dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)  # a server keeping UTC, late on the 31st
    assert checked_at(utc.astimezone(dt.timezone(dt.timedelta(hours=9)))) == "2026-04-01 01:00"


def test_the_patcher_does_not_import_openpyxl() -> None:
    import subprocess
    import sys

    code = "import sys, pipeline.outputs.patch; print('openpyxl' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )
    assert done.stdout.strip() == "False"  # a worker making patched copies never loads openpyxl

"""Tests for the standard 工程表 template: names, headers, dropdowns, the worked example, print setup and the
committed file."""

from __future__ import annotations

import html
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook

from pipeline.api import validate_files
from pipeline.contract.layout import (
    BASIC_FIELDS,
    META_FIELDS,
    POLICY_FIELDS,
    POLICY_NAMES,
    POLICY_SECTIONS,
    RELATED_PLAN_LABELS,
    SHEET_BASIC,
    SHEET_EXAMPLE,
    SHEET_GUIDE,
    SHEET_META,
    SHEET_POLICY,
    WORKBOOK_NAMES,
    Shape,
)
from pipeline.contract.template import EXAMPLE_ENTRIES, FONT_NAME, TEMPLATE_FILENAME, build_template, write_template
from pipeline.intake.read import read_submission
from scripts.seed import seed_entries, seed_record

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "templates" / TEMPLATE_FILENAME


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    """The template written to disk and read back, as a division's Excel would see it."""
    path = write_template(tmp_path_factory.mktemp("template") / TEMPLATE_FILENAME)
    return openpyxl.load_workbook(path)


def _abs(ref: str) -> str:
    """``B25:R35`` → ``$B$25:$R$35``, spelled out independently of the code under test."""
    parts = []
    for cell in ref.split(":"):
        letters = cell.rstrip("0123456789")
        parts.append(f"${letters}${cell[len(letters) :]}")
    return ":".join(parts)


def _validations(ws: Any) -> dict[str, Any]:
    """The worksheet's data validations keyed by their sqref text."""
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def _validation_at(ws: Any, cell: str) -> Any:
    """The data validation covering one cell, or None."""
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) <= 1, (ws.title, cell, found)
    return found[0] if found else None


def test_sheets_in_order_with_metadata_hidden(saved: Workbook) -> None:
    assert saved.sheetnames == ["記入方法", "基本情報", "政策1", "記入例", "管理情報"]
    assert [ws.sheet_state for ws in saved] == ["visible", "visible", "visible", "visible", "hidden"]
    assert saved[SHEET_META]["B1"].value == 1
    assert saved[SHEET_META]["A1"].value == "テンプレート版"


def test_workbook_fields_are_workbook_scoped_names_with_exact_refs(saved: Workbook) -> None:
    expected = {f.name: f"'{SHEET_BASIC}'!{_abs(f.ref)}" for f in BASIC_FIELDS}
    expected |= {f.name: f"'{SHEET_META}'!{_abs(f.ref)}" for f in META_FIELDS}
    assert {name: dn.attr_text for name, dn in saved.defined_names.items()} == expected
    assert saved.defined_names["fiscal_year"].attr_text == "'基本情報'!$C$4"
    assert saved.defined_names["missions"].attr_text == "'基本情報'!$C$12:$C$21"
    assert saved.defined_names["template_version"].attr_text == "'管理情報'!$B$1"
    assert set(expected) == WORKBOOK_NAMES


def test_policy_fields_are_sheet_scoped_on_policy1_with_exact_refs(saved: Workbook) -> None:
    policy = saved[SHEET_POLICY]
    assert {name: dn.attr_text for name, dn in policy.defined_names.items()} == {
        f.name: f"'{SHEET_POLICY}'!{_abs(f.ref)}" for f in POLICY_FIELDS
    }
    assert policy.defined_names["indicators"].attr_text == "'政策1'!$B$25:$R$35"
    assert policy.defined_names["policy_title"].attr_text == "'政策1'!$C$3"
    assert set(policy.defined_names) == POLICY_NAMES
    for other in (SHEET_GUIDE, SHEET_BASIC, SHEET_EXAMPLE, SHEET_META):
        assert dict(saved[other].defined_names) == {}


def test_table_header_labels_sit_in_the_first_row_of_each_range(saved: Workbook) -> None:
    ws = saved[SHEET_POLICY]
    for table in (f for f in POLICY_FIELDS if f.shape is Shape.TABLE):
        header_row = int(table.first_cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        assert {col.key: ws[f"{col.letter}{header_row}"].value for col in table.columns} == {
            col.key: col.label for col in table.columns
        }
    assert [ws[f"{c}25"].value for c in "BCDEFGHIJKLMNOPQR"] == [
        "指標名",
        "指標の分類",
        "単位",
        "方向",
        "基準値",
        "基準値時点",
        "年度当初値",
        "年度当初値時点",
        "今年度目標値",
        "今年度目標値時点",
        "今年度実績値",
        "今年度実績値時点",
        "長期的目標値",
        "長期的目標値時点",
        "根拠となる計画等",
        "その他計画の名称",
        "計画指標の選定理由",
    ]
    assert (ws["B38"].value, ws["C38"].value, ws["G38"].value, ws["I38"].value) == (
        "番号",
        "事業名",
        "予算額(千円)",
        "事業概要・スケジュール",
    )
    assert (ws["B56"].value, ws["I56"].value, ws["B69"].value, ws["I69"].value) == (
        "取組",
        "成果",
        "課題",
        "今後の取組",
    )
    assert ws["B38"].font.bold
    assert ws["B38"].fill.fgColor.rgb == "00BDD7EE"


def test_related_plans_rows_carry_the_plan_labels_without_header(saved: Workbook) -> None:
    ws = saved[SHEET_POLICY]
    assert [ws[f"B{row}"].value for row in range(17, 21)] == list(RELATED_PLAN_LABELS)
    assert [ws[f"C{row}"].value for row in range(17, 21)] == [None] * 4


def test_labels_sections_and_titles_are_drawn(saved: Workbook) -> None:
    basic, policy = saved[SHEET_BASIC], saved[SHEET_POLICY]
    assert basic["B1"].value == "工程表　基本情報"
    assert [basic[f"B{row}"].value for row in (4, 5, 6, 7, 8, 9, 10, 12)] == [
        "年度",
        "評価時点",
        "部局名",
        "所属名",
        "所属コード",
        "所属長名",
        "電話番号",
        "組織ミッション",
    ]
    assert policy["B1"].value == "工程表　政策内容と目標・評価"
    assert [policy[f"B{row}"].value for row in (2, 16, 24, 37, 50, 55, 68)] == [
        "1. 政策内容と目標",
        "（参考）該当する長期的目標",
        "2. 測定指標",
        "3. 目標を実現するための主要事業・主要制度",
        "4. 評価",
        "5. 取組と成果",
        "6. 課題と今後の取組",
    ]
    assert [policy[f"B{row}"].value for row in (3, 5, 21, 22, 51, 52, 53)] == [
        "政策内容",
        "今年度の目標",
        "その他の計画名",
        "所属で設定する長期目標",
        "進捗評価",
        "達成度の評価",
        "評価理由",
    ]


def test_input_cells_are_yellow_bordered_and_in_the_japanese_font(saved: Workbook) -> None:
    for sheet, fields in ((SHEET_BASIC, BASIC_FIELDS), (SHEET_POLICY, POLICY_FIELDS)):
        ws = saved[sheet]
        for f in fields:
            first = f.first_cell if f.shape is not Shape.TABLE else f"{f.columns[0].letter}{ws[f.first_cell].row + 1}"
            if f.columns and f.shape is Shape.LIST:  # related plans: marks in the second column
                first = f"{f.columns[1].letter}{ws[f.first_cell].row}"
            cell = ws[first]
            assert (cell.fill.fgColor.rgb, cell.border.left.style, cell.font.name) == (
                "00FFF2CC",
                "thin",
                FONT_NAME,
            ), (sheet, f.name)
    assert saved[SHEET_BASIC]["B4"].fill.fgColor.rgb == "00DDEBF7"


def test_codes_and_phone_numbers_are_typed_as_text(saved: Workbook) -> None:
    # Excel keeps 0101 and 0857267642 as typed in a text cell; in a General cell they lose their leading zero.
    basic, policy = saved[SHEET_BASIC], saved[SHEET_POLICY]
    assert (basic["C8"].number_format, basic["C10"].number_format) == ("@", "@")
    assert [policy[f"B{row}"].number_format for row in (39, 48)] == ["@", "@"]  # 事業の番号
    assert (basic["C9"].number_format, policy["G39"].number_format, policy["L26"].number_format) == (
        "General",
        "General",
        "General",
    )


def test_wide_inputs_are_merged(saved: Workbook) -> None:
    basic = {str(r) for r in saved[SHEET_BASIC].merged_cells.ranges}
    policy = {str(r) for r in saved[SHEET_POLICY].merged_cells.ranges}
    assert {"C4:D4", "C6:F6", "C12:L12", "C21:L21", "B12:B21"} <= basic
    assert {"C3:R3", "C5:R5", "B5:B14", "C53:R53", "C39:F39", "G39:H39", "I39:R39", "B57:H57", "I57:R57"} <= policy
    assert "C26:C26" not in policy


def test_column_widths_and_row_heights(saved: Workbook) -> None:
    ws = saved[SHEET_POLICY]
    assert (ws.column_dimensions["B"].width, ws.column_dimensions["R"].width) == (15, 12)
    assert ws.row_dimensions[3].height == 30
    assert ws.row_dimensions[53].height == 50
    assert ws.row_dimensions[25].height > ws.row_dimensions[38].height  # the indicator labels wrap in narrow columns
    assert saved[SHEET_BASIC].row_dimensions[12].height == 30


def test_choice_fields_have_dropdowns_with_exact_lists(saved: Workbook) -> None:
    basic = _validations(saved[SHEET_BASIC])
    policy = _validations(saved[SHEET_POLICY])
    lists = {
        (sheet, sqref): (dv.type, dv.formula1, dv.allow_blank, dv.showErrorMessage)
        for sheet, dvs in ((SHEET_BASIC, basic), (SHEET_POLICY, policy))
        for sqref, dv in dvs.items()
        if dv.type == "list"
    }
    assert lists == {
        ("基本情報", "C5"): ("list", '"当初,中間,最終"', True, True),
        ("政策1", "C17:C20"): ("list", '"○"', True, True),
        ("政策1", "C26:C35"): ("list", '"活動指標,成果指標"', True, True),
        ("政策1", "E26:E35"): ("list", '"増加,減少"', True, True),
        ("政策1", "C51"): ("list", '"◎（予定以上）,○（予定通り）,△（やや遅れ）,×（大幅遅れ）"', True, True),
    }
    assert basic["C5"].error == "当初、中間、最終 のいずれかを選んでください。"
    assert (
        policy["C51"].prompt
        == "◎（予定以上）・○（予定通り）・△（やや遅れ）・×（大幅遅れ）から選んでください。中間・最終で必須です。"
    )


def test_achievement_is_a_whole_number_from_0_to_10(saved: Workbook) -> None:
    dv = _validations(saved[SHEET_POLICY])["C52"]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2, dv.showErrorMessage) == (
        "whole",
        "between",
        "0",
        "10",
        True,
    )
    assert dv.error == "0～10の整数を入力してください。"


def test_every_input_area_has_an_input_message(saved: Workbook) -> None:
    missing = []
    for sheet, fields in ((SHEET_BASIC, BASIC_FIELDS), (SHEET_POLICY, POLICY_FIELDS)):
        ws = saved[sheet]
        for f in fields:
            first_row = ws[f.first_cell].row
            if f.shape is Shape.TABLE:
                cells = {col.label: (f"{col.letter}{first_row + 1}", col.hint) for col in f.columns}
            elif f.columns:
                cells = {f.label: (f"{f.columns[1].letter}{first_row}", f.columns[1].hint)}
            else:
                cells = {f.label: (f.first_cell, f.hint)}
            for label, (cell, hint) in cells.items():
                dv = _validation_at(ws, cell)
                if dv is None or not dv.showInputMessage or dv.prompt != hint or dv.promptTitle != label:
                    missing.append((sheet, cell, label))
    assert missing == []


def test_prompts_fit_excel_limits(saved: Workbook) -> None:
    for ws in saved:
        for dv in ws.data_validations.dataValidation:
            assert len(dv.prompt or "") <= 255 and len(dv.promptTitle or "") <= 32, (ws.title, str(dv.sqref))
            assert len(dv.error or "") <= 255 and len(dv.formula1 or "") <= 255, (ws.title, str(dv.sqref))


def test_visible_sheets_print_on_a4_landscape_one_page_wide(saved: Workbook) -> None:
    for ws in saved:
        if ws.sheet_state != "visible":
            continue
        setup = ws.page_setup
        assert (int(setup.paperSize), setup.orientation, setup.fitToWidth, setup.fitToHeight) == (
            9,
            "landscape",
            1,
            0,
        ), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert ws.page_margins.left == 0.4, ws.title
    assert saved[SHEET_POLICY].print_title_rows == "$1:$1"
    assert saved[SHEET_POLICY].print_area == "'政策1'!$A$1:$R$79"
    assert saved[SHEET_BASIC].print_area == "'基本情報'!$A$1:$L$21"


def test_guide_explains_marks_scores_direction_and_copying(saved: Workbook) -> None:
    text = "\n".join(
        str(cell.value) for row in saved[SHEET_GUIDE].iter_rows() for cell in row if cell.value is not None
    )
    for expected in (
        "◎（予定以上）",
        "×（大幅遅れ）",
        "0～10の整数",
        "10 = 今年度の目標を完全に達成",
        "増加",
        "値が小さいほど良い",
        "判定不可",
        "▲100",
        "H30.4",
        "移動またはコピー",
        "名前の定義",
    ):
        assert expected in text


def test_tables_hold_at_least_ten_rows() -> None:
    for f in (*BASIC_FIELDS, *POLICY_FIELDS):
        if f.shape is Shape.CELL or (f.columns and f.shape is Shape.LIST):
            continue
        first, last = (int(c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for c in f.ref.split(":"))
        header = 1 if f.shape is Shape.TABLE else 0
        assert last - first + 1 - header >= 10, f.name


def test_write_template_replaces_atomically_without_leftovers(tmp_path: Path) -> None:
    target = tmp_path / TEMPLATE_FILENAME
    target.write_bytes(b"old")
    assert write_template(target) == target
    assert [p.name for p in tmp_path.iterdir()] == [TEMPLATE_FILENAME]
    assert openpyxl.load_workbook(target).sheetnames == ["記入方法", "基本情報", "政策1", "記入例", "管理情報"]


def _content(wb: Workbook) -> dict[str, Any]:
    """Everything the contract depends on: sheets, values, names, merges and validations."""
    sheets = {}
    for ws in wb:
        sheets[ws.title] = {
            "state": ws.sheet_state,
            "values": {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
            "names": {name: dn.attr_text for name, dn in ws.defined_names.items()},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (
                    str(dv.sqref),
                    dv.type,
                    dv.operator,
                    dv.formula1,
                    dv.formula2,
                    dv.allow_blank,
                    dv.showErrorMessage,
                    dv.showInputMessage,
                    dv.promptTitle,
                    dv.prompt,
                    dv.errorTitle,
                    dv.error,
                )
                for dv in ws.data_validations.dataValidation
            ),
        }
    return {"sheets": sheets, "names": {name: dn.attr_text for name, dn in wb.defined_names.items()}}


def test_committed_template_matches_build_template(saved: Workbook) -> None:
    assert COMMITTED.exists(), f"regenerate with write_template({COMMITTED})"
    assert _content(openpyxl.load_workbook(COMMITTED)) == _content(saved)


def test_build_template_is_deterministic() -> None:
    first, second = build_template(), build_template()
    assert _content(first) == _content(second)


@pytest.mark.libreoffice
def test_template_survives_a_libreoffice_round_trip(
    tmp_path: Path, libreoffice: Callable[[Path, str, Path], Path], saved: Workbook
) -> None:
    source = write_template(tmp_path / "in.xlsx")
    converted = libreoffice(source, "xlsx", tmp_path / "out")
    back = openpyxl.load_workbook(converted)
    assert back.sheetnames == saved.sheetnames
    assert back[SHEET_META].sheet_state == "hidden"
    # LibreOffice drops the quotes around sheet names that do not need them; the ranges stay the same.
    assert {n: dn.attr_text.replace("'", "") for n, dn in back.defined_names.items()} == {
        n: dn.attr_text.replace("'", "") for n, dn in saved.defined_names.items()
    }
    assert {n: dn.attr_text.replace("'", "") for n, dn in back[SHEET_POLICY].defined_names.items()} == {
        n: dn.attr_text.replace("'", "") for n, dn in saved[SHEET_POLICY].defined_names.items()
    }
    assert back[SHEET_POLICY]["B25"].value == "指標名"
    assert {
        str(dv.sqref): dv.formula1 for dv in back[SHEET_POLICY].data_validations.dataValidation if dv.type == "list"
    }["E26:E35"] == '"増加,減少"'


# --- the worked example ------------------------------------------------------

_EXAMPLE_POLICY_OFFSET = 21  # 政策1 row r is 記入例 row r + 21, below the 基本情報 block (rows 1–21)


def _shifted(ref: str, rows: int) -> str:
    """``C3:R3`` moved down by `rows`."""
    parts = []
    for cell in ref.split(":"):
        letters = cell.rstrip("0123456789")
        parts.append(f"{letters}{int(cell[len(letters) :]) + rows}")
    return ":".join(parts)


def test_example_is_the_seed_division(saved: Workbook) -> None:
    assert seed_entries() == EXAMPLE_ENTRIES
    ws = saved[SHEET_EXAMPLE]
    assert (ws["B1"].value, ws["B1"].font.color.rgb, ws.sheet_properties.tabColor.rgb) == (
        "記入例　総務部 情報政策課（H27・最終）",
        "00C00000",
        "00C00000",
    )
    assert "集計には読み込まれません" in ws["B2"].value
    assert [ws[ref].value for ref in ("C4", "C7", "C12", "C24", "B47", "D47", "L47", "G60", "C72", "C73")] == [
        "H27",
        "情報政策課",
        "○情報通信基盤整備とその利活用推進により、県民等の利便性向上と地域や産業を活性化。",
        "県市町村情報システム共同化によるコスト削減と業務効率化の推進",
        "システム共同化に向けた具体的な検討を行う部会の設置数",
        "部会",
        6,
        628,
        "◎（予定以上）",
        9,
    ]
    assert ws.data_validations.dataValidation == []  # no prompts or dropdowns: nothing to type here
    assert ws.print_title_rows == "$1:$1"  # 記入例 on every printed page


def test_example_reads_back_to_the_seed_record_when_given_the_names(tmp_path: Path) -> None:
    # Point the contract's names at 記入例 (as if it were the input sheets): every seed value is where it belongs.
    wb = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx"))
    example = wb[SHEET_EXAMPLE]
    for f in BASIC_FIELDS:
        wb.defined_names[f.name] = DefinedName(f.name, attr_text=f"'{SHEET_EXAMPLE}'!{_abs(f.ref)}")
    for f in POLICY_FIELDS:
        ref = _abs(_shifted(f.ref, _EXAMPLE_POLICY_OFFSET))
        example.defined_names[f.name] = DefinedName(f.name, attr_text=f"'{SHEET_EXAMPLE}'!{ref}")
    del wb[SHEET_POLICY]
    wb.save(tmp_path / "example.xlsx")
    [result] = validate_files([tmp_path / "example.xlsx"])
    expected = seed_record()
    expected["policies"][0]["sheet"] = SHEET_EXAMPLE
    assert (result.issues, result.record) == ((), expected)


def test_the_reader_ignores_the_example_in_the_template(saved: Workbook) -> None:
    raw = read_submission(COMMITTED.read_bytes(), "template.xlsx")
    assert [p.sheet for p in raw.policies] == [SHEET_POLICY]
    cells = [*raw.cells.values(), *raw.anchors.values(), *(c for cells in raw.lists.values() for c in cells)]
    for policy in raw.policies:
        cells += [*policy.cells.values(), *policy.anchors.values()]
    assert cells and {c.sheet for c in cells} == {SHEET_BASIC, SHEET_POLICY, SHEET_META}
    assert SHEET_EXAMPLE not in {name for ws in saved for name in ws.defined_names}


def test_a_filled_workbook_reads_as_its_own_data_whatever_the_example_holds(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    seed["policies"][0]["policy_title"] = "電子申請の利用拡大"
    path = make_book(seed)
    wb = openpyxl.load_workbook(path)
    wb[SHEET_EXAMPLE]["C24"] = "記入例に書き込んだ政策"  # a division typed into the example: still not read
    wb[SHEET_EXAMPLE]["L47"] = "十一"
    wb.save(path)
    [result] = validate_files([path])
    assert result.issues == ()
    assert result.record is not None
    assert [(p["sheet"], p["policy_title"]) for p in result.record["policies"]] == [("政策1", "電子申請の利用拡大")]
    assert not any(where.startswith(SHEET_EXAMPLE) for where in result.locations.values())


def test_unit_column_is_optional_when_the_unit_is_typed_with_the_value(saved: Workbook) -> None:
    ws = saved[SHEET_POLICY]
    unit = _validation_at(ws, "D26").prompt
    assert "25.9km" in unit and "97.1%" in unit and "空欄で構いません" in unit
    assert "単位を付けても構いません" in _validation_at(ws, "L26").prompt
    guide = "\n".join(str(c.value) for row in saved[SHEET_GUIDE].iter_rows() for c in row if c.value is not None)
    assert "値に単位を付けたときは「単位」欄は空欄で構いません" in guide
    assert "「記入例」シートは総務部 情報政策課の記入例です。集計には読み込まれません" in guide


# --- printing ----------------------------------------------------------------

# A column width unit is one digit of the workbook's default font: 7 px (5.25 pt) in Excel's Calibri 11, about
# 9.5 px (7.1 pt) where LibreOffice substitutes DejaVu Sans. The wider one shrinks a page most; check with it.
_WIDEST_UNIT_PT = 7.1
_A4_LANDSCAPE_PT = (841.9, 595.3)
_PAGES = {SHEET_GUIDE: 2, SHEET_BASIC: 1, SHEET_POLICY: 5, SHEET_EXAMPLE: 7}


def _smallest_printed_font(ws: Any) -> float:
    """The smallest font size in the print area times the fit-to-width scale, in points on paper."""
    area = ws.print_area.split("!")[1].replace("$", "")
    last_col = area.split(":")[1].rstrip("0123456789")
    units = sum(
        ws.column_dimensions[get_column_letter(i)].width for i in range(1, column_index_from_string(last_col) + 1)
    )
    printable = _A4_LANDSCAPE_PT[0] - 72 * (ws.page_margins.left + ws.page_margins.right)
    scale = min(1.0, printable / (units * _WIDEST_UNIT_PT))
    sizes = {float(c.font.size) for row in ws[area] for c in row if c.value is not None}
    return scale * min(sizes)


def test_every_sheet_prints_one_page_wide_at_8pt_or_more(saved: Workbook) -> None:
    visible = [ws for ws in saved if ws.sheet_state == "visible"]
    assert [ws.title for ws in visible] == list(_PAGES)
    for ws in visible:
        setup = ws.page_setup
        assert (int(setup.paperSize), setup.orientation, setup.fitToWidth, setup.fitToHeight) == (
            9,
            "landscape",
            1,
            0,
        ), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert _smallest_printed_font(ws) >= 8, ws.title
        assert len(ws.row_breaks.brk) + 1 == _PAGES[ws.title], ws.title
    assert (saved[SHEET_POLICY].print_title_rows, saved[SHEET_EXAMPLE].print_title_rows) == ("$1:$1", "$1:$1")
    assert saved[SHEET_EXAMPLE].print_area == "'記入例'!$A$1:$R$100"


def test_each_section_starts_a_page_with_its_table(saved: Workbook) -> None:
    ws = saved[SHEET_POLICY]
    assert [b.id for b in ws.row_breaks.brk] == [23, 36, 49, 67]  # pages: 1 | 2 | 3 | 4–5 | 6
    breaks = {b.id for b in ws.row_breaks.brk}
    for row, title in POLICY_SECTIONS:
        table = next((f for f in POLICY_FIELDS if f.shape is Shape.TABLE and ws[f.first_cell].row == row + 1), None)
        if table is not None:  # no break between the section title and the table's last row
            last = int(table.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            assert not breaks & set(range(row, last)), title
    assert [b.id for b in saved[SHEET_EXAMPLE].row_breaks.brk][:1] == [_EXAMPLE_POLICY_OFFSET]


def _pdf_pages(pdf: Path) -> list[tuple[float, float, list[tuple[float, float, float, str]]]]:
    """Each page's width, height and words (xMin, yMin, xMax, text), from poppler's pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in out.split("<page ")[1:]:
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', page)
        assert size is not None
        words = [
            (float(x0), float(y0), float(x1), html.unescape(text))
            for x0, y0, x1, text in re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page
            )
        ]
        pages.append((float(size[1]), float(size[2]), words))
    return pages


@pytest.mark.libreoffice
def test_template_pdf_is_one_page_wide_per_page_at_8pt_or_more(
    tmp_path: Path, libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    pdf = libreoffice(write_template(tmp_path / "template.xlsx"), "pdf", tmp_path / "pdf")
    pages = _pdf_pages(pdf)
    assert len(pages) == sum(_PAGES.values()) == 15  # one page wide: a wider sheet would add pages across
    # Kanji and kana are one em wide, so a run of them measures its font size on paper.
    kana_kanji = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]{2,}")
    sizes = []
    for number, (width, height, words) in enumerate(pages, start=1):
        assert (round(width), round(height)) == (842, 595), number
        assert words and max(x1 for _, _, x1, _ in words) <= width - 20, number
        sizes += [(x1 - x0) / len(text) for x0, _, x1, text in words if kana_kanji.fullmatch(text)]
    assert min(sizes) >= 8.0
    # headers stay with their tables: a section title and a header label of its table (a word of its own) share a page
    text = ["".join(t for _, _, _, t in words) for _, _, words in pages]
    for section, header in (
        ("2.測定指標", "指標名"),
        ("3.目標を実現するための主要事業・主要制度", "事業概要・スケジュール"),
        ("5.取組と成果", "成果"),
        ("6.課題と今後の取組", "今後の取組"),
    ):
        on = [i for i, page in enumerate(text) if section in page]
        assert len(on) == 2, section  # 政策1 and 記入例
        assert all(header in {t for _, _, _, t in pages[i][2]} for i in on), section
    assert all("記入例" in page for page in text[-_PAGES[SHEET_EXAMPLE] :])

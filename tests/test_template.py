"""Tests for the standard 工程表 template: names, headers, dropdowns, print setup and the committed file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from pipeline.layout import (
    BASIC_FIELDS,
    META_FIELDS,
    POLICY_FIELDS,
    POLICY_NAMES,
    RELATED_PLAN_LABELS,
    SHEET_BASIC,
    SHEET_EXAMPLE,
    SHEET_GUIDE,
    SHEET_META,
    SHEET_POLICY,
    WORKBOOK_NAMES,
    Shape,
)
from pipeline.template import FONT_NAME, TEMPLATE_FILENAME, build_template, write_template

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

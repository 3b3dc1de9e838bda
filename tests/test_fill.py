"""Tests for filling the template through its defined names and editing it as an Excel user would."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.contract.example import EXAMPLE_ENTRIES
from pipeline.contract.fill import fill_template, insert_rows_in_range, type_into
from pipeline.contract.template import TEMPLATE_FILENAME, write_template

# The real example (総務部 情報政策課, FY H27): its basic information as the example has it, and a shorter first
# policy typed as a division would (a related plan marked, 予算額 in full-width with its unit), one indicator keyed
# by its Japanese header labels, which fill_template accepts too.
SEED: dict[str, Any] = {
    **{name: value for name, value in EXAMPLE_ENTRIES.items() if name != "policies"},
    "missions": list(EXAMPLE_ENTRIES["missions"]),
    "policies": [
        {
            "policy_title": "県市町村情報システム共同化によるコスト削減と業務効率化の推進",
            "goals": [
                "・県及び市町村で構成する「鳥取県自治体ICT共同化推進協議会」を設立する",
                "・システム共同化の取り組みを効果的に進めるための部会を2つ以上設置する",
            ],
            "related_plans": {"その他": "○"},
            "related_plans_note": None,
            "long_term_goal": "県・市町村のシステム共同化に向けた具体的な検討を行う部会の設置数を増やすとともに、"
            "平成29年度までに3件以上のシステム共同化を実現する。",
            "indicators": [
                {
                    "name": "システム共同化に向けた具体的な検討を行う部会の設置数",
                    "category": "活動指標",
                    "unit": "部会",
                    "direction": "増加",
                    "baseline": 0,
                    "start": 0,
                    "target": 2,
                    "actual": 6,
                    "long_term_target": 4,
                    "long_term_as_of": "H29",
                    "selection_reason": "システム共同化に向けた団体間の調整に重要",
                },
                {
                    "指標名": "共同化が実現したシステム数",
                    "指標の分類": "成果指標",
                    "単位": "件",
                    "baseline": 0,
                    "start": 0,
                    "target": 0,
                    "actual": 0,
                    "long_term_target": 3,
                    "long_term_as_of": "H29",
                    "selection_reason": "システム共同化推進の成果指標の一つとして重要",
                },
            ],
            "projects": [
                {
                    "number": 1,
                    "name": "行政情報システム共同利用等推進事業",
                    "budget": "６２８千円",
                    "summary": "■鳥取県自治体ICT推進協議会の設立\nH27年度 628千円",
                }
            ],
            "progress": "◎（予定以上）",
            "achievement": 9,
            "evaluation_reason": "5/12に協議会を設立、部会は今年度の目標を大きく上回る6部会を設置し、"
            "システムの共同化に向けて県・市町村間で協議を行った。",
            "results": [
                {
                    "action": "鳥取県自治体ICT共同化推進協議会の設立",
                    "outcome": "県及び全市町村参加で構成する協議会を5/12に設立し、ICT分野における県・市町村連携の基盤を構築した。",
                },
                {
                    "action": "システム共同化の取り組みを効果的に進めるための部会設置",
                    "outcome": "7月7日までに6部会設置した。",
                },
            ],
            "challenges": [
                {
                    "challenge": "システム共同化への参加に向けた調整",
                    "next_action": "市町村と連携し、システム共同化参加に向けた調整（各団体の負担割合含む）に取り組む。",
                }
            ],
        }
    ],
}


def _policies(count: int) -> dict[str, Any]:
    """The seed with `count` policies, each with its own title and score."""
    entries = copy.deepcopy(SEED)
    base = entries["policies"][0]
    entries["policies"] = [dict(base, policy_title=f"政策その{n}", achievement=n) for n in range(1, count + 1)]
    return entries


def _names(ws: Any) -> dict[str, str]:
    return {name: dn.attr_text for name, dn in ws.defined_names.items()}


def test_seed_values_land_in_the_named_cells(tmp_path: Path) -> None:
    path = fill_template(SEED, tmp_path / "seed.xlsx")
    wb = openpyxl.load_workbook(path)
    basic, policy = wb["基本情報"], wb["政策1"]
    assert [basic[c].value for c in ("C4", "C5", "C6", "C7", "C8", "C9", "C10")] == [
        "H27",
        "最終",
        "総務部",
        "情報政策課",
        None,
        "田中健一",
        "0857-26-7642",
    ]
    assert [basic[f"C{row}"].value for row in range(12, 18)] == [*SEED["missions"], None]
    assert policy["C3"].value == "県市町村情報システム共同化によるコスト削減と業務効率化の推進"
    assert (policy["C5"].value, policy["C6"].value, policy["C7"].value) == (
        "・県及び市町村で構成する「鳥取県自治体ICT共同化推進協議会」を設立する",
        "・システム共同化の取り組みを効果的に進めるための部会を2つ以上設置する",
        None,
    )
    assert [policy[f"C{row}"].value for row in range(17, 21)] == [None, None, None, "○"]
    assert policy["C22"].value.startswith("県・市町村のシステム共同化")
    assert [policy[f"{c}26"].value for c in "BCDEFGHIJKLMNOPQR"] == [
        "システム共同化に向けた具体的な検討を行う部会の設置数",
        "活動指標",
        "部会",
        "増加",
        0,
        None,
        0,
        None,
        2,
        None,
        6,
        None,
        4,
        "H29",
        None,
        None,
        "システム共同化に向けた団体間の調整に重要",
    ]
    assert [policy[f"{c}27"].value for c in "BCDEJLNO"] == [
        "共同化が実現したシステム数",
        "成果指標",
        "件",
        None,
        0,
        0,
        3,
        "H29",
    ]
    assert [policy[c].value for c in ("B39", "C39", "G39", "I39")] == [
        1,
        "行政情報システム共同利用等推進事業",
        "６２８千円",
        "■鳥取県自治体ICT推進協議会の設立\nH27年度 628千円",
    ]
    assert (policy["C51"].value, policy["C52"].value) == ("◎（予定以上）", 9)
    assert policy["C53"].value.startswith("5/12に協議会を設立")
    assert (policy["B57"].value, policy["I58"].value) == (
        "鳥取県自治体ICT共同化推進協議会の設立",
        "7月7日までに6部会設置した。",
    )
    assert (policy["B70"].value, policy["B71"].value) == ("システム共同化への参加に向けた調整", None)
    assert wb["管理情報"]["B1"].value == 1
    assert wb.sheetnames == ["記入方法", "基本情報", "政策1", "記入例", "管理情報"]


def test_three_policies_make_three_sheets_with_their_own_names(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(fill_template(_policies(3), tmp_path / "three.xlsx"))
    assert wb.sheetnames == ["記入方法", "基本情報", "政策1", "政策2", "政策3", "記入例", "管理情報"]
    original = wb["政策1"]
    for n in (1, 2, 3):
        ws = wb[f"政策{n}"]
        assert _names(ws)["policy_title"] == f"'政策{n}'!$C$3"
        assert _names(ws)["indicators"] == f"'政策{n}'!$B$25:$R$35"
        assert _names(ws) == {name: text.replace("'政策1'", f"'政策{n}'") for name, text in _names(original).items()}
        assert (ws["C3"].value, ws["C52"].value, ws["B26"].value) == (
            f"政策その{n}",
            n,
            "システム共同化に向けた具体的な検討を行う部会の設置数",
        )
        assert sorted(str(r) for r in ws.merged_cells.ranges) == sorted(str(r) for r in original.merged_cells.ranges)
        assert [(str(dv.sqref), dv.type, dv.formula1, dv.prompt) for dv in ws.data_validations.dataValidation] == [
            (str(dv.sqref), dv.type, dv.formula1, dv.prompt) for dv in original.data_validations.dataValidation
        ]
        assert (ws.column_dimensions["B"].width, ws.row_dimensions[53].height) == (15, 50)
        assert (int(ws.page_setup.paperSize), ws.page_setup.orientation, ws.page_setup.fitToWidth) == (
            9,
            "landscape",
            1,
        )
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.print_area, ws.print_title_rows) == (f"'政策{n}'!$A$1:$R$79", "$1:$1")
        assert [b.id for b in ws.row_breaks.brk] == [23, 36, 49, 67]  # each section's spacer row ends a page
        assert ws["C3"].fill.fgColor.rgb == "00FFF2CC"
    assert set(wb.defined_names) == {
        "fiscal_year",
        "stage",
        "department",
        "division",
        "division_code",
        "head",
        "phone",
        "missions",
        "template_version",
    }


def test_policy_sheet_title_can_be_chosen_and_names_follow_it(tmp_path: Path) -> None:
    entries = _policies(2)
    entries["policies"][0]["sheet"] = "情報化"
    wb = openpyxl.load_workbook(fill_template(entries, tmp_path / "renamed.xlsx"))
    assert wb.sheetnames == ["記入方法", "基本情報", "情報化", "政策2", "記入例", "管理情報"]
    assert _names(wb["情報化"])["goals"] == "'情報化'!$C$5:$C$14"
    assert _names(wb["政策2"])["goals"] == "'政策2'!$C$5:$C$14"
    assert wb["情報化"]["C3"].value == "政策その1"


def test_typing_into_a_filled_workbook_writes_only_what_is_given(tmp_path: Path) -> None:
    path = fill_template(_policies(2), tmp_path / "filled.xlsx")

    type_into(path, {"head": "山田花子", "policies": [{"indicators": [None, {"actual": 3}]}, {"progress": "△"}]})

    wb = openpyxl.load_workbook(path)
    assert wb["基本情報"]["C9"].value == "山田花子"
    assert wb.sheetnames == ["記入方法", "基本情報", "政策1", "政策2", "記入例", "管理情報"]
    assert [wb["政策1"][f"{c}27"].value for c in "BL"] == ["共同化が実現したシステム数", 3]
    assert (wb["政策1"]["L26"].value, wb["政策1"]["C51"].value, wb["政策2"]["C51"].value) == (6, "◎（予定以上）", "△")
    with pytest.raises(ValueError, match="3 policies given but the workbook has 2 policy sheets"):
        type_into(path, {"policies": [{}, {}, {}]})


def test_a_prebuilt_template_gives_the_same_workbook(tmp_path: Path) -> None:
    template = write_template(tmp_path / TEMPLATE_FILENAME)
    built = openpyxl.load_workbook(fill_template(_policies(2), tmp_path / "a.xlsx"))
    loaded = openpyxl.load_workbook(fill_template(_policies(2), tmp_path / "b.xlsx", template=template))
    for ws in built:
        other = loaded[ws.title]
        assert [[c.value for c in row] for row in ws.iter_rows()] == [
            [c.value for c in row] for row in other.iter_rows()
        ]
        assert _names(ws) == _names(other)
    assert {n: d.attr_text for n, d in built.defined_names.items()} == {
        n: d.attr_text for n, d in loaded.defined_names.items()
    }


def test_columns_are_found_by_header_label_not_position(tmp_path: Path) -> None:
    template = write_template(tmp_path / TEMPLATE_FILENAME)
    wb = openpyxl.load_workbook(template)
    ws = wb["政策1"]
    ws["D25"], ws["E25"] = "方向", "単位"  # a division swapped two columns
    wb.save(template)
    filled = openpyxl.load_workbook(fill_template(SEED, tmp_path / "swapped.xlsx", template=template))["政策1"]
    assert (filled["D26"].value, filled["E26"].value) == ("増加", "部会")


def test_values_are_written_as_given(tmp_path: Path) -> None:
    entries = copy.deepcopy(SEED)
    entries["fiscal_year"] = 2015
    entries["policies"][0]["indicators"] = [{"name": "率", "target": 12.5, "actual": "▲100", "unit": None}]
    wb = openpyxl.load_workbook(fill_template(entries, tmp_path / "typed.xlsx"))
    assert wb["基本情報"]["C4"].value == 2015
    assert [wb["政策1"][c].value for c in ("B26", "D26", "J26", "L26", "B27")] == ["率", None, 12.5, "▲100", None]


def test_too_many_rows_is_refused(tmp_path: Path) -> None:
    entries = copy.deepcopy(SEED)
    entries["policies"][0]["indicators"] = [{"name": f"指標{n}"} for n in range(11)]
    with pytest.raises(ValueError, match=r"indicators: 11 rows given but 政策1!B25:R35 holds only 10"):
        fill_template(entries, tmp_path / "too_many.xlsx")
    entries = copy.deepcopy(SEED)
    entries["missions"] = ["○"] * 11
    with pytest.raises(ValueError, match=r"missions: 11 rows given but 基本情報!C12:C21 holds only 10"):
        fill_template(entries, tmp_path / "too_many.xlsx")
    assert not (tmp_path / "too_many.xlsx").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"related_plans": {"未知の計画": "○"}}, "related_plans: no row labelled '未知の計画'"),
        ({"indicators": [{"colour": "red"}]}, "indicators: unknown column 'colour'"),
        ({"unknown_field": 1}, "unknown policy entries: \\['unknown_field'\\]"),
    ],
)
def test_unknown_labels_columns_and_fields_are_refused(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    entries = copy.deepcopy(SEED)
    entries["policies"][0].update(change)
    with pytest.raises(ValueError, match=message):
        fill_template(entries, tmp_path / "bad.xlsx")


def test_inserting_rows_grows_the_range_and_moves_the_later_ones(tmp_path: Path) -> None:
    path = fill_template(SEED, tmp_path / "inserted.xlsx")
    insert_rows_in_range(path, "政策1", "indicators", 2, 3)
    wb = openpyxl.load_workbook(path)
    ws = wb["政策1"]
    names = _names(ws)
    assert names["indicators"] == "'政策1'!$B$25:$R$38"
    assert names["projects"] == "'政策1'!$B$41:$R$51"
    assert (names["progress"], names["challenges"]) == ("'政策1'!$C$54", "'政策1'!$B$72:$R$82")
    assert (names["policy_title"], names["goals"]) == ("'政策1'!$C$3", "'政策1'!$C$5:$C$14")
    # The first indicator stays, the second moves below the three new rows.
    assert [ws[f"B{row}"].value for row in (26, 27, 28, 29, 30)] == [
        "システム共同化に向けた具体的な検討を行う部会の設置数",
        None,
        None,
        None,
        "共同化が実現したシステム数",
    ]
    assert (ws["B41"].value, ws["G41"].value, ws["C42"].value) == (
        "番号",
        "予算額(千円)",
        "行政情報システム共同利用等推進事業",
    )
    assert (ws["C54"].value, ws["C55"].value) == ("◎（予定以上）", 9)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"C41:F41", "C42:F42", "I51:R51", "C56:R56", "C3:R3"} <= merged
    assert {"C48:F48", "I48:R48"} <= merged  # a project row, moved along with the rest
    dvs = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert dvs["C26:C38"] == '"活動指標,成果指標"'
    assert dvs["C54"] == '"◎（予定以上）,○（予定通り）,△（やや遅れ）,×（大幅遅れ）"'
    assert ws.row_dimensions[56].height == 50
    assert ws.row_dimensions[27].height == ws.row_dimensions[26].height
    assert ws["B27"].fill.fgColor.rgb == "00FFF2CC"
    assert ws.print_area == "'政策1'!$A$1:$R$82"
    assert [b.id for b in ws.row_breaks.brk] == [23, 39, 52, 70]  # breaks below the new rows move with them
    assert wb.defined_names["missions"].attr_text == "'基本情報'!$C$12:$C$21"


def test_inserting_rows_in_a_workbook_scoped_range(tmp_path: Path) -> None:
    path = fill_template(SEED, tmp_path / "missions.xlsx")
    insert_rows_in_range(path, "基本情報", "missions", 5, 2)
    wb = openpyxl.load_workbook(path)
    ws = wb["基本情報"]
    assert wb.defined_names["missions"].attr_text == "'基本情報'!$C$12:$C$23"
    assert wb.defined_names["phone"].attr_text == "'基本情報'!$C$10"
    assert [ws[f"C{row}"].value for row in (16, 17, 18, 19)] == [SEED["missions"][4], None, None, None]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"B12:B23", "C17:L17", "C18:L18", "C23:L23"} <= merged
    assert _names(wb["政策1"])["indicators"] == "'政策1'!$B$25:$R$35"


def test_inserting_rows_outside_the_range_is_refused(tmp_path: Path) -> None:
    path = fill_template(SEED, tmp_path / "outside.xlsx")
    with pytest.raises(ValueError, match=r"indicators: offset 11 is outside the range B25:R35 \(11 rows\)"):
        insert_rows_in_range(path, "政策1", "indicators", 11, 1)
    with pytest.raises(ValueError, match="no defined name 'indicators' points at sheet '基本情報'"):
        insert_rows_in_range(path, "基本情報", "indicators", 1, 1)


@pytest.mark.libreoffice
def test_copied_policy_sheets_survive_a_libreoffice_round_trip(
    tmp_path: Path, libreoffice: Callable[[Path, str, Path], Path]
) -> None:
    source = fill_template(_policies(3), tmp_path / "in.xlsx")
    converted = libreoffice(source, "xlsx", tmp_path / "out")
    back = openpyxl.load_workbook(converted)
    assert back.sheetnames == ["記入方法", "基本情報", "政策1", "政策2", "政策3", "記入例", "管理情報"]
    for n in (1, 2, 3):
        ws = back[f"政策{n}"]
        # LibreOffice drops the quotes around sheet names that do not need them.
        assert _names(ws)["achievement"].replace("'", "") == f"政策{n}!$C$52"
        assert (ws["C3"].value, ws["C52"].value) == (f"政策その{n}", n)

"""The reader follows the defined names: copied policy sheets, inserted rows, restyled and re-saved files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from pipeline.api import validate_files
from pipeline.contract.fill import insert_rows_in_range
from pipeline.intake.read import parse_ref, read_submission
from scripts.seed import seed_record


def test_parse_ref_handles_quoting_and_single_cells() -> None:
    ref = parse_ref("goals", "'政策1'!$C$5:$C$14")
    assert ref is not None
    assert (ref.sheet, ref.min_row, ref.min_col, ref.max_row, ref.max_col) == ("政策1", 5, 3, 14, 3)
    quoted = parse_ref("x", "'It''s'!$B$2")
    assert quoted is not None and quoted.sheet == "It's" and quoted.first_cell == "B2"
    assert parse_ref("x", "#REF!") is None
    assert parse_ref("x", "'政策1'!$C:$C") is None


def test_policy_sheet_copied_to_three_sheets_reads_completely(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    first = seed["policies"][0]
    second = copy.deepcopy(first)
    second.update(policy_title="電子申請の利用拡大", progress="△（やや遅れ）", achievement=5)
    second["indicators"] = [
        {
            "name": "電子申請の利用件数",
            "category": "成果指標",
            "unit": "件",
            "start": 1200,
            "target": 2000,
            "actual": 1500,
        }
    ]
    third = copy.deepcopy(first)
    third.update(policy_title="庁内ネットワークの障害削減", progress="○（予定通り）", achievement=8)
    third["indicators"] = [
        {
            "name": "障害件数",
            "category": "成果指標",
            "unit": "件",
            "direction": "減少",
            "start": 12,
            "target": 8,
            "actual": 6,
        }
    ]
    seed["policies"] = [first, second, third]
    [result] = validate_files([make_book(seed)])
    assert result.issues == ()
    assert result.record is not None
    policies = result.record["policies"]
    assert [p["sheet"] for p in policies] == ["政策1", "政策2", "政策3"]
    assert [p["policy_title"] for p in policies] == [
        seed_record()["policies"][0]["policy_title"],
        "電子申請の利用拡大",
        "庁内ネットワークの障害削減",
    ]
    assert policies[0] == seed_record()["policies"][0]
    assert [(p["progress"], p["achievement"]) for p in policies] == [("◎", 9), ("△", 5), ("○", 8)]
    assert policies[2]["indicators"][0]["direction"] == "減少"
    assert policies[1]["indicators"][0]["actual"] == 1500
    assert result.locations["/policies/2/indicators/0/actual"] == "政策3!L26"


def test_rows_inserted_inside_indicators_read_completely(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    path = make_book(seed)
    insert_rows_in_range(path, "政策1", "indicators", 2, 3)  # three rows after the header and the first indicator
    book = load_workbook(path)
    sheet = book["政策1"]
    assert sheet.defined_names["indicators"].attr_text == "'政策1'!$B$25:$R$38"
    added = ["新しい指標A", "新しい指標B", "新しい指標C"]
    for offset, name in enumerate(added):
        row = 27 + offset
        sheet[f"B{row}"], sheet[f"D{row}"], sheet[f"J{row}"], sheet[f"L{row}"] = name, "件", 10, 10 + offset
    book.save(path)
    [result] = validate_files([path])
    assert result.issues == ()
    assert result.record is not None
    indicators = result.record["policies"][0]["indicators"]
    assert [i["name"] for i in indicators] == [
        "システム共同化に向けた具体的な検討を行う部会の設置数",
        *added,
        "共同化が実現したシステム数",
    ]
    assert [i["actual"] for i in indicators] == [6, 10, 11, 12, 0]
    assert result.locations["/policies/0/indicators/4/actual"] == "政策1!L30"
    assert result.record["policies"][0]["projects"][0]["budget"] == 628  # the later range moved with the insert


def test_restyled_sheet_reads_the_same(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    from openpyxl.styles import Font, PatternFill

    path = make_book(seed)
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=1, max_row=60):
            for cell in row:
                if cell.coordinate not in sheet.merged_cells:
                    cell.font = Font(name="MS Gothic", size=12, bold=True)
                    cell.fill = PatternFill("solid", fgColor="DDEEFF")
    book["基本情報"]["J30"] = "メモ: 名前の範囲外の文字は読まれない"
    book.save(path)
    [result] = validate_files([path])
    assert result.issues == ()
    assert result.record == seed_record()


def test_header_labels_are_found_wherever_the_columns_are(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    path = make_book(seed)
    book = load_workbook(path)
    sheet = book["政策1"]
    # swap the 今年度目標値 and 今年度実績値 columns, headers included, as a division might
    for row in range(25, 36):
        sheet[f"J{row}"].value, sheet[f"L{row}"].value = sheet[f"L{row}"].value, sheet[f"J{row}"].value
    book.save(path)
    raw = read_submission(path.read_bytes())
    assert raw.policies[0].tables["indicators"][0]["actual"].address == "J26"
    [result] = validate_files([path])
    assert result.record is not None and result.record["policies"][0]["indicators"][0]["actual"] == 6


@pytest.mark.libreoffice
def test_libreoffice_resaved_template_reads_back_to_the_same_record(
    make_book: Callable[..., Path], seed: dict[str, Any], libreoffice: Callable[[Path, str, Path], Path], tmp_path: Path
) -> None:
    original = make_book(seed, "seed.xlsx")
    resaved = libreoffice(original, "xlsx", tmp_path / "resaved")
    [result] = validate_files([resaved])
    assert result.issues == ()
    assert result.record == seed_record()


def test_check_box_cells_read_as_related_plan_marks(
    make_book: Callable[..., Path], seed: dict[str, Any], tmp_path: Path
) -> None:
    # An Excel check box linked to a cell (or TRUE typed into it) stores a boolean, not a mark.
    wb = load_workbook(make_book(seed, "seed.xlsx"))
    ws = wb["政策1"]
    ws["C17"], ws["C18"] = True, False
    wb.save(tmp_path / "check.xlsx")
    [result] = validate_files([tmp_path / "check.xlsx"])
    assert result.issues == ()
    plans = result.record["policies"][0]["related_plans"]  # type: ignore[index]
    assert [(p["label"], p["marked"]) for p in plans] == [
        ("将来ビジョン", True),
        ("環境イニシアティブプラン", False),
        ("アクションプラン(教育振興基本計画)", False),
        ("その他", False),
    ]

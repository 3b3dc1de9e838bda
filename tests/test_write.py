"""Tests for the outputs: consolidated.xlsx, behind_target.md, summary.json, tables/, written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline.checks.status import with_status
from pipeline.checks.validate import DivisionKey
from pipeline.combine import merge
from pipeline.combine.merge import MergeResult
from pipeline.outputs import bundle, engine, labels, markdown, overview, printing, publish, tables, workbook
from pipeline.outputs import summary as summary_json

SHEET_NAMES = [
    "概要",
    "目標未達指標",
    "指標一覧",
    "政策・評価",
    "主要事業",
    "取組と成果",
    "課題と今後の取組",
    "所属一覧",
    "提出状況",
    "検証エラー",
]
INJECTIONS = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "＝1+1"]

# The submissions and errors tables as merge.merge builds them.
SUBMISSION_SCHEMA: dict[str, Any] = merge._schema("submissions")
ERROR_SCHEMA: dict[str, Any] = merge._schema("errors")

A = {"file": "総務部/情報政策課.xlsx", "department": "総務部", "division": "情報政策課", "division_code": "0101"}
B = {"file": "総務部/人事課.xlsx", "department": "総務部", "division": "人事課", "division_code": "0102"}
C = {"file": "福祉保健部/福祉課.xlsx", "department": "福祉保健部", "division": "福祉課", "division_code": "0201"}
WARNING_TEXT = "自己評価（◎）が測定指標の結果（目標未達 1件）と合っていません"


def _frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = merge._schema(table)
    return pl.DataFrame([{k: row.get(k) for k in schema} for row in rows], schema=schema, orient="row")


def _as_of(text: str, year: int) -> dict[str, Any]:
    return {"": text, "_normalised": str(year), "_fiscal_year": year}


def _indicator(source: dict[str, Any], policy: dict[str, Any], row: int, **values: Any) -> dict[str, Any]:
    out = {**source, **{k: policy[k] for k in ("sheet", "policy_no", "policy_title", "progress", "achievement")}}
    out.update(
        evaluation_reason=policy["evaluation_reason"],
        next_actions=policy["next_actions"],
        self_evaluation_warning=policy["self_evaluation_warning"],
        fiscal_year=2015,
        stage="最終",
        row=row,
        item_no=row - 25,
        direction="増加",
        category="成果指標",
        name_cell=f"B{row}",
        target_cell=f"J{row}",
        actual_cell=f"L{row}",
    )
    for key, value in values.items():
        if key.endswith("_as_of"):
            for suffix, part in _as_of(*value).items():
                out[f"{key}{suffix}"] = part
        else:
            out[key] = value
    return out


def _policy(
    source: dict[str, Any], no: int, title: str, progress: str, achievement: int, **rest: Any
) -> dict[str, Any]:
    return {
        **source,
        "sheet": f"政策{no}",
        "policy_no": no,
        "policy_title": title,
        "progress": progress,
        "achievement": achievement,
        "evaluation_reason": rest.get("reason", "計画どおり"),
        "next_actions": rest.get("next_actions"),
        "self_evaluation_warning": rest.get("warning"),
        "goals": "・目標1\n・目標2",
        "related_plans": "将来ビジョン",
        "indicator_count": rest.get("indicators", 1),
        "budget_total": rest.get("budget", 0.0),
        "policy_title_cell": "C3",
        "progress_cell": "C51",
    }


def _with_status(indicators: pl.DataFrame) -> pl.DataFrame:
    return with_status(indicators, "最終")


def sample_result() -> MergeResult:
    """Three divisions in two departments, one more expected, every status and fate, hostile user text."""
    a1 = _policy(
        A,
        1,
        "電子県庁の推進",
        "△",
        6,
        reason="システム改修が遅れた\n利用者への周知が不足",
        next_actions="来年度に改修を前倒しする",
        indicators=2,
        budget=628.0,
    )
    b1 = _policy(B, 1, "職員研修の充実", "○", 8)
    b2 = _policy(B, 2, "働き方改革", "×", 3, reason="人員不足", next_actions="業務の見直し")
    c1 = _policy(
        C,
        1,
        "+1+1",
        "◎",
        10,
        reason="@SUM(A1) [x](http://evil) <b>太字</b>",
        next_actions="-2+3",
        warning=WARNING_TEXT,
        budget=1234.5,
    )
    indicators = _frame(
        "indicators",
        [
            _indicator(
                A,
                a1,
                26,
                name="電子申請件数",
                unit="件",
                baseline=100.0,
                baseline_as_of=("H26", 2014),
                start=120.0,
                target=200.0,
                actual=150.0,
                long_term_target=300.0,
                long_term_as_of=("H29", 2017),
            ),
            _indicator(A, a1, 27, name="システム停止時間", unit="時間", direction="減少", target=10.0, actual=5.0),
            _indicator(B, b1, 26, name="研修受講率", unit="%", target=100.0, actual_text="概ね達成"),
            _indicator(B, b2, 26, name="相談窓口の開設数", unit="件", target=50.0),
            _indicator(C, c1, 26, name=INJECTIONS[0], unit="人", target=80.0, actual=60.5),
        ],
    )
    divisions = _frame(
        "divisions",
        [
            {**s, "sheet": "基本情報", "fiscal_year": 2015, "stage": "最終", "head": head, "phone": "0857-26-7642",
             "missions": "○県民の利便性向上\n○業務の効率化", "mission_count": 2, "policy_count": n}
            for s, head, n in ((A, "山田太郎", 1), (B, "鈴木花子", 2), (C, "@田中", 1))
        ],
    )  # fmt: skip
    projects = _frame(
        "projects",
        [
            {**a1, "row": 39, "item_no": 1, "number": "1", "name": "電子申請システム改修", "budget": 628.0,
             "summary": "=1+2 で始まる概要\n4月 設計", "number_cell": "B39"},
            {**c1, "row": 39, "item_no": 1, "number": "1", "name": "相談支援事業", "budget": 1234.5,
             "summary": "通年", "number_cell": "B39"},
        ],
    )  # fmt: skip
    results = _frame("results", [{**a1, "row": 57, "item_no": 1, "action": "システム改修", "outcome": "稼働率99%"}])
    challenges = _frame(
        "challenges",
        [{**a1, "row": 70, "item_no": 1, "challenge": "周知不足", "next_action": "来年度に改修を前倒しする"}],
    )
    submissions = pl.DataFrame(
        [
            (A["file"], "accepted", "受理", "a" * 64, 1000, "2016-03-30T10:00:00Z", 2015, "最終", "総務部", "情報政策課", "0101", 0, 0, None, None),
            ("総務部/情報政策課_旧.xlsx", "superseded", "置換済み", "b" * 64, 900, "2016-03-01T10:00:00Z", 2015, "最終", "総務部", "情報政策課", "0101", 0, 1, "同じ所属の新しいファイル（総務部/情報政策課.xlsx）があるため、このファイルは使いませんでした", None),
            (B["file"], "accepted", "受理", "c" * 64, 1000, "2016-03-29T09:00:00Z", 2015, "最終", "総務部", "人事課", "0102", 0, 1, "政策1!L26「今年度実績値」: 数値でないため達成状況を判定できません（判定不可）", None),
            (C["file"], "accepted", "受理", "d" * 64, 1000, "2016-03-28T09:00:00Z", 2015, "最終", "福祉保健部", "福祉課", "0201", 0, 0, None, None),
            ("壊れた.xlsx", "rejected", "不受理", "e" * 64, 500, None, 2015, "最終", "総務部", "財政課", None, 4, 0, "政策1!L26「今年度実績値」: 数値を入力してください（入力値: 「=1+2」）", "feedback/総務部/財政課.xlsx"),
            ("古い.xls", "unsupported", "形式対象外", None, 300, None, None, None, None, None, None, 1, 0, "Excel 97-2003 (.xls) 形式には対応していません", None),
            ("~$lock.xlsx", "skipped", "除外", None, 165, None, None, None, None, None, None, 0, 0, "Office のロックファイル（編集中の一時ファイル）", None),
        ],
        schema=SUBMISSION_SCHEMA,
        orient="row",
    )  # fmt: skip
    errors = pl.DataFrame(
        [
            ("総務部/情報政策課_旧.xlsx", "", "", "", "superseded", "warning", "同じ所属の新しいファイル（総務部/情報政策課.xlsx）があるため、このファイルは使いませんでした", ""),
            (B["file"], "政策1", "L26", "今年度実績値", "qualitative-value", "warning", "政策1!L26「今年度実績値」: 数値でないため達成状況を判定できません（判定不可）", "概ね達成"),
            ("壊れた.xlsx", "政策1", "L26", "今年度実績値", "not-a-number", "error", "政策1!L26「今年度実績値」: 数値を入力してください（入力値: 「=1+2」）", "=1+2"),
            ("壊れた.xlsx", "基本情報", "C9", "所属長名", "missing-field", "error", "基本情報!C9「所属長名」: 入力が必要です。", ""),
            ("壊れた.xlsx", "基本情報", "C10", "電話番号", "missing-field", "error", "基本情報!C10「電話番号」: 入力が必要です。", ""),
            ("壊れた.xlsx", "政策1", "C51", "進捗評価", "missing-field", "error", "政策1!C51「進捗評価」: 入力が必要です。", ""),
            ("古い.xls", "", "", "", "unsupported-format", "error", "Excel 97-2003 (.xls) 形式には対応していません。工程表テンプレート（.xlsx）に入力して提出してください", ""),
        ],
        schema=ERROR_SCHEMA,
        orient="row",
    )  # fmt: skip
    tables = {
        "divisions": divisions,
        "policies": _frame("policies", [a1, b1, b2, c1]),
        "indicators": _with_status(indicators),
        "projects": projects,
        "results": results,
        "challenges": challenges,
        "submissions": submissions,
        "errors": errors,
    }
    fates = {"accepted": 3, "superseded": 1, "rejected": 1, "unsupported": 1, "skipped": 1}
    return MergeResult(2015, "最終", tables, (DivisionKey("0301", "県土整備部", "道路企画課"),), fates)


def empty_result() -> MergeResult:
    """A merge that found nothing to merge: every table typed and empty."""
    tables = {name: _frame(name, []) for name in merge.TABLES[:6]}
    tables["indicators"] = _with_status(tables["indicators"])
    tables["submissions"] = pl.DataFrame(schema=SUBMISSION_SCHEMA)
    tables["errors"] = pl.DataFrame(schema=ERROR_SCHEMA)
    return MergeResult(2025, "中間", tables)


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The outbox after writing the sample result."""
    outbox = tmp_path / "outbox"
    bundle.write_outputs(sample_result(), outbox, inbox_label="inbox")
    return outbox


@pytest.fixture
def book(written: Path) -> Any:
    return openpyxl.load_workbook(written / "consolidated.xlsx")


def _rows(ws: Any, first: int = 3) -> list[list[Any]]:
    """Data rows of a data sheet (title on row 1, header on row 2)."""
    return [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]


def _header(ws: Any, row: int = 2) -> list[Any]:
    return [c.value for c in ws[row]]


def _fill(cell: Any) -> str:
    return str(cell.fill.fgColor.rgb)[-6:]


def _values(ws: Any) -> list[list[Any]]:
    """Cell values with floats rounded to 9 digits (LibreOffice writes 15 significant digits)."""
    return [[round(v, 9) if isinstance(v, float) else v for v in row] for row in ws.iter_rows(values_only=True)]


# ---------------------------------------------------------------- workbook


def test_outputs_listed_and_present(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    paths = bundle.write_outputs(sample_result(), outbox)
    names = [p.relative_to(outbox).as_posix() for p in paths]
    assert names[:3] == ["consolidated.xlsx", "behind_target.md", "summary.json"]
    assert names[3:5] == ["tables/divisions.parquet", "tables/divisions.csv"]
    assert len(names) == 3 + 2 * len(merge.TABLES)
    assert all(p.is_file() for p in paths)
    assert sorted(p.name for p in outbox.iterdir()) == [
        ".pipeline-manifest.json",  # what the pipeline wrote: all it may replace or remove next time
        "behind_target.md",
        "consolidated.xlsx",
        "summary.json",
        "tables",
    ]


def test_workbook_has_the_ten_sheets_in_order(book: Any) -> None:
    assert book.sheetnames == SHEET_NAMES


def test_behind_target_sheet_headers_and_row(book: Any) -> None:
    ws = book["目標未達指標"]
    # on two lines within the columns printed on each page across (the sheet is printed two pages wide)
    assert ws["A1"].value == "目標未達指標（2件）\n平成27年度（2015年度） 最終（年度末）"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:C1"]
    assert _header(ws) == [
        "部局名", "所属名", "政策内容", "指標名", "単位", "方向", "年度当初値/基準値", "今年度目標値", "今年度実績値",
        "達成率(%)", "評価区分", "長期目標に対する遅れ", "進捗評価", "達成度の評価", "評価理由", "今後の取組",
        "自己評価の注意", "所在", "ファイル",
    ]  # fmt: skip
    rows = _rows(ws)
    assert [r[:2] for r in rows] == [["福祉保健部", "福祉課"], ["総務部", "情報政策課"]]
    assert rows[1] == [
        "総務部", "情報政策課", "電子県庁の推進", "電子申請件数", "件", "増加", 120, 200, 150, 37.5, "D", "遅れ", "△", 6,
        "システム改修が遅れた\n利用者への周知が不足", "来年度に改修を前倒しする", None, "政策1!L26",
        "総務部/情報政策課.xlsx",
    ]  # fmt: skip
    assert rows[0][7:11] == [80, 60.5, 75.625, "C"]
    assert rows[0][16] == WARNING_TEXT
    assert ws["I4"].number_format == "#,##0"
    assert ws["I3"].number_format == "#,##0.0"  # 60.5 shown as typed, with thousands separators
    assert ws["J3"].number_format == ws["J4"].number_format == "#,##0.0"  # 75.625 shown as 75.6
    assert ws["N4"].alignment.horizontal == "center"  # 達成度の評価, a score
    assert _fill(ws["L4"]) == "FFC7CE"  # 長期目標に対する遅れ
    assert _fill(ws["M4"]) == "FFEB9C"  # △


def test_indicator_sheet_has_every_indicator_with_values_text_and_status(book: Any) -> None:
    ws = book["指標一覧"]
    header = _header(ws)
    # by importance: what is printed (one page wide) first, the technical columns last
    assert header[:14] == [
        "部局名", "所属名", "政策内容", "指標名", "単位", "方向", "基準値", "年度当初値", "今年度目標値",
        "今年度実績値", "達成率(%)", "評価区分", "状態", "長期目標に対する遅れ",
    ]  # fmt: skip
    assert ws.print_area == "'指標一覧'!$A$1:$N$7"
    assert header[14:] == [
        "判定理由", "指標の分類", "長期的目標値", "長期目標からみた今年度の想定値", "進捗評価", "政策番号",
        "根拠となる計画等", "その他計画の名称", "計画指標の選定理由", "基準値時点", "年度当初値時点",
        "今年度目標値時点", "今年度実績値時点", "長期的目標値時点", "所在", "行", "ファイル",
    ]  # fmt: skip
    rows = {r[3]: dict(zip(header, r, strict=True)) for r in _rows(ws)}
    assert len(rows) == 5
    first = rows["電子申請件数"]
    assert (first["基準値"], first["基準値時点"], first["長期的目標値時点"]) == (100, "H26", "H29")
    assert first["長期目標からみた今年度の想定値"] == pytest.approx(166.666667)
    expected_col = header.index("長期目標からみた今年度の想定値") + 1
    assert ws.cell(3 + list(rows).index("電子申請件数"), expected_col).number_format == "#,##0.00"  # computed
    assert (first["状態"], first["所在"], first["行"]) == ("目標未達", "政策1!L26", 26)
    qualitative = rows["研修受講率"]
    assert (qualitative["今年度実績値"], qualitative["状態"]) == ("概ね達成", "判定不可")
    assert qualitative["判定理由"] == "実績値が定性的: 概ね達成"
    assert rows["相談窓口の開設数"]["状態"] == "実績未記入"
    assert rows["システム停止時間"]["状態"] == "目標達成"
    status_col = header.index("状態") + 1
    fills = {ws.cell(r, 4).value: _fill(ws.cell(r, status_col)) for r in range(3, 8)}
    assert fills == {
        "電子申請件数": "FFC7CE",
        INJECTIONS[0]: "FFC7CE",
        "システム停止時間": "C6EFCE",
        "研修受講率": "D9D9D9",
        "相談窓口の開設数": "FFEB9C",
    }


def test_other_sheets_headers(book: Any) -> None:
    assert _header(book["主要事業"]) == [
        "部局名", "所属名", "政策内容", "番号", "事業名", "予算額(千円)", "事業概要・スケジュール", "所在", "ファイル",
    ]  # fmt: skip
    assert _header(book["取組と成果"]) == ["部局名", "所属名", "政策内容", "取組", "成果", "所在", "ファイル"]
    assert _header(book["課題と今後の取組"]) == [
        "部局名",
        "所属名",
        "政策内容",
        "課題",
        "今後の取組",
        "所在",
        "ファイル",
    ]
    assert _header(book["提出状況"]) == [
        "ファイル", "状態", "部局名", "所属名", "備考", "エラー数", "警告数", "指摘付きコピー", "保存日時", "年度",
        "評価時点", "SHA-256",
    ]  # fmt: skip
    assert _header(book["検証エラー"]) == [
        "ファイル",
        "重要度",
        "メッセージ",
        "入力値",
        "項目",
        "シート",
        "セル",
        "コード",
    ]
    assert _header(book["所属一覧"]) == [
        "部局名", "所属名", "所属コード", "提出", "所属長名", "電話番号", "組織ミッション", "政策数", "指標数", "ファイル",
    ]  # fmt: skip
    assert _header(book["政策・評価"]) == [
        "部局名", "所属名", "政策内容", "進捗評価", "達成度の評価", "指標数", "目標未達の指標数", "評価理由",
        "今後の取組", "自己評価の注意", "予算額合計(千円)", "今年度の目標", "所属で設定する長期目標",
        "該当する長期的目標", "その他の計画名", "政策番号", "所在", "ファイル",
    ]  # fmt: skip


def test_projects_budget_is_a_number_with_thousands_format(book: Any) -> None:
    ws = book["主要事業"]
    assert [(r[1], r[5]) for r in _rows(ws)] == [("福祉課", 1234.5), ("情報政策課", 628)]
    assert ws["F3"].number_format == ws["F4"].number_format == "#,##0"


def test_policy_sheet_counts_behind_indicators_and_colours_marks(book: Any) -> None:
    ws = book["政策・評価"]
    header = _header(ws)
    rows = [dict(zip(header, r, strict=True)) for r in _rows(ws)]
    assert [(r["所属名"], r["政策番号"], r["目標未達の指標数"], r["進捗評価"]) for r in rows] == [
        ("福祉課", 1, 1, "◎"),
        ("人事課", 1, 0, "○"),
        ("人事課", 2, 0, "×"),
        ("情報政策課", 1, 1, "△"),
    ]
    assert rows[0]["予算額合計(千円)"] == 1234.5
    mark_col = header.index("進捗評価") + 1
    assert [_fill(ws.cell(r, mark_col)) for r in range(3, 7)] == ["C6EFCE", "DDEBF7", "FFC7CE", "FFEB9C"]


def test_division_list_marks_the_missing_division(book: Any) -> None:
    ws = book["所属一覧"]
    rows = [(r[0], r[1], r[2], r[3], r[8]) for r in _rows(ws)]
    assert rows == [
        ("県土整備部", "道路企画課", "0301", "未提出", None),
        ("福祉保健部", "福祉課", "0201", "提出済", 1),
        ("総務部", "人事課", "0102", "提出済", 2),
        ("総務部", "情報政策課", "0101", "提出済", 2),
    ]
    assert _fill(ws["D3"]) == "FFC7CE"


def test_submissions_and_errors_sheets(book: Any) -> None:
    ws = book["提出状況"]
    rows = _rows(ws)
    assert [(r[0], r[1], r[5], r[6]) for r in rows] == [
        ("総務部/情報政策課.xlsx", "受理", 0, 0),
        ("総務部/情報政策課_旧.xlsx", "置換済み", 0, 1),
        ("総務部/人事課.xlsx", "受理", 0, 1),
        ("福祉保健部/福祉課.xlsx", "受理", 0, 0),
        ("壊れた.xlsx", "不受理", 4, 0),
        ("古い.xls", "形式対象外", 1, 0),
        ("~$lock.xlsx", "除外", 0, 0),
    ]
    assert rows[0][8:12] == ["2016-03-30 19:00", 2015, "最終", "a" * 64]  # saved at, Japanese time
    assert ws["J3"].number_format == "0"
    assert rows[4][7] == "feedback/総務部/財政課.xlsx"
    assert rows[1][4].startswith("同じ所属の新しいファイル")  # 備考, next to the file and its fate
    assert not ws["L3"].alignment.wrap_text
    assert ws.print_area == "'提出状況'!$A$1:$K$9"  # the hash is for the screen only
    assert [_fill(ws.cell(r, 2)) for r in (3, 4, 7)] == ["C6EFCE", "D9D9D9", "FFC7CE"]
    errors = _rows(book["検証エラー"])
    assert errors[0] == ["壊れた.xlsx", "エラー", "政策1!L26「今年度実績値」: 数値を入力してください（入力値: 「=1+2」）",
                         "=1+2", "今年度実績値", "政策1", "L26", "not-a-number"]  # fmt: skip
    assert [(r[0], r[1]) for r in errors] == [
        ("壊れた.xlsx", "エラー"),
        ("壊れた.xlsx", "エラー"),
        ("壊れた.xlsx", "エラー"),
        ("壊れた.xlsx", "エラー"),
        ("古い.xls", "エラー"),
        ("総務部/情報政策課_旧.xlsx", "警告"),
        ("総務部/人事課.xlsx", "警告"),
    ]
    assert _fill(book["検証エラー"]["B3"]) == "FFC7CE"


def test_overview_counts_per_department_total_and_chart(written: Path, book: Any) -> None:
    ws = book["概要"]
    assert ws["A1"].value == "工程表 集約結果 平成27年度（2015年度） 最終（年度末）"
    assert ws["A2"].value == "受付フォルダ: inbox"
    assert [c.value for c in ws[4]][:9] == ["確認したファイル", "受理", "受理（要修正）", "不受理", "置換済み", "対象外", "形式対象外", "除外", "保留（書き込み中）"]  # fmt: skip
    assert [c.value for c in ws[5]][:9] == [7, 3, 0, 1, 1, 0, 1, 1, 0]
    assert [c.value for c in ws[7]][:9] == [3, 1, 4, 5, 2, 1, 1, 2, 1]
    assert [c.value for c in ws[9]] == [
        "部局名", "提出所属数", "対象所属数", "指標数", "目標未達", "実績未記入", "判定不可", "◎", "○", "△", "×",
        "予算額合計(千円)",
    ]  # fmt: skip
    assert [[c.value for c in ws[r]] for r in range(10, 14)] == [
        ["県土整備部", 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ["福祉保健部", 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1234.5],
        ["総務部", 2, 2, 4, 1, 1, 1, 0, 1, 1, 1, 628],
        ["合計", 3, 4, 5, 2, 1, 1, 1, 1, 1, 1, 1862.5],
    ]
    assert ws.auto_filter.ref == "A9:L12"  # the total row stays out of sorting
    assert ws.freeze_panes == "B10"
    with zipfile.ZipFile(written / "consolidated.xlsx") as z:
        names = z.namelist()
        drawing = z.read("xl/drawings/drawing1.xml").decode()
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "xl/charts/chart1.xml" in names
    assert '<c:grouping val="stacked"/>' in chart
    assert chart.count("<c:ser>") == 4
    anchor_row = int(re.search(r"<xdr:from><xdr:col>0</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>", drawing).group(1))  # type: ignore[union-attr]  # fmt: skip
    assert anchor_row > 12  # below the total row (0-based 12), so the chart covers no figure


def test_every_sheet_has_filter_freeze_print_setup_and_fonts(book: Any) -> None:
    for ws in book.worksheets:
        header_row = 9 if ws.title == "概要" else 2
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A"), ws.title
        assert re.fullmatch(rf"[A-Z]+{header_row}:[A-Z]+\d+", ws.auto_filter.ref), ws.title
        assert ws.freeze_panes and ws.freeze_panes.endswith(str(header_row + 1)), ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title
        if ws.title == "概要":  # one page, nothing repeated
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            # 1 is the OOXML default, which writers leave out
            assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)
            assert ws.print_title_rows is None and ws.print_title_cols is None
        elif ws.title in ("目標未達指標", "政策・評価"):  # two pages wide, 部局名 to 政策内容 on both
            assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert 70 <= ws.page_setup.scale <= 100, ws.title
            assert len(ws.col_breaks.brk) == 1, ws.title
            assert ws.print_title_cols == "$A:$C", ws.title
            assert ws.page_setup.pageOrder == "overThenDown", ws.title
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0), ws.title
            assert ws.print_title_cols is None, ws.title
        if ws.title != "概要":
            assert ws.print_title_rows == f"${header_row}:${header_row}", ws.title
            assert ws.print_area.endswith(f"$A$1:${ws.print_area.split('$')[-2]}${max(ws.max_row, 3)}"), ws.title
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, ws.title
        assert ws.oddHeader.right.text == "&A", ws.title
        header = ws.cell(header_row, 1)
        assert header.font.b and header.alignment.wrap_text and header.border.bottom.style, ws.title
        assert header.font.name == "Meiryo UI", ws.title
    assert book["目標未達指標"].freeze_panes == book["政策・評価"].freeze_panes == "D3"
    assert book["指標一覧"].freeze_panes == "C3"
    assert book["提出状況"].freeze_panes == "B3"


def test_column_widths_fit_japanese_text(book: Any) -> None:
    ws = book["目標未達指標"]
    widths = {
        ws.cell(2, c).value: ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, 20)
    }
    assert 11 <= widths["部局名"] <= 22  # 福祉保健部 = 5 full-width characters
    assert 24 <= widths["評価理由"] <= 52  # fits its longest sample text (37 columns), within the cap
    assert widths["単位"] <= 10
    assert ws["O3"].alignment.wrap_text
    assert labels.text_width("情報政策課") == 10
    assert labels.text_width("ab\n全角") == 4


def test_text_width_counts_full_width_and_ambiguous_characters_two() -> None:
    assert labels.text_width("") == 0
    assert labels.text_width("ＡＢ1２○ｱ") == 10  # full-width letters and digits, ○ (ambiguous) 2; half-width ｱ 1
    assert labels.text_width("令和7年度\nabcdefghijk") == 11
    assert labels.text_width("𠮷野家😀") == 8  # beyond the BMP: an extension ideograph and an emoji, both wide


def test_narrow_character_class_agrees_with_unicodedata_on_every_code_point() -> None:
    narrow = labels._narrow_runs()
    disagree = [
        code
        for code in range(0x110000)
        if (unicodedata.east_asian_width(chr(code)) in "FWA") == (narrow.match(chr(code)) is not None)
    ]
    assert disagree == []


def _cols(*specs: tuple[str, int | None]) -> list[Any]:
    return [engine.Col(header, header, page=page) for header, page in specs]


def test_print_plan_one_page_when_readable_else_split_with_the_key_columns_repeated() -> None:
    narrow = _cols(("a", 0), ("b", 0), ("c", None))
    assert printing.print_plan(narrow, [20.0, 20.0, 80.0]) == printing.PrintPlan(last_col=1)  # c is not printed
    wide = _cols(("a", 0), ("b", 0), ("c", 0), ("d", 1), ("e", 1), ("f", None))
    widths = [20.0, 20.0, 60.0, 60.0, 60.0, 10.0]
    plan = printing.print_plan(wide, widths, repeat=2)
    assert (plan.last_col, plan.breaks, plan.repeat) == (4, (3,), 2)
    # the widest page across is the second: a and b again, then d and e
    second = printing.printed_width([20.0, 20.0, 60.0, 60.0])
    assert plan.scale == int(98 * printing.PRINTABLE_WIDTH / second)
    assert plan.scale is not None and plan.scale >= 100 * printing.MIN_PRINT_SCALE
    # too wide with nowhere to split: fitted to one page wide all the same
    assert printing.print_plan(_cols(("a", 0), ("b", 0)), [150.0, 150.0]).scale is None
    with pytest.raises(ValueError, match="printed columns must come first"):
        printing.print_plan(_cols(("a", None), ("b", 0)), [10.0, 10.0])
    with pytest.raises(ValueError, match="page order"):
        printing.print_plan(_cols(("a", 1), ("b", 0)), [150.0, 150.0])


def test_row_heights_count_wrapped_lines_line_by_line() -> None:
    frame = pl.DataFrame({"t": ["a" * 8 + "\n" + "b" * 8, "全角" * 10, None, "x"]})
    cols = [engine.Col("t", "t", "long")]
    # width 10: each 8-character line fits on one line; 40 half-width columns take 5 lines of 9
    assert engine._row_heights(frame, cols, [10.0]) == [2, 5, 1, 1]


@pytest.mark.parametrize(
    ("kind", "value", "num_format"),
    [
        ("value", 60.5, "#,##0.0"),
        ("value", 1234.125, "#,##0.000"),
        ("value", 1 / 3, "General"),  # more decimals than anyone types: shown as it is
        ("calc", 166.66666666666666, "#,##0.00"),
        ("calc", 12.5, "#,##0.0"),
    ],
)
def test_fractions_keep_their_decimals_with_thousands_separators(kind: str, value: float, num_format: str) -> None:
    assert engine._fraction_format(kind, value) == num_format


def test_overview_fits_one_page_with_its_chart(written: Path, book: Any) -> None:
    ws = book["概要"]
    with zipfile.ZipFile(written / "consolidated.xlsx") as z:
        drawing = z.read("xl/drawings/drawing1.xml").decode()

    def anchor(end: str) -> float:
        """Points from the top of the sheet to the chart's top or bottom edge (its cell and offset in EMU)."""
        found = re.search(rf"<xdr:{end}>.*?<xdr:row>(\d+)</xdr:row><xdr:rowOff>(\d+)</xdr:rowOff>", drawing)
        assert found
        rows = sum(ws.row_dimensions[r].height or engine.DEFAULT_ROW_HEIGHT for r in range(1, int(found[1]) + 1))
        return rows + int(found[2]) / 12700

    top, bottom = anchor("from"), anchor("to")
    assert bottom <= printing.PRINTABLE_HEIGHT  # on the page, at 100%
    assert bottom - top >= overview.CHART_HEIGHTS[0] * 0.75


def test_data_sheets_print_the_important_columns_only(book: Any) -> None:
    printed = {
        ws.title: _header(ws)[: openpyxl.utils.column_index_from_string(ws.print_area.split("$")[-2])]
        for ws in book.worksheets[1:]
    }
    for title, headers in printed.items():
        assert not {"所在", "行", "SHA-256", "コード"} & set(headers), title
        assert "ファイル" not in headers or title in ("提出状況", "検証エラー"), title
    assert printed["目標未達指標"][-5:] == ["進捗評価", "達成度の評価", "評価理由", "今後の取組", "自己評価の注意"]
    # the second page across of the sheets printed two pages wide starts with the policy's evaluation
    behind, policies = book["目標未達指標"], book["政策・評価"]
    assert _header(behind)[behind.col_breaks.brk[0].id] == "進捗評価"
    assert _header(policies)[policies.col_breaks.brk[0].id] == "自己評価の注意"


@pytest.mark.libreoffice
def test_printed_pages(written: Path, libreoffice: Callable[[Path, str, Path], Path], tmp_path: Path) -> None:
    """As LibreOffice prints it: 概要 on one page, 目標未達指標 on two pages across with the key columns on both."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    pdf = libreoffice(written / "consolidated.xlsx", "pdf", tmp_path / "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert "工程表 集約結果" in pages[0] and "目標未達指標" not in pages[0]
    assert "部局名" in pages[0] and "合計" in pages[0]
    first, second = pages[1], pages[2]
    assert "目標未達指標（2件）" in first and "目標未達指標（2件）" in second
    assert "今年度実績値" in first and "評価理由" not in first
    assert "評価理由" in second and "今年度実績値" not in second
    for page in (first, second):
        assert "部局名" in page and "電子県庁の推進" in page  # the key columns, on both pages
    assert "最終（年度末）" in first.split("部局名")[0]  # the title is whole


def test_user_strings_are_strings_and_no_formula_is_written(written: Path, book: Any) -> None:
    seen = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    for text in INJECTIONS[:4]:
                        if text in cell.value:
                            assert cell.data_type == "s", (ws.title, cell.coordinate)
                            seen[text] = cell.value
    assert set(seen) == set(INJECTIONS[:4])
    assert book["目標未達指標"]["D3"].value == INJECTIONS[0]
    assert book["政策・評価"]["C3"].value == "+1+1"
    with zipfile.ZipFile(written / "consolidated.xlsx") as z:
        sheets = [n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert len(sheets) == 10
        for name in sheets:
            xml = z.read(name).decode()
            assert not re.search(r"<f[ >]", xml), name
            assert "<hyperlink" not in xml, name
        assert not any("externalLink" in n for n in z.namelist())


def test_empty_result_writes_headers_and_none_line(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    bundle.write_outputs(empty_result(), outbox)
    book = openpyxl.load_workbook(outbox / "consolidated.xlsx")
    assert book.sheetnames == SHEET_NAMES
    for ws in book.worksheets[1:]:
        assert ws["A2"].value in ("部局名", "ファイル"), ws.title
        assert ws["A3"].value == "（該当なし）", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.endswith("2"), ws.title
    overview = book["概要"]
    assert overview["A1"].value == "工程表 集約結果 令和7年度（2025年度） 中間（上半期）"
    assert overview["A10"].value == "（該当なし）"
    summary = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))
    assert (summary["files"]["seen"], summary["indicators"], summary["behind_target_indicators"]) == (0, 0, [])
    assert "（該当なし）" in (outbox / "behind_target.md").read_text(encoding="utf-8")


def test_tables_missing_from_the_result_do_not_break_writing(tmp_path: Path) -> None:
    bundle.write_outputs(MergeResult(None, None, {}), tmp_path / "outbox")
    book = openpyxl.load_workbook(tmp_path / "outbox" / "consolidated.xlsx")
    assert book["概要"]["A1"].value == "工程表 集約結果 年度不明 評価時点不明"
    assert not (tmp_path / "outbox" / "tables").exists()  # no table, nothing published there


@pytest.mark.parametrize(
    ("stamp", "local"),
    [
        ("2016-03-30T10:00:00Z", "2016-03-30 19:00"),
        ("2016-03-30T20:30:00+00:00", "2016-03-31 05:30"),
        ("2016-03-30T10:00:00", "2016-03-30 19:00"),
        ("2016-03-30T19:00:00+09:00", "2016-03-30 19:00"),
        ("昨日", "昨日"),
        (None, None),
    ],
)
def test_local_time(stamp: str | None, local: str | None) -> None:
    assert labels.local_time(stamp) == local


@pytest.mark.parametrize(
    ("year", "label"),
    [
        (2015, "平成27年度（2015年度）"),
        (1989, "平成元年度（1989年度）"),
        (2018, "平成30年度（2018年度）"),
        (2019, "令和元年度（2019年度）"),
        (2025, "令和7年度（2025年度）"),
        (None, "年度不明"),
    ],
)
def test_fiscal_year_label(year: int | None, label: str) -> None:
    assert labels.fiscal_year_label(year) == label


@pytest.mark.libreoffice
def test_libreoffice_opens_the_workbook_with_the_same_values(
    written: Path, libreoffice: Callable[[Path, str, Path], Path], tmp_path: Path
) -> None:
    resaved = libreoffice(written / "consolidated.xlsx", "xlsx", tmp_path / "lo")
    ours = openpyxl.load_workbook(written / "consolidated.xlsx")
    theirs = openpyxl.load_workbook(resaved)
    assert theirs.sheetnames == SHEET_NAMES
    for name in ("概要", "目標未達指標", "指標一覧", "政策・評価", "提出状況"):
        assert _values(theirs[name]) == _values(ours[name]), name


# ---------------------------------------------------------------- CSV and Parquet


def test_csv_safe_prefixes_formula_starts_only() -> None:
    frame = pl.DataFrame(
        {
            "text": ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "＝1", "＋1", "－1", "＠x", "a=1", "普通", None, ""],
            "number": list(range(14)),
        }
    )
    safe = tables.csv_safe(frame)
    assert safe.get_column("text").to_list() == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "'＝1", "'＋1", "'－1", "'＠x", "a=1", "普通", None, "",
    ]  # fmt: skip
    assert safe.get_column("number").to_list() == list(range(14))


def test_csv_tables_have_bom_and_guarded_values(written: Path) -> None:
    raw = (written / "tables" / "indicators.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert {r["name"] for r in rows} >= {"電子申請件数", "'" + INJECTIONS[0]}
    policies = list(csv.DictReader(io.StringIO((written / "tables" / "policies.csv").read_text(encoding="utf-8-sig"))))
    assert {r["policy_title"] for r in policies} >= {"'+1+1"}
    assert {r["next_actions"] for r in policies} >= {"'-2+3"}
    assert any(r["evaluation_reason"].startswith("'@SUM(A1)") for r in policies)
    errors = (written / "tables" / "errors.csv").read_text(encoding="utf-8-sig")
    assert ",'=1+2\n" in errors


def test_parquet_round_trips_exact_values(written: Path) -> None:
    result = sample_result()
    for name in merge.TABLES:
        assert_frame_equal(pl.read_parquet(written / "tables" / f"{name}.parquet"), result.tables[name])
    indicators = pl.read_parquet(written / "tables" / "indicators.parquet")
    assert INJECTIONS[0] in indicators.get_column("name").to_list()  # raw, not prefixed


# ---------------------------------------------------------------- summary.json


def test_summary_json_keys_and_counts(written: Path) -> None:
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    assert list(summary) == [
        "fiscal_year", "stage", "files", "divisions", "policies", "indicators", "behind_target", "missing_actual",
        "not_evaluable", "behind_trajectory", "progress_delayed", "evaluation_warnings", "not_submitted", "rejected",
        "needs_correction", "behind_target_indicators", "outputs",
    ]  # fmt: skip
    assert (summary["fiscal_year"], summary["stage"]) == (2015, "最終")
    assert summary["files"] == {
        "seen": 7,
        "accepted": 3,
        "needs_correction": 0,
        "rejected": 1,
        "superseded": 1,
        "out_of_scope": 0,
        "unsupported": 1,
        "skipped": 1,
        "in_transit": 0,
    }
    counts = {k: summary[k] for k in list(summary)[3:12]}
    assert counts == {
        "divisions": 3,
        "policies": 4,
        "indicators": 5,
        "behind_target": 2,
        "missing_actual": 1,
        "not_evaluable": 1,
        "behind_trajectory": 1,
        "progress_delayed": 2,
        "evaluation_warnings": 1,
    }
    assert summary["not_submitted"] == [{"code": "0301", "department": "県土整備部", "division": "道路企画課"}]
    assert summary["rejected"] == [
        {
            "file": "壊れた.xlsx",
            "errors": [
                "政策1!L26「今年度実績値」: 数値を入力してください（入力値: 「=1+2」）",
                "基本情報!C9「所属長名」: 入力が必要です。",
                "基本情報!C10「電話番号」: 入力が必要です。",
                "政策1!C51「進捗評価」: 入力が必要です。",
            ],
        }
    ]
    assert summary["behind_target_indicators"][1] == {
        "file": "総務部/情報政策課.xlsx",
        "department": "総務部",
        "division": "情報政策課",
        "sheet": "政策1",
        "cell": "L26",
        "policy": "電子県庁の推進",
        "indicator": "電子申請件数",
        "unit": "件",
        "target": 200.0,
        "actual": 150.0,
        "rate": 37.5,
        "grade": "D",
    }
    assert summary["behind_target_indicators"][0]["indicator"] == INJECTIONS[0]
    assert summary["outputs"][:4] == [
        "consolidated.xlsx",
        "behind_target.md",
        "summary.json",
        "tables/divisions.parquet",
    ]
    assert summary == summary_json.summary_dict(sample_result())
    text = (written / "summary.json").read_text(encoding="utf-8")
    assert "電子申請件数" in text and "\\u" not in text  # ensure_ascii=False


# ---------------------------------------------------------------- behind_target.md


def test_behind_target_markdown(written: Path) -> None:
    md = (written / "behind_target.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    assert lines[0] == "# 工程表 目標未達の要約 平成27年度（2015年度） 最終（年度末）"
    for expected in (
        "- 確認したファイル: 7 件（受理 3、受理（要修正） 0、不受理 1、置換済み 1、対象外 0、形式対象外 1、除外 1、保留（書き込み中） 0）",
        "- 集約した所属: 3 所属",
        "- 測定指標: 5 件",
        "- 目標未達: 2 件",
        "- 実績未記入: 1 件",
        "- 判定不可: 1 件",
        "- 進捗遅れ（進捗評価 △・×）: 2 政策",
        "- 未提出: 1 所属",
        "## 目標未達の指標（2件）",
        "### 総務部",
        "#### 情報政策課",
        "**政策1「電子県庁の推進」**（進捗評価 △（やや遅れ）、達成度の評価 6）",
        "- 指標「電子申請件数」: 目標 200件、実績 150件、達成率 37.5%、評価区分 D（政策1!L26）",
        "  - 長期目標に対する遅れ: 今年度の想定値 166.6667件",
        "- 評価理由: システム改修が遅れた\\",
        "  利用者への周知が不足",
        "- 今後の取組: 来年度に改修を前倒しする",
        '- 指標「=HYPERLINK\\("http://x","y"\\)」: 目標 80人、実績 60.5人、達成率 75.6%、評価区分 C（政策1!L26）',
        "- 評価理由: @SUM\\(A1\\) \\[x\\]\\(http://evil\\) \\<b\\>太字\\</b\\>",
        f"- 自己評価の注意: {WARNING_TEXT}",
        "## 進捗遅れの政策（△・×）（2件）",
        "- 総務部 人事課 政策2「働き方改革」: 進捗評価 ×（大幅遅れ）、達成度の評価 3",
        "  - 評価理由: 人員不足",
        "  - 今後の取組: 業務の見直し",
        "## 判定不可の指標（1件）",
        "- 総務部 人事課 指標「研修受講率」: 実績値が定性的: 概ね達成（政策1!J26）",
        "## 実績未記入の指標（1件）",
        "- 総務部 人事課 指標「相談窓口の開設数」: 目標 50件（政策2!L26）",
        "## 自己評価と数値の不一致（1件）",
        "## 未提出の所属（1件）",
        "- 県土整備部 道路企画課（所属コード 0301）",
        "## 不受理・形式対象外のファイル（2件）",
        "- 壊れた.xlsx",
        "  - 政策1!L26「今年度実績値」: 数値を入力してください（入力値: 「=1+2」）",
        "  - ほか 1 件（consolidated.xlsx の検証エラーシートを参照）",
        "- 古い.xls（形式対象外）",
    ):
        assert expected in lines, expected
    assert "[x](http://evil)" not in md
    assert "<b>" not in md
    assert lines.index("### 福祉保健部") < lines.index("### 総務部")
    assert md.endswith("\n") and not md.endswith("\n\n")


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[x](http://evil)", "\\[x\\]\\(http://evil\\)"),
        ("<script>alert(1)</script>", "\\<script\\>alert\\(1\\)\\</script\\>"),
        ("| a | b |", "\\| a \\| b \\|"),
        ("# 見出し", "\\# 見出し"),
        ("- 箇条書き\n+ プラス\n1. 番号\n2) 括弧", "\\- 箇条書き\\\n\\+ プラス\\\n1\\. 番号\\\n2\\) 括弧"),
        ("*強調* _下線_ `code` ~~消~~", "\\*強調\\* \\_下線\\_ \\`code\\` \\~\\~消\\~\\~"),
        ("![画像](x.png)", "!\\[画像\\]\\(x.png\\)"),
        ("-2+3 と =A1", "-2+3 と =A1"),
        ("---", "\\---"),
        ("①全角はそのまま\n\n  ②空行は詰める  ", "①全角はそのまま\\\n②空行は詰める"),
        ("12.5%の増加", "12.5%の増加"),
        ("", ""),
        (None, ""),
    ],
)
def test_md_escape(text: str | None, escaped: str) -> None:
    assert markdown.md_escape(text) == escaped


# ---------------------------------------------------------------- atomicity and reproducibility


def _snapshot(outbox: Path) -> dict[str, bytes]:
    return {p.relative_to(outbox).as_posix(): p.read_bytes() for p in sorted(outbox.rglob("*")) if p.is_file()}


def test_failure_mid_write_keeps_previous_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = tmp_path / "outbox"
    bundle.write_outputs(empty_result(), outbox)
    before = _snapshot(outbox)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        bundle.write_outputs(sample_result(), outbox)
    assert _snapshot(outbox) == before
    assert not [p for p in outbox.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("failing", ["consolidated.xlsx", "behind_target.md", "tables/indicators.csv", "summary.json"])
def test_failure_while_moving_into_place_restores_the_previous_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    outbox = tmp_path / "outbox"
    bundle.write_outputs(empty_result(), outbox)
    before = _snapshot(outbox)
    real_replace = Path.replace

    def failing_replace(self: Path, target: Any) -> Path:
        if self.as_posix().endswith(failing) and ".tmp-" in self.as_posix():  # moving the new output in
            raise OSError("device busy")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(OSError, match="device busy"):
        bundle.write_outputs(sample_result(), outbox)
    monkeypatch.undo()
    assert _snapshot(outbox) == before
    assert not [p for p in outbox.iterdir() if p.name.startswith(".tmp-")]


def test_a_file_held_open_becomes_a_clear_error_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox"
    bundle.write_outputs(empty_result(), outbox)
    before = _snapshot(outbox)
    real_replace = Path.replace

    def locked(self: Path, target: Any) -> Path:
        if Path(target) == outbox / "consolidated.xlsx":  # as Windows does while Excel has it open
            raise PermissionError(13, "Permission denied")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", locked)
    monkeypatch.setattr(publish.time, "sleep", lambda _: None)
    with pytest.raises(publish.PipelineError, match="Excel などで開いている場合は閉じて"):
        bundle.write_outputs(sample_result(), outbox)
    monkeypatch.undo()
    assert _snapshot(outbox) == before
    assert not [p for p in outbox.iterdir() if p.name.startswith(".tmp-")]


_CRASH_MID_COMMIT = """
import os, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.test_write import sample_result
from pipeline.outputs import bundle
real = Path.replace
def replace(self, target):
    if self.name == "summary.json" and ".tmp-" in self.as_posix():
        os._exit(9)  # the power goes: nothing after this line runs, no undo, no clean-up
    return real(self, target)
Path.replace = replace
bundle.write_outputs(sample_result(), Path({outbox!r}))
"""


def test_a_commit_cut_short_by_a_crash_is_rolled_back_by_the_next_run(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    bundle.write_outputs(empty_result(), outbox)
    before = _snapshot(outbox)
    script = _CRASH_MID_COMMIT.format(root=str(Path(__file__).resolve().parent.parent), outbox=str(outbox))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 9, done.stderr
    assert _snapshot(outbox) != before  # the new workbook and tables are in, summary.json is not
    publish.recover(outbox)  # what the next publication in this folder does first
    assert _snapshot(outbox) == before
    assert not [p for p in outbox.iterdir() if p.name.startswith(".tmp-")]


def test_stale_temporary_folders_are_removed(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    stale, fresh = outbox / ".tmp-111-aaaa", outbox / ".tmp-222-bbbb"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "consolidated.xlsx").write_bytes(b"partial")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    (outbox / ".pipeline.outputs.lock").write_text("1")
    bundle.write_outputs(empty_result(), outbox)
    assert not stale.exists()
    assert fresh.exists()  # may belong to a run still going
    assert (outbox / ".pipeline.outputs.lock").exists()


def test_same_result_gives_identical_outputs(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    bundle.write_outputs(sample_result(), first, inbox_label="inbox")
    time.sleep(1.1)  # a clock-based timestamp would now differ
    bundle.write_outputs(sample_result(), second, inbox_label="inbox")
    assert _snapshot(first) == _snapshot(second)
    book = openpyxl.load_workbook(first / "consolidated.xlsx")
    assert book.properties.created.isoformat() == "2016-03-30T10:00:00"  # the latest accepted save


def test_large_merges_are_written_in_constant_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """constant_memory: every string inline in its cell (no shared-string table), the chart's data cached."""
    with zipfile.ZipFile(_written_in_both_modes(tmp_path, monkeypatch) / "consolidated.xlsx") as z:
        assert "xl/sharedStrings.xml" not in z.namelist()
        assert 't="inlineStr"' in z.read("xl/worksheets/sheet3.xml").decode()
        chart = z.read("xl/charts/chart1.xml").decode()
    # xlsxwriter cannot read cells back in constant_memory mode: the series' names, departments and counts are
    # given to the chart, so that a reader that shows a chart's cache shows the figures
    assert chart.count("<c:strCache>") == 8 and chart.count("<c:numCache>") == 4
    assert "<c:v>福祉保健部</c:v>" in chart and "<c:v>◎</c:v>" in chart


def _written_in_both_modes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Outputs written in constant_memory mode (as for a large merge), after checking they read back the same."""
    shared, constant = tmp_path / "shared", tmp_path / "constant"
    bundle.write_outputs(sample_result(), shared, inbox_label="inbox")
    monkeypatch.setattr(workbook, "CONSTANT_MEMORY_ROWS", 0)
    bundle.write_outputs(sample_result(), constant, inbox_label="inbox")
    for a, b in zip(
        openpyxl.load_workbook(shared / "consolidated.xlsx").worksheets,
        openpyxl.load_workbook(constant / "consolidated.xlsx").worksheets,
        strict=True,
    ):
        assert [[c.value for c in row] for row in a.iter_rows()] == [[c.value for c in row] for row in b.iter_rows()]
    # the tables, written alongside the workbook for a small merge and after it for a large one, are the same
    names = sorted(p.name for p in (shared / "tables").iterdir())
    assert names == sorted(p.name for p in (constant / "tables").iterdir()) and len(names) == 16
    for name in names:
        if name.endswith(".csv"):
            assert (constant / "tables" / name).read_bytes() == (shared / "tables" / name).read_bytes(), name
        else:
            assert_frame_equal(pl.read_parquet(constant / "tables" / name), pl.read_parquet(shared / "tables" / name))
    with zipfile.ZipFile(shared / "consolidated.xlsx") as z:
        assert "xl/sharedStrings.xml" in z.namelist()  # a small merge keeps shared strings
    return constant


def test_rows_in_chunks_give_the_same_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sheets gathered in their sorted order and tables encoded a few rows at a time: the same outputs."""
    whole, chunked = tmp_path / "whole", tmp_path / "chunked"
    bundle.write_outputs(sample_result(), whole, inbox_label="inbox")
    monkeypatch.setattr(engine, "_ROW_CHUNK", 2)
    monkeypatch.setattr(tables, "TABLE_CHUNK", 2)
    bundle.write_outputs(sample_result(), chunked, inbox_label="inbox")
    before, after = _snapshot(whole), _snapshot(chunked)
    assert before.keys() == after.keys()
    for name in before:
        if name.endswith(".parquet"):  # smaller row groups, the same frame
            assert_frame_equal(pl.read_parquet(chunked / name), pl.read_parquet(whole / name))
        else:
            assert after[name] == before[name], name


def test_a_second_write_replaces_the_first(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    bundle.write_outputs(sample_result(), outbox)
    bundle.write_outputs(empty_result(), outbox)
    assert json.loads((outbox / "summary.json").read_text(encoding="utf-8"))["stage"] == "中間"
    assert pl.read_parquet(outbox / "tables" / "divisions.parquet").height == 0
    assert sorted(p.name for p in outbox.iterdir()) == [
        ".pipeline-manifest.json",  # what the pipeline wrote: all it may replace or remove next time
        "behind_target.md",
        "consolidated.xlsx",
        "summary.json",
        "tables",
    ]


def test_blank_cells_are_framed_by_one_rule_not_written(book: Any) -> None:
    ws = book["指標一覧"]
    last = f"{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
    rules = [(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules]
    assert [(sqref, rule.type) for sqref, rule in rules] == [(f"A3:{last}", "containsBlanks")]
    border = rules[0][1].dxf.border
    assert (border.left.style, border.top.style, border.left.color.rgb) == ("thin", "thin", "FFBFBFBF")
    blanks = [c for row in ws.iter_rows(min_row=3) for c in row if c.value is None]
    assert blanks and all(not c.has_style for c in blanks)  # no cell was written for them

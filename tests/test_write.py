"""Tests for the outputs: consolidated.xlsx, behind_target.md, summary.json, tables/, written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import re
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
from pipeline.outputs.legend import Presentation
from pipeline.outputs.order import arranged

PRESENTATION = Presentation(source="inbox", created="2016年4月1日")

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
SUBMISSION_SCHEMA: dict[str, Any] = merge.table_schema("submissions")
ERROR_SCHEMA: dict[str, Any] = merge.table_schema("errors")

A = {"file": "総務部/情報政策課.xlsx", "department": "総務部", "division": "情報政策課", "division_code": "0101"}
B = {"file": "総務部/人事課.xlsx", "department": "総務部", "division": "人事課", "division_code": "0102"}
C = {"file": "福祉保健部/福祉課.xlsx", "department": "福祉保健部", "division": "福祉課", "division_code": "0201"}
WARNING_TEXT = "自己評価（◎）が測定指標の結果（目標未達 1件）と合っていません"


def _frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = merge.table_schema(table)
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
    bundle.write_outputs(sample_result(), outbox, presentation=PRESENTATION)
    return outbox


@pytest.fixture
def book(written: Path) -> Any:
    return openpyxl.load_workbook(written / "consolidated.xlsx")


def _rows(ws: Any, first: int = 4) -> list[list[Any]]:
    """Data rows of a data sheet (title on row 1, the note and legend on row 2, header on row 3)."""
    return [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]


def _header(ws: Any, row: int = 3) -> list[Any]:
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
    assert len(names) == 3 + 2 * len(merge.TABLES) + 1 and names[-1] == "tables/legend.csv"
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
    assert ws["A1"].value == "目標未達指標（2件） 平成27年度（2015年度） 最終（年度末）"
    note = ws["A2"].value
    assert note.startswith("目標値・実績値ともに数値で") and "凡例（数値の計算方法）" in note  # the legend, on top
    assert "達成率 ＝ 実績 ÷ 目標" in note and "進捗率（当初値比）" in note and "評価区分 ＝ 達成率による区分" in note
    assert [str(r) for r in ws.merged_cells.ranges] == ["A2:R2"]  # across the printed columns
    assert _header(ws) == [
        "部局名", "所属名", "政策内容", "指標名", "単位", "方向", "年度当初値/基準値", "今年度目標値", "今年度実績値",
        "達成率", "進捗率（当初値比）", "評価区分", "長期目標に対する遅れ", "進捗評価", "達成度の評価", "評価理由",
        "今後の取組", "自己評価の注意", "所在", "ファイル",
    ]  # fmt: skip
    rows = _rows(ws)
    assert [r[:2] for r in rows] == [["総務部", "情報政策課"], ["福祉保健部", "福祉課"]]  # 組織順 (所属コード)
    assert rows[0] == [
        "総務部", "情報政策課", "電子県庁の推進", "電子申請件数", "件", "増加", 120, 200, 150, 75, 37.5, "C", "遅れ",
        "△", 6, "システム改修が遅れた\n利用者への周知が不足", "来年度に改修を前倒しする", None, "政策1!L26",
        "総務部/情報政策課.xlsx",
    ]  # fmt: skip
    assert rows[1][7:12] == [80, 60.5, 75.625, None, "C"]
    assert rows[1][17] == WARNING_TEXT
    assert ws["I4"].number_format == "#,##0"
    assert ws["I5"].number_format == "#,##0.0"  # 60.5 shown as typed, with thousands separators
    assert ws["J4"].number_format == ws["J5"].number_format == '#,##0.0"%"'  # 75.625 shown as 75.6%
    assert ws["K4"].number_format == '#,##0.0"%"'
    assert ws["O4"].alignment.horizontal == "center"  # 達成度の評価, a score
    assert _fill(ws["M4"]) == "FFC7CE"  # 長期目標に対する遅れ
    assert _fill(ws["N4"]) == "FFEB9C"  # △


def test_indicator_sheet_has_every_indicator_with_values_text_and_status(book: Any) -> None:
    ws = book["指標一覧"]
    header = _header(ws)
    assert "凡例（数値の計算方法）" in ws["A2"].value
    # by importance: what is printed (one page wide) first, the technical columns last
    assert header[:15] == [
        "部局名", "所属名", "政策内容", "指標名", "単位", "方向", "基準値", "年度当初値", "今年度目標値",
        "今年度実績値", "達成率", "進捗率（当初値比）", "評価区分", "状態", "長期目標に対する遅れ",
    ]  # fmt: skip
    assert ws.print_area == "'指標一覧'!$A$1:$O$8"
    assert header[15:] == [
        "判定理由", "指標の分類", "長期的目標値", "長期目標からみた今年度の想定値", "進捗評価", "政策番号",
        "根拠となる計画等", "その他計画の名称", "計画指標の選定理由", "基準値時点", "年度当初値時点",
        "今年度目標値時点", "今年度実績値時点", "長期的目標値時点", "所在", "行", "ファイル",
    ]  # fmt: skip
    rows = {r[3]: dict(zip(header, r, strict=True)) for r in _rows(ws)}
    assert list(rows) == ["電子申請件数", "システム停止時間", "研修受講率", "相談窓口の開設数", INJECTIONS[0]]
    first = rows["電子申請件数"]
    assert (first["基準値"], first["基準値時点"], first["長期的目標値時点"]) == (100, "H26", "H29")
    assert first["長期目標からみた今年度の想定値"] == pytest.approx(166.666667)
    expected_col = header.index("長期目標からみた今年度の想定値") + 1
    assert ws.cell(4, expected_col).number_format == "#,##0.0"  # computed: one decimal at most
    assert (first["状態"], first["所在"], first["行"]) == ("目標未達", "政策1!L26", 26)
    assert (first["達成率"], first["進捗率（当初値比）"], first["評価区分"]) == (75, 37.5, "C")
    decreasing = rows["システム停止時間"]
    assert (decreasing["状態"], decreasing["達成率"], decreasing["評価区分"]) == ("目標達成", 200, "A")
    qualitative = rows["研修受講率"]
    assert (qualitative["今年度実績値"], qualitative["状態"]) == ("概ね達成", "判定不可")
    assert qualitative["判定理由"] == "実績値が定性的: 概ね達成"
    assert ws.cell(6, header.index("今年度目標値") + 1).number_format == "#,##0.0"  # a value in %: one decimal
    assert rows["相談窓口の開設数"]["状態"] == "実績未記入"
    status_col = header.index("状態") + 1
    fills = {ws.cell(r, 4).value: _fill(ws.cell(r, status_col)) for r in range(4, 9)}
    assert fills == {
        "電子申請件数": "FFC7CE",
        INJECTIONS[0]: "FFC7CE",
        "システム停止時間": "C6EFCE",
        "研修受講率": "D9D9D9",
        "相談窓口の開設数": "FFEB9C",
    }


def test_negative_progress_reads_as_a_step_back_from_the_start(tmp_path: Path) -> None:
    result = sample_result()
    indicators = result.tables["indicators"].with_columns(
        actual=pl.when(pl.col("name") == "電子申請件数").then(110.0).otherwise(pl.col("actual"))
    )
    result = MergeResult(2015, "最終", {**result.tables, "indicators": _with_status(indicators)})
    bundle.write_outputs(result, tmp_path / "outbox")
    ws = openpyxl.load_workbook(tmp_path / "outbox" / "consolidated.xlsx")["指標一覧"]
    header = _header(ws)
    row = next(r for r in _rows(ws) if r[3] == "電子申請件数")
    assert row[header.index("進捗率（当初値比）")] == "当初値から後退"  # (110 − 120) ÷ (200 − 120) = −12.5%
    assert row[header.index("達成率")] == 55
    table = pl.read_parquet(tmp_path / "outbox" / "tables" / "indicators.parquet")
    assert table.filter(pl.col("name") == "電子申請件数")["progress_rate"].to_list() == [-12.5]  # a number there
    md = (tmp_path / "outbox" / "behind_target.md").read_text(encoding="utf-8")
    assert "進捗率（当初値比） 当初値から後退" in md and "-12.5" not in md


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
    assert [(r[1], r[5]) for r in _rows(ws)] == [("情報政策課", 628), ("福祉課", 1234.5)]
    assert ws["F4"].number_format == ws["F5"].number_format == "#,##0"


def test_policy_sheet_counts_behind_indicators_and_colours_marks(book: Any) -> None:
    ws = book["政策・評価"]
    header = _header(ws)
    rows = [dict(zip(header, r, strict=True)) for r in _rows(ws)]
    assert [(r["所属名"], r["政策番号"], r["目標未達の指標数"], r["進捗評価"]) for r in rows] == [
        ("情報政策課", 1, 1, "△"),
        ("人事課", 1, 0, "○"),
        ("人事課", 2, 0, "×"),
        ("福祉課", 1, 1, "◎"),
    ]
    assert rows[3]["予算額合計(千円)"] == 1234.5
    mark_col = header.index("進捗評価") + 1
    assert [_fill(ws.cell(r, mark_col)) for r in range(4, 8)] == ["FFEB9C", "DDEBF7", "FFC7CE", "C6EFCE"]


def test_division_list_marks_the_missing_division(book: Any) -> None:
    ws = book["所属一覧"]
    rows = [(r[0], r[1], r[2], r[3], r[8]) for r in _rows(ws)]
    assert rows == [
        ("総務部", "情報政策課", "0101", "提出済", 2),
        ("総務部", "人事課", "0102", "提出済", 2),
        ("福祉保健部", "福祉課", "0201", "提出済", 1),
        ("県土整備部", "道路企画課", "0301", "未提出", None),
    ]
    assert _fill(ws["D7"]) == "FFC7CE"


def test_submissions_and_errors_sheets(book: Any) -> None:
    ws = book["提出状況"]
    rows = _rows(ws)
    assert [(r[0], r[1], r[5], r[6]) for r in rows] == [  # 組織順; files of no division last
        ("総務部/情報政策課.xlsx", "受理", 0, 0),
        ("総務部/情報政策課_旧.xlsx", "置換済み", 0, 1),
        ("総務部/人事課.xlsx", "受理", 0, 1),
        ("壊れた.xlsx", "不受理", 4, 0),
        ("福祉保健部/福祉課.xlsx", "受理", 0, 0),
        ("古い.xls", "形式対象外", 1, 0),
        ("~$lock.xlsx", "除外", 0, 0),
    ]
    # saved at in Japanese time; the year written one way, 和暦（西暦）
    assert rows[0][8:12] == ["2016-03-30 19:00", "平成27年度（2015年度）", "最終", "a" * 64]
    assert rows[3][7] == "feedback/総務部/財政課.xlsx"
    assert rows[1][4].startswith("同じ所属の新しいファイル")  # 備考, next to the file and its fate
    assert not ws["L4"].alignment.wrap_text
    assert ws.print_area == "'提出状況'!$A$1:$K$10"  # the hash is for the screen only
    assert [_fill(ws.cell(r, 2)) for r in (4, 5, 7)] == ["C6EFCE", "D9D9D9", "FFC7CE"]
    errors = _rows(book["検証エラー"])
    assert errors[0] == ["壊れた.xlsx", "エラー", "政策1!L26「今年度実績値」: 数値を入力してください（入力値: 「=1+2」）",
                         "=1+2", "今年度実績値", "政策1", "L26", "not-a-number"]  # fmt: skip
    assert [(r[0], r[1]) for r in errors] == [  # errors first, each in the order of 提出状況
        ("壊れた.xlsx", "エラー"),
        ("壊れた.xlsx", "エラー"),
        ("壊れた.xlsx", "エラー"),
        ("壊れた.xlsx", "エラー"),
        ("古い.xls", "エラー"),
        ("総務部/情報政策課_旧.xlsx", "警告"),
        ("総務部/人事課.xlsx", "警告"),
    ]
    assert _fill(book["検証エラー"]["B4"]) == "FFC7CE"


def test_overview_counts_per_department_total_and_chart(written: Path, book: Any) -> None:
    ws = book["概要"]
    assert ws["A1"].value == "工程表 集約結果 平成27年度（2015年度） 最終（年度末）"
    # the result in one sentence first, then one line of file counts (the detail is on 提出状況)
    assert (
        ws["A2"].value
        == "全4政策中、予定通り以上2（50%）。測定指標5件中、目標達成1（20%）、目標未達2、判定不可1、実績未記入1"
    )
    assert ws["A3"].value == (
        "ファイル: 確認 7（受理 3、不受理 1、置換済み 1、形式対象外 1、除外 1）　所属: 提出 3、未提出 1　→ 詳細は 提出状況シート"
    )
    assert ws["A5"].value == "部局別 達成状況"
    assert [c.value for c in ws[6]] == [
        "部局名", "提出／対象所属", "政策数", "◎", "○", "△", "×", "指標数", "目標達成", "目標未達", "判定不可",
        "実績未記入", "目標達成の割合", "平均達成率", "信号", "予算額合計(千円)",
    ]  # fmt: skip
    assert [[c.value for c in ws[r]] for r in range(7, 11)] == [  # 組織順: 総務部 (0101…) first
        ["総務部", "2／2", 3, 0, 1, 1, 1, 4, 1, 1, 1, 1, 50, 87.5, "赤", 628],
        ["福祉保健部", "1／1", 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 75.6, "赤", 1234.5],
        ["県土整備部", "0／1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, "－", 0],
        ["合計", "3／4", 4, 1, 1, 1, 1, 5, 1, 2, 1, 1, 33.3, 83.5, "赤", 1862.5],
    ]
    assert _fill(ws["O7"]) == "C00000" and _fill(ws["O9"]) == "D9D9D9"  # 信号: 赤, none
    assert ws["M7"].number_format == '#,##0.0"%"'
    assert ws.auto_filter.ref == "A6:P9"  # the total row stays out of sorting
    # the named list right of the chart: 所属・政策・指標 with the figures, worst first in 組織順
    assert ws["F12"].value == "目標未達の指標と進捗遅れ（△×）の政策（3件）"
    assert [ws.cell(13, c).value for c in (6, 8, 12)] == ["区分", "部局・所属", "指標：実績／目標（達成率）・政策"]
    listed = [[ws.cell(r, c).value for c in (6, 8, 12)] for r in range(14, 17)]
    assert [row[:2] for row in listed] == [["未達・△", "総務部 情報政策課"], ["×", "総務部 人事課"], ["未達", "福祉保健部 福祉課"]]  # fmt: skip
    # one line each: the figures always whole, the name and the policy cut with … where the line is full
    for (*_, text), figures in zip(listed, ("：150件／200件（75.0%）", "進捗評価 ×（大幅遅れ）", "：60.5人／80人（75.6%）"), strict=True):  # fmt: skip
        assert figures in text, text
    assert listed[0][2].startswith("電子申請件数：150件") and listed[1][2].startswith("政策2 働き方改革")
    legend = next(c.value for row in ws.iter_rows() for c in row if str(c.value).startswith("凡例"))
    for words in ("達成率 ＝ 実績 ÷ 目標", "進捗率（当初値比）", "評価区分 ＝ 達成率による区分：A 100%以上",
                  "信号 ＝ 目標達成の割合が 90%以上 青、70%以上 黄", "作成日 2016年4月1日", "受付フォルダ inbox"):  # fmt: skip
        assert words in legend, words
    with zipfile.ZipFile(written / "consolidated.xlsx") as z:
        drawing = z.read("xl/drawings/drawing1.xml").decode()
        chart = z.read("xl/charts/chart1.xml").decode()
    assert '<c:grouping val="stacked"/>' in chart and "<c:barDir" in chart
    assert chart.count("<c:ser>") == 4  # 目標達成, 目標未達, 判定不可, 実績未記入 per department
    anchor_row = int(re.search(r"<xdr:from><xdr:col>0</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>", drawing).group(1))  # type: ignore[union-attr]  # fmt: skip
    assert anchor_row > 9  # below the total row (0-based 9), so the chart covers no figure


def test_overview_names_what_fits_then_how_many_more(tmp_path: Path) -> None:
    result = sample_result()
    many = pl.concat(
        [result.tables["indicators"]]
        + [
            result.tables["indicators"]
            .filter(pl.col("name") == "電子申請件数")
            .with_columns(name=pl.lit(f"追加の指標{i}"), row=pl.lit(30 + i, pl.Int64))
            for i in range(20)
        ]
    )
    result = MergeResult(2015, "最終", {**result.tables, "indicators": many}, result.not_submitted)
    bundle.write_outputs(result, tmp_path / "outbox")
    ws = openpyxl.load_workbook(tmp_path / "outbox" / "consolidated.xlsx")["概要"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert "目標未達の指標と進捗遅れ（△×）の政策（23件）" in texts
    more = [t for t in texts if t.startswith("ほか")]
    assert len(more) == 1 and re.fullmatch(
        r"ほか\d+件 → 目標未達指標シート（進捗遅れの政策は 政策・評価シート）", more[0]
    )
    shown = sum(1 for t in texts if t in ("総務部 情報政策課", "総務部 人事課", "福祉保健部 福祉課"))
    assert shown + int(re.search(r"\d+", more[0]).group()) == 23  # type: ignore[union-attr]


def test_every_sheet_has_filter_freeze_print_setup_and_fonts(book: Any) -> None:
    for ws in book.worksheets:
        header_row = 6 if ws.title == "概要" else 3
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A"), ws.title
        assert re.fullmatch(rf"[A-Z]+{header_row}:[A-Z]+\d+", ws.auto_filter.ref), ws.title
        assert ws.freeze_panes and ws.freeze_panes.endswith(str(header_row + 1)), ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_cols is None, ws.title  # never split across pages: one page wide
        if ws.title == "概要":  # one page, nothing repeated
            # 1 is the OOXML default, which writers leave out
            assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)
            assert ws.print_title_rows is None
        else:
            assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0), ws.title
            assert not ws.col_breaks.brk, ws.title
            assert ws.print_title_rows == f"$1:${header_row}", ws.title  # title, note and header on every page
            assert ws.print_area.endswith(f"$A$1:${ws.print_area.split('$')[-2]}${max(ws.max_row, 4)}"), ws.title
        assert "&P" in (ws.oddFooter.center.text or ws.oddFooter.right.text), ws.title
        assert ws.oddHeader.right.text == "&A", ws.title
        header = ws.cell(header_row, 1)
        assert header.font.b and header.alignment.wrap_text and header.border.bottom.style, ws.title
        assert header.font.name == "Meiryo UI", ws.title
    assert book["目標未達指標"].freeze_panes == book["政策・評価"].freeze_panes == "D4"
    assert book["指標一覧"].freeze_panes == "C4"
    assert book["提出状況"].freeze_panes == "B4"


def test_column_widths_fit_japanese_text(book: Any) -> None:
    ws = book["目標未達指標"]
    widths = {
        ws.cell(3, c).value: ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, 21)
    }
    assert 11 <= widths["部局名"] <= 22  # 福祉保健部 = 5 full-width characters
    assert 24 <= widths["評価理由"] <= 82  # widened to fill the page, within the cap
    assert widths["単位"] <= 10
    assert ws["P4"].alignment.wrap_text
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


def test_fit_widths_fill_one_page_with_sentences_and_never_split() -> None:
    cols = [engine.Col("a", "a", "key"), engine.Col("b", "b", "long"), engine.Col("c", "c", "int")]
    cols.append(engine.Col("d", "d", "code", page=None))
    widths = printing.fit_widths(cols, [10.0, 30.0, 40.0, 50.0], scale=1.0)
    assert widths[2:] == [40.0, 50.0]  # numbers and what is not printed keep their width
    assert widths[1] > 30.0 and widths[1] - 30.0 > 4 * (widths[0] - 10.0)  # the sentence takes most of the room
    assert printing.printed_width(widths[:3]) <= printing.PRINTABLE_WIDTH
    assert printing.printed_width(widths[:3]) >= printing.PRINTABLE_WIDTH - 2 * printing.POINTS_PER_WIDTH
    # too wide: names give up width to the sentences down to a floor; the page then shrinks to one page wide
    wide = printing.fit_widths(cols, [60.0, 60.0, 40.0, 50.0], scale=1.0)
    assert wide[1:3] == [60.0, 40.0] and 12.0 <= wide[0] < 60.0
    assert printing.print_plan(cols, widths) == printing.PrintPlan(last_col=2)
    with pytest.raises(ValueError, match="printed columns must come first"):
        printing.print_plan([engine.Col("a", "a", page=None), engine.Col("b", "b")], [10.0, 10.0])


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
        ("calc", 166.66666666666666, "#,##0.0"),  # computed: one decimal at most, no float artefacts
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
    # figures and the division's own evaluation side by side, on the same page
    assert printed["目標未達指標"][7:] == [
        "今年度目標値", "今年度実績値", "達成率", "進捗率（当初値比）", "評価区分", "長期目標に対する遅れ", "進捗評価",
        "達成度の評価", "評価理由", "今後の取組", "自己評価の注意",
    ]  # fmt: skip


@pytest.mark.libreoffice
def test_printed_pages(written: Path, libreoffice: Callable[[Path, str, Path], Path], tmp_path: Path) -> None:
    """As LibreOffice prints it: 概要 on exactly one page, every sheet one page wide, figures and the evaluation
    of 目標未達指標 on the same page."""
    from tests.test_printing import _check_print, _sheet_of

    pages = _check_print(libreoffice(written / "consolidated.xlsx", "pdf", tmp_path / "pdf"))
    assert "全4政策中、予定通り以上2（50%）" in pages[0] and "凡例（数値の計算方法）" in pages[0]
    behind = [page for page in pages if _sheet_of(page) == "目標未達指標"]
    assert len(behind) == 1
    assert (
        "評価理由" in behind[0] and "今後の取組" in behind[0] and "75.0%" in behind[0] and "電子申請件数" in behind[0]
    )
    assert "最終（年度末）" in behind[0].split("部局名")[0]  # the title is whole


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
    assert book["目標未達指標"]["D5"].value == INJECTIONS[0]
    assert book["政策・評価"]["C7"].value == "+1+1"
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
        assert ws["A3"].value in ("部局名", "ファイル"), ws.title
        assert ws["A4"].value == "（該当なし）", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.endswith("3"), ws.title
    overview = book["概要"]
    assert overview["A1"].value == "工程表 集約結果 令和7年度（2025年度） 中間（上半期）"
    assert (
        overview["A2"].value
        == "全0政策中、予定通り以上0（－）。測定指標0件中、目標達成0（－）、目標未達0、判定不可0、実績未記入0"
    )
    assert overview["A7"].value == "（該当なし）"
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
    result = arranged(sample_result())  # in 組織順
    for name in merge.TABLES:
        assert_frame_equal(pl.read_parquet(written / "tables" / f"{name}.parquet"), result.tables[name])
    indicators = pl.read_parquet(written / "tables" / "indicators.parquet")
    assert INJECTIONS[0] in indicators.get_column("name").to_list()  # raw, not prefixed


def test_every_output_that_shows_a_rate_carries_the_legend(written: Path, book: Any) -> None:
    """達成率, 進捗率 and 評価区分 never appear without the words that say how they were computed."""
    rate_words = ("達成率", "進捗率（当初値比）", "評価区分", "目標達成の割合", "平均達成率")
    for ws in book.worksheets:
        texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        headers = {t for t in texts if t in rate_words}
        if headers:
            assert any(t.startswith("凡例（数値の計算方法）") or "凡例（数値の計算方法）" in t for t in texts), ws.title
            assert any("達成率 ＝ 実績 ÷ 目標" in t for t in texts), ws.title
            if "評価区分" in headers:
                assert any(
                    "評価区分 ＝ 達成率による区分：A 100%以上、B 80%以上、C 50%以上、D 50%未満" in t for t in texts
                )
    assert {
        ws.title for ws in book.worksheets if any(c.value in rate_words for row in ws.iter_rows() for c in row)
    } == {
        "概要",
        "目標未達指標",
        "指標一覧",
    }
    md = (written / "behind_target.md").read_text(encoding="utf-8")
    assert "達成率 75.0%" in md and "## 凡例（数値の計算方法）" in md and "- 達成率 ＝ 実績 ÷ 目標" in md
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    assert summary["behind_target_indicators"][0]["achievement_rate"] == 75.0
    assert any(line.startswith("進捗率（当初値比） ＝") for line in summary["legend"])
    with (written / "tables" / "legend.csv").open(encoding="utf-8-sig", newline="") as handle:
        legend = {(row["table"], row["column"]): row["計算方法"] for row in csv.DictReader(handle)}
    indicators = pl.read_csv(written / "tables" / "indicators.csv", n_rows=1).columns
    for column in ("achievement_rate", "progress_rate", "grade", "status"):
        assert column in indicators and legend[("indicators", column)], column
    assert legend[("indicators", "achievement_rate")].startswith("達成率 ＝ 実績 ÷ 目標")


def test_grade_basis_and_bands_from_the_settings_reach_every_legend(tmp_path: Path) -> None:
    presentation = Presentation(grade_bands=(("A", 110.0), ("B", 90.0)), grade_basis="進捗率")
    result = sample_result()
    indicators = with_status(result.tables["indicators"], "最終", presentation.grade_bands, presentation.grade_basis)
    result = MergeResult(2015, "最終", {**result.tables, "indicators": indicators})
    bundle.write_outputs(result, tmp_path / "outbox", presentation=presentation)
    expected = "評価区分 ＝ 進捗率（当初値比）による区分：A 110%以上、B 90%以上、D 90%未満。"
    assert expected in (tmp_path / "outbox" / "behind_target.md").read_text(encoding="utf-8")
    summary = json.loads((tmp_path / "outbox" / "summary.json").read_text(encoding="utf-8"))
    assert expected in summary["legend"] and summary["grade_basis"] == "進捗率"
    ws = openpyxl.load_workbook(tmp_path / "outbox" / "consolidated.xlsx")["目標未達指標"]
    assert expected in ws["A2"].value
    # graded by 進捗率: 電子申請件数 (37.5%) is D, whatever its 達成率 (75%)
    header = _header(ws)
    row = next(r for r in _rows(ws) if r[3] == "電子申請件数")
    assert (row[header.index("達成率")], row[header.index("評価区分")]) == (75, "D")


# ---------------------------------------------------------------- summary.json


def test_summary_json_keys_and_counts(written: Path) -> None:
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    assert list(summary) == [
        "fiscal_year", "stage", "headline", "files", "divisions", "policies", "policies_on_schedule", "indicators",
        "met_target", "behind_target", "missing_actual", "not_evaluable", "input_error", "behind_trajectory",
        "progress_delayed", "evaluation_warnings", "grade_basis", "grade_bands", "legend", "not_submitted",
        "rejected", "needs_correction", "behind_target_indicators", "outputs",
    ]  # fmt: skip
    assert summary["headline"] == (
        "全4政策中、予定通り以上2（50%）。測定指標5件中、目標達成1（20%）、目標未達2、判定不可1、実績未記入1"
    )
    assert (summary["grade_basis"], summary["grade_bands"]) == ("達成率", {"A": 100.0, "B": 80.0, "C": 50.0})
    assert any(line.startswith("達成率 ＝ 実績 ÷ 目標") for line in summary["legend"])  # it shows rates
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
    counts = {k: summary[k] for k in list(summary)[4:16]}
    assert counts == {
        "divisions": 3,
        "policies": 4,
        "policies_on_schedule": 2,
        "indicators": 5,
        "met_target": 1,
        "behind_target": 2,
        "missing_actual": 1,
        "not_evaluable": 1,
        "input_error": 0,
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
    assert summary["behind_target_indicators"][0] == {
        "file": "総務部/情報政策課.xlsx",
        "department": "総務部",
        "division": "情報政策課",
        "sheet": "政策1",
        "cell": "L26",
        "policy": "電子県庁の推進",
        "indicator": "電子申請件数",
        "unit": "件",
        "direction": "増加",
        "start": 120.0,
        "target": 200.0,
        "actual": 150.0,
        "achievement_rate": 75.0,
        "progress_rate": 37.5,
        "grade": "C",
    }
    assert summary["behind_target_indicators"][1]["indicator"] == INJECTIONS[0]
    assert summary["outputs"][:4] == [
        "consolidated.xlsx",
        "behind_target.md",
        "summary.json",
        "tables/divisions.parquet",
    ]
    assert summary == summary_json.summary_dict(arranged(sample_result()), presentation=PRESENTATION)
    text = (written / "summary.json").read_text(encoding="utf-8")
    assert "電子申請件数" in text and "\\u" not in text  # ensure_ascii=False


# ---------------------------------------------------------------- behind_target.md


def test_behind_target_markdown(written: Path) -> None:
    md = (written / "behind_target.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    assert lines[0] == "# 工程表 目標未達の要約 平成27年度（2015年度） 最終（年度末）"
    assert (
        lines[2]
        == "**全4政策中、予定通り以上2（50%）。測定指標5件中、目標達成1（20%）、目標未達2、判定不可1、実績未記入1**"
    )
    for expected in (
        "作成日 2016年4月1日　受付フォルダ: inbox",
        "## 凡例（数値の計算方法）",
        "- 評価区分 ＝ 達成率による区分：A 100%以上、B 80%以上、C 50%以上、D 50%未満。",
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
        "- 指標「電子申請件数」: 目標 200件、実績 150件、達成率 75.0%、進捗率（当初値比） 37.5%、評価区分 C（政策1!L26）",
        "  - 長期目標に対する遅れ: 長期目標への直線で今年度の想定値 166.7件",
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
    assert lines.index("### 総務部") < lines.index("### 福祉保健部")  # 組織順
    assert any(line.startswith("- 達成率 ＝ 実績 ÷ 目標") for line in lines)  # the legend, where rates are shown
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
    bundle.write_outputs(sample_result(), first, presentation=PRESENTATION)
    time.sleep(1.1)  # a clock-based timestamp would now differ
    bundle.write_outputs(sample_result(), second, presentation=PRESENTATION)
    assert _snapshot(first) == _snapshot(second)
    book = openpyxl.load_workbook(first / "consolidated.xlsx")
    assert book.properties.created.isoformat() == "2016-03-30T10:00:00"  # the latest accepted save


def test_a_large_merge_is_written_the_same_with_its_tables_after_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every data row an inline string in its cell (no shared string per value), the chart's data cached."""
    with zipfile.ZipFile(_written_as_large(tmp_path, monkeypatch) / "consolidated.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet3.xml").decode()
        assert 't="inlineStr"' in sheet
        chart = z.read("xl/charts/chart1.xml").decode()
    # the series' names, departments and counts are given to the chart, so that a reader that shows a chart's
    # cache shows the figures
    assert chart.count("<c:strCache>") == 8 and chart.count("<c:numCache>") == 4
    assert "<c:v>福祉保健部</c:v>" in chart and "<c:v>目標達成</c:v>" in chart


def test_text_shaped_like_cell_markup_stays_text_in_a_large_merge_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xlsxwriter's constant_memory mode, once used for a large merge, wrote a text that starts with <r> and ends
    with </r> into the sheet as it was: markup that could close the cell and add a formula. Every table row is
    escaped now, for a merge of any size."""
    markup = '<r><t>a</t></r></is></c><c r="Z9"><f>HYPERLINK("http://x","y")</f></c><c r="Z10"><is><r><t>b</t></r>'
    result = sample_result()
    policies = result.tables["policies"].with_columns(evaluation_reason=pl.lit(markup))
    result = MergeResult(result.fiscal_year, result.stage, {**result.tables, "policies": policies},
                         result.not_submitted, result.fates, result.roster)  # fmt: skip
    monkeypatch.setattr(workbook, "LARGE_ROWS", 0)
    bundle.write_outputs(result, tmp_path / "out", presentation=PRESENTATION)
    path = tmp_path / "out" / "consolidated.xlsx"
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in xml or '<c r="Z9"' in xml for xml in sheets)
    texts = [c.value for ws in openpyxl.load_workbook(path).worksheets for row in ws.iter_rows() for c in row]
    assert markup in texts


def _written_as_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Outputs written as for a large merge, after checking they read back the same as a small one's."""
    small, large = tmp_path / "small", tmp_path / "large"
    bundle.write_outputs(sample_result(), small, presentation=PRESENTATION)
    monkeypatch.setattr(workbook, "LARGE_ROWS", 0)
    bundle.write_outputs(sample_result(), large, presentation=PRESENTATION)
    assert (large / "consolidated.xlsx").read_bytes() == (small / "consolidated.xlsx").read_bytes()
    # the tables, written alongside the workbook for a small merge and after it for a large one, are the same
    names = sorted(p.name for p in (small / "tables").iterdir())
    assert names == sorted(p.name for p in (large / "tables").iterdir()) and len(names) == 17
    for name in names:
        if name.endswith(".csv"):
            assert (large / "tables" / name).read_bytes() == (small / "tables" / name).read_bytes(), name
        else:
            assert_frame_equal(pl.read_parquet(large / "tables" / name), pl.read_parquet(small / "tables" / name))
    return large


def test_rows_in_chunks_give_the_same_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sheets gathered in their sorted order and tables encoded a few rows at a time: the same outputs."""
    whole, chunked = tmp_path / "whole", tmp_path / "chunked"
    bundle.write_outputs(sample_result(), whole, presentation=PRESENTATION)
    monkeypatch.setattr(engine, "_ROW_CHUNK", 2)
    monkeypatch.setattr(tables, "TABLE_CHUNK", 2)
    bundle.write_outputs(sample_result(), chunked, presentation=PRESENTATION)
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
    assert [(sqref, rule.type) for sqref, rule in rules] == [(f"A4:{last}", "containsBlanks")]
    border = rules[0][1].dxf.border
    assert (border.left.style, border.top.style, border.left.color.rgb) == ("thin", "thin", "FFBFBFBF")
    blanks = [c for row in ws.iter_rows(min_row=4) for c in row if c.value is None]
    assert blanks and all(not c.has_style for c in blanks)  # no cell was written for them

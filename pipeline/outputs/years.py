"""Year-over-year outputs (design §10): the 指標の推移 and 継続性の確認 sheets, and their part of behind_target.md
and summary.json. Present only when the merge was compared with a history."""

from __future__ import annotations

from typing import Any

import polars as pl

from pipeline.contract.cells import address
from pipeline.contract.eras import fiscal_year_label
from pipeline.history.trend import CONTINUING, DROPPED, NEW
from pipeline.history.years import YearView
from pipeline.outputs.engine import Col, Rows, Styles
from pipeline.outputs.labels import L_DEPARTMENT, L_DIVISION, L_UNIT, number_text
from pipeline.outputs.markdown import md_escape
from pipeline.outputs.order import OrgOrder, in_org_order
from pipeline.outputs.sheets import HEADER_ROW, data_sheet
from pipeline.outputs.sheetxml import RowsOut

TREND_SHEET = "指標の推移"
CONFIRM_SHEET = "継続性の確認"
SPARK_HEADER = "推移"


def _trend_cols(years: tuple[int, ...]) -> list[Col]:
    """Who and which indicator, its start, each year's actual, this year's target and the long-term one."""
    return [
        Col(L_DEPARTMENT, "department", "key"),
        Col(L_DIVISION, "division", "key"),
        Col("指標名", "name", "text"),
        Col(L_UNIT, "unit", "code"),
        Col("基準値", "baseline", "value"),
        *(Col(f"{fiscal_year_label(year).split('（')[0]}実績", f"actual_{year}", "value") for year in years),
        Col(SPARK_HEADER, "_spark", "code"),
        Col("今年度目標値", "target", "value", text="target_text"),
        Col("長期的目標値", "long_term_target", "value", text="long_term_target_text"),
        Col("長期的目標値時点", "long_term_as_of", "code"),
        Col("継続", "continuity", "mark"),
        Col("連続未達（年度）", "behind_years", "text", palette="flag"),
        Col("旧名称", "former_names", "text"),
    ]


def write_sheets(
    book: Any,
    styles: Styles,
    view: YearView,
    scope: str,
    order: OrgOrder | None = None,
    rows_out: RowsOut | None = None,
) -> None:
    """指標の推移 (one row per indicator identity, a sparkline of its actuals) and 継続性の確認."""
    rows = view.trend.rows
    if order is not None and rows.height:
        rows = in_org_order(rows, order)  # 組織順, as every other sheet
    years = view.trend.years
    if rows.columns:
        rows = rows.with_columns(_spark=pl.lit(None, pl.String))
    cols = _trend_cols(years)
    data_sheet(book, styles, TREND_SHEET, cols, Rows(rows), scope, freeze_cols=3, rows_out=rows_out)
    sheet = book.get_worksheet_by_name(TREND_SHEET)
    first_year = next(i for i, c in enumerate(cols) if c.source.startswith("actual_")) if years else None
    spark = next(i for i, c in enumerate(cols) if c.source == "_spark")
    if first_year is not None and rows.height and len(years) > 1:
        first_row = HEADER_ROW + 1  # data rows start below the title, note and header rows
        for r in range(rows.height):
            cells = (
                f"{address(first_row + r + 1, first_year + 1)}:{address(first_row + r + 1, first_year + len(years))}"
            )
            sheet.add_sparkline(first_row + r, spark, {"range": f"'{TREND_SHEET}'!{cells}", "markers": True})
    confirm = pl.DataFrame(
        [
            {"file": i.file, "field": i.field, "found": i.found, "message": i.message, "code": i.code}
            for i in view.to_confirm
        ],
        schema={"file": pl.String, "field": pl.String, "found": pl.String, "message": pl.String, "code": pl.String},
    )
    confirm_cols = [
        Col("ファイル", "file", "code"),
        Col("項目", "field", "text"),
        Col("入力値", "found", "text"),
        Col("確認すること", "message", "long"),
        Col("コード", "code", "code", page=None),
    ]
    data_sheet(book, styles, CONFIRM_SHEET, confirm_cols, Rows(confirm), scope, freeze_cols=1, rows_out=rows_out)


def markdown_lines(view: YearView, order: OrgOrder | None = None) -> list[str]:
    """The year-over-year section of behind_target.md: like-with-like counts, then what is behind for years."""
    counts = view.trend.counts
    lines = ["## 前年度との比較", ""]
    if counts.previous_year is None:
        lines += ["（履歴に前年度の記録がないため、比べられません）", ""]
        return lines
    before, now = fiscal_year_label(counts.previous_year), fiscal_year_label(counts.latest_year)
    lines += [
        f"- 測定指標: {CONTINUING} {counts.continuing} 件、{NEW} {counts.new} 件、{DROPPED} {counts.dropped} 件"
        f"（{before} → {now}）",
        f"- {CONTINUING}の指標のうち目標達成: {before} {counts.continuing_met_before} 件 → {now} {counts.continuing_met_now} 件",
        f"- {CONTINUING}の指標のうち目標未達: {before} {counts.continuing_behind_before} 件 → {now} {counts.continuing_behind_now} 件",
        "",
    ]
    behind = view.trend.behind
    if order is not None and behind.height:
        behind = in_org_order(behind, order)
    lines += [f"## 2年度以上続けて目標未達の指標（{behind.height}件）", ""]
    if not behind.height:
        lines += ["（該当なし）", ""]
    for row in behind.iter_rows(named=True):
        actuals = "、".join(
            f"{year}年度 {number_text(row[f'actual_{year}'])}{md_escape(row['unit'])}"
            for year in view.trend.years
            if row.get(f"actual_{year}") is not None
        )
        lines.append(
            f"- {md_escape(row['department'])} {md_escape(row['division'])} 指標「{md_escape(row['name'])}」:"
            f" 目標未達 {row['behind_streak']} 年度連続（{md_escape(row['behind_years'])}年度）。実績 {actuals}"
        )
    lines += ["", f"継続性の確認（所属・指標の対応を確認してください）: {len(view.to_confirm)} 件", ""]
    return lines


def summary_part(view: YearView) -> dict[str, Any]:
    """The year-over-year figures of summary.json."""
    counts = view.trend.counts
    return {
        "years": list(view.trend.years),
        "continuing": counts.continuing,
        "new": counts.new,
        "dropped": counts.dropped,
        "behind_two_years_or_more": view.trend.behind.height,
        "continuity_warnings": len(view.warnings),
        "to_confirm": len(view.to_confirm),
    }

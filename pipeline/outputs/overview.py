"""The 概要 sheet: key figures, the table per department and its chart, on one A4 landscape page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND, MISSING_ACTUAL, NOT_EVALUABLE
from pipeline.combine.merge import FATES, MergeResult
from pipeline.contract import layout
from pipeline.outputs.engine import (
    DEFAULT_ROW_HEIGHT,
    FONT_NAME,
    Col,
    Rows,
    Styles,
    set_height,
    set_widths,
    table_widths,
    text_lines,
    write_table,
)
from pipeline.outputs.frames import table_of
from pipeline.outputs.labels import (
    DELAYED_MARKS,
    H_BUDGET_TOTAL,
    H_EXPECTED_COUNT,
    H_INDICATOR_COUNT,
    H_POLICY_COUNT,
    H_SUBMITTED_COUNT,
    H_TRAJECTORY,
    L_DEPARTMENT,
    L_PROGRESS,
    NOT_SUBMITTED,
)
from pipeline.outputs.printing import PIXELS_PER_POINT, PRINTABLE_HEIGHT, page_setup
from pipeline.outputs.sheets import OVERVIEW_SHEET
from pipeline.outputs.summary import summary_dict

CHART_COLOURS = {"◎": "#70AD47", "○": "#5B9BD5", "△": "#FFC000", "×": "#C00000"}


OVERVIEW_HEADER_ROW = 8


def _department_frame(result: MergeResult) -> pl.DataFrame:
    """One row per department: divisions submitted / expected, indicator statuses, ◎○△× and budget."""
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    divisions = table_of(result, "divisions")
    if divisions.height:
        for dept, n in divisions.group_by("department").len().iter_rows():
            stats[dept]["submitted"] += n
            stats[dept]["expected"] += n
    for absent in result.not_submitted:
        stats[absent.department]["expected"] += 1
    indicators = table_of(result, "indicators")
    if indicators.height and "status" in indicators.columns:
        for dept, status, n in indicators.group_by("department", "status").len().iter_rows():
            stats[dept]["indicators"] += n
            stats[dept][status] += n
    policies = table_of(result, "policies")
    if policies.height:
        for dept, mark, n in policies.group_by("department", "progress").len().iter_rows():
            stats[dept][f"mark:{mark}"] += n
    projects = table_of(result, "projects")
    if projects.height:
        for dept, budget in projects.group_by("department").agg(pl.col("budget").sum()).iter_rows():
            stats[dept]["budget"] += budget or 0.0
    rows = []
    for dept in sorted(stats, key=lambda d: (d is None, d or "")):
        s = stats[dept]
        row: dict[str, Any] = {"department": dept}
        for key in ("submitted", "expected", "indicators", BEHIND, MISSING_ACTUAL, NOT_EVALUABLE):
            row[key] = int(s.get(key, 0))
        for mark in layout.PROGRESS_MARKS:
            row[f"mark:{mark}"] = int(s.get(f"mark:{mark}", 0))
        row["budget"] = float(s.get("budget", 0.0))
        rows.append(row)
    schema: dict[str, Any] = {c.source: pl.Int64 for c in _department_cols()}
    schema.update(department=pl.String, budget=pl.Float64)
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _department_cols() -> list[Col]:
    return [
        Col(L_DEPARTMENT, "department", "key"),
        Col(H_SUBMITTED_COUNT, "submitted", "int"),
        Col(H_EXPECTED_COUNT, "expected", "int"),
        Col(H_INDICATOR_COUNT, "indicators", "int"),
        Col(BEHIND, BEHIND, "int"),
        Col(MISSING_ACTUAL, MISSING_ACTUAL, "int"),
        Col(NOT_EVALUABLE, NOT_EVALUABLE, "int"),
        *(Col(mark, f"mark:{mark}", "int") for mark in layout.PROGRESS_MARKS),
        Col(H_BUDGET_TOTAL, "budget", "budget"),
    ]


def _key_figures(result: MergeResult, summary: dict[str, Any]) -> list[list[tuple[str, int]]]:
    files = summary["files"]
    return [
        [("確認したファイル", files["seen"]), *((FATES[f], files[f.replace("-", "_")]) for f in FATES)],
        [
            ("集約した所属", summary["divisions"]),
            (f"{NOT_SUBMITTED}の所属", len(result.not_submitted)),
            (H_POLICY_COUNT, summary["policies"]),
            (H_INDICATOR_COUNT, summary["indicators"]),
            (BEHIND, summary["behind_target"]),
            (MISSING_ACTUAL, summary["missing_actual"]),
            (NOT_EVALUABLE, summary["not_evaluable"]),
            (f"進捗遅れの政策（{'・'.join(DELAYED_MARKS)}）", summary["progress_delayed"]),
            (H_TRAJECTORY, summary["behind_trajectory"]),
        ],
    ]


def overview_sheet(book: Any, styles: Styles, result: MergeResult, scope: str, inbox_label: str) -> None:
    """Key figures, the table per department and its chart: one A4 landscape page, written top to bottom."""
    ws = book.add_worksheet(OVERVIEW_SHEET)
    summary = summary_dict(result)
    cols = _department_cols()
    frame = _department_frame(result)
    # the key-figure labels above the table share its columns
    widths = table_widths(cols, Rows(frame), [16.0] + [10.0] * (len(cols) - 1))
    set_widths(ws, widths)
    ws.set_row(0, 24)
    ws.write_string(0, 0, f"工程表 集約結果 {scope}", styles.title)
    height = 24.0 + 2 * DEFAULT_ROW_HEIGHT  # the title, the inbox line and a blank row
    if inbox_label:
        ws.write_string(1, 0, f"受付フォルダ: {inbox_label}", styles.subtitle)
    label_format = styles.get(bold=True, bg_color="#F2F2F2", text_wrap=True, valign="vcenter", align="center")
    value_format = styles.get(num_format="#,##0", align="center", bold=True)
    for band, figures in enumerate(_key_figures(result, summary)):
        row = 3 + band * 2
        lines = max(text_lines(label, w) for (label, _), w in zip(figures, widths, strict=False))
        height += set_height(ws, row, lines) + DEFAULT_ROW_HEIGHT
        for c, (label, _) in enumerate(figures):
            ws.write_string(row, c, label, label_format)
        for c, (_, value) in enumerate(figures):
            ws.write_number(row + 1, c, value, value_format)
    written = write_table(ws, styles, cols, Rows(frame), OVERVIEW_HEADER_ROW, 1, widths)
    height += DEFAULT_ROW_HEIGHT + written.height  # the blank row above the table, and the table
    page_setup(ws, scope, header_row=None)
    ws.fit_to_pages(1, 1)  # key figures, table and chart on one page; nothing repeated
    if not frame.height:
        return
    total_row = written.last + 1
    totals: list[Any] = ["合計"] + [int(frame.get_column(c.source).sum()) for c in cols[1:-1]]
    totals.append(float(frame.get_column("budget").sum()))
    total_format: dict[str, Any] = {"bold": True, "top": 2, "bg_color": "#F2F2F2"}
    ws.write_string(total_row, 0, totals[0], styles.cell("key", **total_format))
    for c, value in enumerate(totals[1:], start=1):
        ws.write_number(total_row, c, value, styles.cell(cols[c].kind, **total_format))
    height += 2 * DEFAULT_ROW_HEIGHT  # the total row and a blank row
    _overview_chart(book, ws, cols, frame, total_row + 2, written.widths, PRINTABLE_HEIGHT - height)


CHART_HEIGHTS = (200, 360)  # pixels: the chart's least and greatest height
CHART_OFFSET = 4  # pixels from the top left corner of its cell


def _overview_chart(
    book: Any,
    ws: Any,
    cols: Sequence[Col],
    frame: pl.DataFrame,
    at_row: int,
    widths: Sequence[float],
    room: float,
) -> None:
    """Stacked columns of ◎○△× per department, below the table so that it covers nothing and prints with it:
    as wide as the table and as tall as the ``room`` (points) left on the page, within ``CHART_HEIGHTS``.

    The cells' values are given as the chart's cached data: in constant_memory mode xlsxwriter cannot read them
    back from the sheet, and a reader that does not recompute a chart shows its cache."""
    first, last = OVERVIEW_HEADER_ROW + 1, OVERVIEW_HEADER_ROW + frame.height
    departments = frame.get_column("department").to_list()
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    font = {"name": FONT_NAME, "size": 9}
    for c, col in enumerate(cols):
        if col.header in CHART_COLOURS:
            chart.add_series(
                {
                    "name": [OVERVIEW_SHEET, OVERVIEW_HEADER_ROW, c],
                    "name_data": [col.header],
                    "categories": [OVERVIEW_SHEET, first, 0, last, 0],
                    "categories_data": departments,
                    "values": [OVERVIEW_SHEET, first, c, last, c],
                    "values_data": frame.get_column(col.source).to_list(),
                    "fill": {"color": CHART_COLOURS[col.header]},
                    "gap": 80,
                }
            )
    chart.set_title({"name": f"{L_PROGRESS}の部局別内訳（政策数）", "name_font": {"name": FONT_NAME, "size": 11}})
    chart.set_x_axis({"num_font": font})
    chart.set_y_axis({"name": H_POLICY_COUNT, "name_font": font, "num_font": font, "min": 0})
    chart.set_legend({"position": "right", "font": font})
    # xlsxwriter's own column pixels: 7 per unit of width and 5 of padding
    width = sum(int(w * 7 + 0.5) + 5 for w in widths) - 2 * CHART_OFFSET
    lowest, highest = CHART_HEIGHTS
    height = int(max(lowest, min(highest, room * PIXELS_PER_POINT - 2 * CHART_OFFSET)))
    chart.set_size({"width": width, "height": height})
    ws.insert_chart(at_row, 0, chart, {"x_offset": CHART_OFFSET, "y_offset": CHART_OFFSET, "object_position": 1})

"""The 概要 sheet: one A4 landscape page an executive reads in a minute.

Top to bottom: the title; the one-sentence result; one line of file counts; 部局別 達成状況 (policies ◎○△×,
indicators 達成/未達/判定不可, the share met, the mean 達成率, a 信号 per department, budget) in 組織順; beside each
other, one chart and the named list of △× policies and behind-target indicators (as many as fit, then
「ほかN件 → 目標未達指標」); the legend; the date and source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND, MET, MISSING_ACTUAL, NOT_EVALUABLE
from pipeline.combine.merge import FATES, MergeResult
from pipeline.contract import layout
from pipeline.outputs.engine import DEFAULT_ROW_HEIGHT, FONT_NAME, Col, Rows, Styles, write_table
from pipeline.outputs.frames import behind_rows, delayed_policies, file_counts, headline_counts, table_of
from pipeline.outputs.labels import H_BUDGET_TOTAL, L_DEPARTMENT, NOT_SUBMITTED, text_width
from pipeline.outputs.legend import (
    H_ACHIEVEMENT_RATE,
    H_MEAN_RATE,
    H_MET_SHARE,
    H_SIGNAL,
    LEGEND_TITLE,
    Presentation,
    headline,
    legend_lines,
    rate_text,
    signal_of,
    value_text,
)
from pipeline.outputs.order import organisation_order
from pipeline.outputs.printing import PIXELS_PER_POINT, PRINTABLE_HEIGHT, page_setup
from pipeline.outputs.sheets import BEHIND_SHEET, OVERVIEW_SHEET, SUBMISSIONS_SHEET

CHART_COLOURS = {MET: "#70AD47", BEHIND: "#C00000", NOT_EVALUABLE: "#A5A5A5", MISSING_ACTUAL: "#FFC000"}
TITLE_ROW, HEADLINE_ROW, FILES_ROW, SECTION_ROW, OVERVIEW_HEADER_ROW = 0, 1, 2, 4, 5
H_DIVISIONS = "提出／対象所属"
H_POLICIES = "政策数"
H_INDICATORS = "指標数"
# The columns of 部局別 達成状況 and their widths (characters): they also carry the chart and the list below.
_DEPARTMENT_COLS: tuple[tuple[Col, float], ...] = (
    (Col(L_DEPARTMENT, "department", "key"), 13.0),
    (Col(H_DIVISIONS, "divisions", "code"), 7.5),
    (Col(H_POLICIES, "policies", "int"), 5.5),
    *((Col(mark, f"mark:{mark}", "int"), 4.0) for mark in layout.PROGRESS_MARKS),
    (Col(H_INDICATORS, "indicators", "int"), 5.5),
    (Col(MET, MET, "int"), 6.0),
    (Col(BEHIND, BEHIND, "int"), 6.0),
    (Col(NOT_EVALUABLE, NOT_EVALUABLE, "int"), 6.0),
    (Col(MISSING_ACTUAL, MISSING_ACTUAL, "int"), 6.0),
    (Col(H_MET_SHARE, "share", "rate"), 8.0),
    (Col(H_MEAN_RATE, "mean_rate", "rate"), 8.0),
    (Col(H_SIGNAL, "signal", "mark", palette="signal"), 5.0),
    (Col(H_BUDGET_TOTAL, "budget", "budget"), 13.0),
)
CHART_COLUMNS = 5  # the chart covers the first five columns; the named list the rest
# The named list's columns (first, last): 区分, 所属, 指標・政策.
LIST_COLUMNS = ((5, 6), (7, 10), (11, 15))
LIST_HEADERS = ("区分", "部局・所属", f"指標：実績／目標（{H_ACHIEVEMENT_RATE}）・政策")
LIST_LINE_HEIGHT = 14.0  # points: one line of 9-point text
LIST_FILL = 1.2  # half-width characters of 9-point text per unit of column width (10-point: about 1.1)
CHART_HEIGHTS = (190, 330)  # pixels: the chart's least and greatest height
CHART_OFFSET = 4  # pixels from the top left corner of its cell


def _cols() -> list[Col]:
    return [col for col, _ in _DEPARTMENT_COLS]


def _widths() -> list[float]:
    return [width for _, width in _DEPARTMENT_COLS]


def department_frame(result: MergeResult, presentation: Presentation) -> pl.DataFrame:
    """One row per department in 組織順: divisions, ◎○△×, indicators by status, share met, mean 達成率, 信号,
    budget."""
    order = organisation_order(result, presentation.departments)
    divisions, policies = table_of(result, "divisions"), table_of(result, "policies")
    indicators, projects = table_of(result, "indicators"), table_of(result, "projects")
    present = [
        *(divisions.get_column("department").to_list() if "department" in divisions.columns else []),
        *(d.department for d in result.not_submitted),
    ]
    rows = [
        _department_row(dept, result, divisions, policies, indicators, projects, presentation)
        for dept in order.department_list(present)
    ]
    schema: dict[str, Any] = {col.source: pl.Int64 for col in _cols()}
    schema.update(department=pl.String, divisions=pl.String, share=pl.Float64, mean_rate=pl.Float64)
    schema.update(signal=pl.String, budget=pl.Float64)
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _department_row(
    department: str | None,
    result: MergeResult,
    divisions: pl.DataFrame,
    policies: pl.DataFrame,
    indicators: pl.DataFrame,
    projects: pl.DataFrame,
    presentation: Presentation,
) -> dict[str, Any]:
    def of(frame: pl.DataFrame) -> pl.DataFrame:
        if "department" not in frame.columns:
            return frame.clear()
        return frame.filter(pl.col("department").eq_missing(department))

    return _figures(
        department,
        of(divisions).height,
        sum(1 for d in result.not_submitted if d.department == department),
        of(policies),
        of(indicators),
        of(projects),
        presentation,
    )


def _figures(
    department: str | None,
    submitted: int,
    absent: int,
    policies: pl.DataFrame,
    indicators: pl.DataFrame,
    projects: pl.DataFrame,
    presentation: Presentation,
) -> dict[str, Any]:
    """The figures of one row of 部局別 達成状況 (a department, or all of them)."""
    row: dict[str, Any] = {"department": department, "divisions": f"{submitted}／{submitted + absent}"}
    row["policies"] = policies.height
    marks = policies.get_column("progress").to_list() if "progress" in policies.columns else []
    for mark in layout.PROGRESS_MARKS:
        row[f"mark:{mark}"] = marks.count(mark)
    statuses = indicators.get_column("status").to_list() if "status" in indicators.columns else []
    row["indicators"] = len(statuses)
    for status in (MET, BEHIND, NOT_EVALUABLE, MISSING_ACTUAL):
        row[status] = statuses.count(status)
    judged = row[MET] + row[BEHIND]
    row["share"] = round(100.0 * row[MET] / judged, 1) if judged else None  # as shown: no float artefacts
    rates = []
    if "achievement_rate" in indicators.columns:
        judged_rows = indicators.filter(pl.col("status").is_in([MET, BEHIND]))
        rates = [min(r, 100.0) for r in judged_rows.get_column("achievement_rate").drop_nulls().to_list()]
    row["mean_rate"] = round(sum(rates) / len(rates), 1) if rates else None
    row["signal"] = signal_of(row["share"], presentation)
    budget = projects.get_column("budget").drop_nulls().sum() if "budget" in projects.columns else 0
    row["budget"] = float(budget or 0.0)
    return row


@dataclass(frozen=True)
class _Item:
    """One line of the named list: its kind (未達, △, ×), who, and what: a name, its figures (never cut) and the
    rest (the policy, cut first)."""

    kind: str
    who: str
    name: str
    figures: str = ""
    rest: str = ""

    def what(self, width: float) -> str:
        """The item's text within ``width`` half-width columns: the figures whole, the name and the rest cut."""
        room = width - text_width(self.figures)
        name = _clip(self.name, max(room, 8.0))
        line = f"{name}{self.figures}"
        if self.rest and text_width(line) + 4 < width:
            line += "　" + _clip(self.rest, width - text_width(line) - 2)
        return line


def attention_items(result: MergeResult, presentation: Presentation) -> list[_Item]:
    """Behind-target indicators and △× policies, by name, in 組織順 (worst first within a division); a policy
    whose indicator is listed is named with it, not again."""
    behind = behind_rows(result, presentation.grade_basis)
    delayed = delayed_policies(result)
    divisions = table_of(result, "divisions")
    place = {f: i for i, f in enumerate(divisions.get_column("file").to_list())} if "file" in divisions.columns else {}
    keyed: list[tuple[int, int, int, _Item]] = []
    named: set[tuple[str, int]] = set()
    for i, row in enumerate(behind.iter_rows(named=True)):
        named.add((row["file"], row["policy_no"]))
        mark = row.get("progress")
        kind = "未達" + (f"・{mark}" if mark in ("△", "×") else "")
        figures = f"：{value_text(row['actual'], row['unit'])}／{value_text(row['target'], row['unit'])}"
        rate = rate_text(row.get("achievement_rate"))
        figures += f"（{rate}）" if rate else ""
        item = _Item(kind, _who(row), row["name"], figures, f"{row['sheet']} {row['policy_title']}")
        keyed.append((place.get(row["file"], len(place)), 0, i, item))
    for i, row in enumerate(delayed.iter_rows(named=True)):
        if (row["file"], row["policy_no"]) in named:
            continue
        meaning = dict(layout.PROGRESS).get(row["progress"], "")
        figures = f"　進捗評価 {row['progress']}（{meaning}）"
        item = _Item(row["progress"], _who(row), f"{row['sheet']} {row['policy_title']}", figures)
        keyed.append((place.get(row["file"], len(place)), 1, i, item))
    return [item for *_, item in sorted(keyed, key=lambda k: k[:3])]


def _who(row: dict[str, Any]) -> str:
    return f"{row['department']} {row['division']}"


def _clip(text: str, width: float) -> str:
    """The text cut to one line of this many half-width columns, with an ellipsis when cut."""
    line = " ".join(text.split())
    if text_width(line) <= width:
        return line
    while line and text_width(line) > width - 2:
        line = line[:-1]
    return line + "…"


def overview_sheet(book: Any, styles: Styles, result: MergeResult, scope: str, presentation: Presentation) -> None:
    """The one page: the result in one sentence, the departments, a chart beside the named list, the legend."""
    ws = book.add_worksheet(OVERVIEW_SHEET)
    cols, widths = _cols(), _widths()
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    last_col = len(cols) - 1
    full = sum(widths) + 0.7 * last_col  # the page's width in characters

    ws.set_row(TITLE_ROW, 24)
    ws.write_string(TITLE_ROW, 0, f"工程表 集約結果 {scope}", styles.title)
    sentence = headline(headline_counts(result))
    big = styles.plain(bold=True, font_size=12, text_wrap=True, valign="vcenter")
    ws.set_row(HEADLINE_ROW, 34 if text_width(sentence) * 1.2 > full else 20)
    ws.merge_range(HEADLINE_ROW, 0, HEADLINE_ROW, last_col, sentence, big)
    ws.merge_range(FILES_ROW, 0, FILES_ROW, last_col, _files_line(result), styles.subtitle)
    ws.write_string(SECTION_ROW, 0, "部局別 達成状況", styles.plain(bold=True, font_size=11))
    height = 24.0 + (34 if text_width(sentence) * 1.2 > full else 20) + 3 * DEFAULT_ROW_HEIGHT

    frame = department_frame(result, presentation)
    written = write_table(ws, styles, cols, Rows(frame), OVERVIEW_HEADER_ROW, 1, widths)
    height += written.height
    total_row = written.last + 1
    if frame.height:
        _total_row(ws, styles, result, presentation, cols, total_row)
    height += DEFAULT_ROW_HEIGHT

    legend = [f"{LEGEND_TITLE}", *(f"・{line}" for line in legend_lines(presentation, signal=True))]
    source = f"作成日 {presentation.created}　" if presentation.created else ""
    source += f"出典: 各所属の工程表（{_source(result, presentation)}）。詳しくは {BEHIND_SHEET}・指標一覧・政策・評価シート。"
    per_line = int(full * 1.35)  # 8-point text: more characters to a line than the 10-point widths
    legend.append(source)
    tail_lines = sum(max(1, -(-text_width(line) // per_line)) for line in legend)
    tail_height = tail_lines * 10.5 + 4
    room = PRINTABLE_HEIGHT - height - tail_height - DEFAULT_ROW_HEIGHT
    first = total_row + 2
    items = attention_items(result, presentation)
    item_height = LIST_LINE_HEIGHT
    fits = max(3, int((room - DEFAULT_ROW_HEIGHT - LIST_LINE_HEIGHT) // item_height))
    shown = items if len(items) <= fits else items[: fits - 1]
    rest = len(items) - len(shown)
    list_last = _named_list(ws, styles, shown, rest, first, widths, len(items))
    block = sum(item_height for _ in shown) + LIST_LINE_HEIGHT + DEFAULT_ROW_HEIGHT * (2 if rest else 1)
    chart_points = max(block, min(room, CHART_HEIGHTS[1] / PIXELS_PER_POINT), CHART_HEIGHTS[0] / PIXELS_PER_POINT)
    if frame.height:
        _chart(book, ws, frame, first, widths[:CHART_COLUMNS], chart_points)
    chart_rows = int(max(0.0, chart_points - block) // DEFAULT_ROW_HEIGHT) + 1
    row = list_last + chart_rows + 1
    small = styles.plain(font_size=8, text_wrap=True, valign="top", font_color="#404040")
    text = "\n".join(legend)
    ws.set_row(row, tail_height)
    ws.merge_range(row, 0, row, last_col, text, small)
    page_setup(ws, scope, header_row=None)
    ws.print_area(0, 0, row, last_col)
    ws.fit_to_pages(1, 1)  # everything on one page; nothing repeated


def _source(result: MergeResult, presentation: Presentation) -> str:
    files = file_counts(result)
    where = f"受付フォルダ {presentation.source}、" if presentation.source else ""
    return f"{where}受理 {files['accepted']} ファイル"


def _files_line(result: MergeResult) -> str:
    """One line of file counts; the detail is on 提出状況."""
    files = file_counts(result)
    counts = "、".join(
        f"{FATES[f]} {files[f.replace('-', '_')]}"
        for f in FATES
        if files[f.replace("-", "_")] or f in ("accepted", "rejected")
    )
    divisions = table_of(result, "divisions").height
    absent = len(result.not_submitted)
    who = f"所属: 提出 {divisions}" + (f"、{NOT_SUBMITTED} {absent}" if result.roster or absent else "")
    return f"ファイル: 確認 {files['seen']}（{counts}）　{who}　→ 詳細は {SUBMISSIONS_SHEET}シート"


def _total_row(
    ws: Any, styles: Styles, result: MergeResult, presentation: Presentation, cols: Sequence[Col], row: int
) -> None:
    figures = _figures(
        "合計",
        table_of(result, "divisions").height,
        len(result.not_submitted),
        table_of(result, "policies"),
        table_of(result, "indicators"),
        table_of(result, "projects"),
        presentation,
    )
    look: dict[str, Any] = {"bold": True, "top": 2, "bg_color": "#F2F2F2"}
    for c, col in enumerate(cols):
        value = figures[col.source]
        if value is None:
            ws.write_blank(row, c, None, styles.cell(col.kind, **look))
        elif isinstance(value, str):
            ws.write_string(row, c, value, styles.cell(col.kind, **look))
        else:
            ws.write_number(row, c, value, styles.cell(col.kind, **look))


def _named_list(
    ws: Any, styles: Styles, items: Sequence[_Item], rest: int, first: int, widths: Sequence[float], total: int
) -> int:
    """The named list right of the chart: a heading, then one line an item (区分, 所属, 指標 with its figures and
    政策), then 「ほかN件 → 目標未達指標」. Returns its last row."""
    kind_cols, who_cols, what_cols = LIST_COLUMNS
    last = len(widths) - 1
    heading = styles.plain(bold=True, font_size=10)
    ws.merge_range(first, kind_cols[0], first, last, f"目標未達の指標と進捗遅れ（△×）の政策（{total}件）", heading)
    if not items:
        ws.write_string(first + 1, kind_cols[0], "（該当なし）", styles.none_line)
        return first + 1
    look: dict[str, Any] = {"font_size": 9, "valign": "vcenter"}
    kind_format = styles.get(bold=True, align="center", font_color="#9C0006", **look)
    text_format = styles.get(**look)
    header_format = styles.get(bold=True, bg_color="#D9E1F2", **look)
    row = first + 1
    ws.set_row(row, LIST_LINE_HEIGHT)
    for (a, b), heading_text in zip(LIST_COLUMNS, LIST_HEADERS, strict=True):
        ws.merge_range(row, a, row, b, heading_text, header_format)

    def span(cols: tuple[int, int]) -> float:
        """Half-width characters of 9-point text that fit in these merged columns."""
        a, b = cols
        return (sum(widths[a : b + 1]) + 0.7 * (b - a)) * LIST_FILL

    for item in items:
        row += 1
        ws.set_row(row, LIST_LINE_HEIGHT)
        ws.merge_range(row, kind_cols[0], row, kind_cols[1], item.kind, kind_format)
        ws.merge_range(row, who_cols[0], row, who_cols[1], _clip(item.who, span(who_cols)), text_format)
        ws.merge_range(row, what_cols[0], row, what_cols[1], item.what(span(what_cols)), text_format)
    if rest:
        row += 1
        more = f"ほか{rest}件 → {BEHIND_SHEET}シート（進捗遅れの政策は 政策・評価シート）"
        ws.merge_range(row, kind_cols[0], row, last, more, styles.plain(bold=True, font_size=9))
    return row


def _chart(book: Any, ws: Any, frame: pl.DataFrame, at_row: int, widths: Sequence[float], points: float) -> None:
    """Stacked bars of the indicators by status per department (in 組織順, top to bottom), left of the named list.

    The cells' values are given as the chart's cached data: a reader that does not recompute a chart shows its
    cache."""
    first, last = OVERVIEW_HEADER_ROW + 1, OVERVIEW_HEADER_ROW + frame.height
    departments = frame.get_column("department").to_list()
    chart = book.add_chart({"type": "bar", "subtype": "stacked"})
    font = {"name": FONT_NAME, "size": 7}
    for c, col in enumerate(_cols()):
        if col.source in CHART_COLOURS:
            chart.add_series(
                {
                    "name": [OVERVIEW_SHEET, OVERVIEW_HEADER_ROW, c],
                    "name_data": [col.header],
                    "categories": [OVERVIEW_SHEET, first, 0, last, 0],
                    "categories_data": departments,
                    "values": [OVERVIEW_SHEET, first, c, last, c],
                    "values_data": frame.get_column(col.source).to_list(),
                    "fill": {"color": CHART_COLOURS[col.source]},
                    "gap": 60,
                }
            )
    chart.set_title({"name": "部局別 測定指標の達成状況（指標数）", "name_font": {"name": FONT_NAME, "size": 10}})
    chart.set_y_axis(
        {"num_font": font, "reverse": True, "interval_unit": 1}
    )  # the first department on top, as in the table
    chart.set_x_axis({"num_font": font, "min": 0, "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom", "font": font})
    width = sum(int(w * 7 + 0.5) + 5 for w in widths) - 2 * CHART_OFFSET
    lowest, highest = CHART_HEIGHTS
    height = int(max(lowest, min(highest, points * PIXELS_PER_POINT - 2 * CHART_OFFSET)))
    chart.set_size({"width": width, "height": height})
    ws.insert_chart(at_row, 0, chart, {"x_offset": CHART_OFFSET, "y_offset": CHART_OFFSET, "object_position": 1})

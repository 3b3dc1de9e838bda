"""The consolidated workbook's data sheets, each declared as a spec: its name, columns, rows, panes and print."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND
from pipeline.combine.merge import MergeResult
from pipeline.contract import layout
from pipeline.contract.eras import fiscal_year_label
from pipeline.outputs.engine import (
    EXCEL_MAX_DATA_ROWS,
    Col,
    Rows,
    Styles,
    set_height,
    set_widths,
    table_widths,
    text_lines,
    write_table,
)
from pipeline.outputs.frames import location_expr, table_of, worst_first
from pipeline.outputs.labels import (
    H_BEHIND_COUNT,
    H_BUDGET_TOTAL,
    H_FEEDBACK,
    H_FILE,
    H_GRADE,
    H_INDICATOR_COUNT,
    H_LOCATION,
    H_POLICY_COUNT,
    H_POLICY_NO,
    H_ROW,
    H_STATUS,
    H_STATUS_REASON,
    H_SUBMITTED,
    H_TRAJECTORY,
    H_TRAJECTORY_EXPECTED,
    H_WARNING,
    L_ACHIEVEMENT,
    L_ACTUAL,
    L_CODE,
    L_DEPARTMENT,
    L_DIVISION,
    L_NEXT_ACTION,
    L_POLICY,
    L_PROGRESS,
    L_REASON,
    L_STAGE,
    L_TARGET,
    L_UNIT,
    L_YEAR,
    NOT_SUBMITTED,
    SUBMITTED,
    TRAJECTORY_FLAG,
    local_time,
)
from pipeline.outputs.legend import H_ACHIEVEMENT_RATE, H_PROGRESS_RATE, LEGEND_TITLE, Presentation, legend_lines
from pipeline.outputs.order import in_org_order, organisation_order
from pipeline.outputs.printing import apply_print_plan, fit_widths, page_setup, print_plan
from pipeline.outputs.report import SEVERITY_JA
from pipeline.outputs.sheetxml import RowsOut

# Template text columns that hold sentences rather than names: wide and wrapped.
_LONG_TEXT = frozenset(
    {
        "indicators.selection_reason",
        "projects.summary",
        "results.action",
        "results.outcome",
        "challenges.challenge",
        "challenges.next_action",
    }
)


_KIND_OF = {
    layout.Kind.BUDGET: "budget",
    layout.Kind.DIRECTION: "code",
    layout.Kind.CATEGORY: "code",
    layout.Kind.CODE: "code",
    layout.Kind.AS_OF: "code",
}


def _value_cols(table: str, keys: Iterable[str]) -> list[Col]:
    """Columns for template fields of a table, by layout kind: values as numbers with their text fallback."""
    spec = layout.ALL_FIELDS[table]
    cols = []
    for key in keys:
        column = spec.column(key)
        if column.kind is layout.Kind.VALUE:
            cols.append(Col(column.label, key, "value", text=f"{key}_text"))
        elif f"{table}.{key}" in _LONG_TEXT:
            cols.append(Col(column.label, key, "long"))
        else:
            cols.append(Col(column.label, key, _KIND_OF.get(column.kind, "text")))
    return cols


_WHO = [Col(L_DEPARTMENT, "department", "key"), Col(L_DIVISION, "division", "key")]
_POLICY = Col(L_POLICY, "policy_title", "text")
# Where a row came from: for whoever checks a figure on screen, not printed.
_WHERE = [Col(H_LOCATION, "_location", "code", page=None), Col(H_FILE, "file", "code", page=None)]


def indicator_rows(result: MergeResult) -> Rows:
    frame = table_of(result, "indicators")
    if not frame.columns:
        return Rows(frame)
    has_start = pl.col("start").is_not_null() | pl.col("start_text").is_not_null()
    frame = frame.with_columns(
        _location=location_expr("actual_cell", "target_cell", "name_cell"),
        _trajectory=pl.when(pl.col("behind_trajectory")).then(pl.lit(TRAJECTORY_FLAG)).otherwise(None),
        _start_or_baseline=pl.when(has_start).then(pl.col("start")).otherwise(pl.col("baseline")),
        _start_or_baseline_text=pl.when(has_start).then(pl.col("start_text")).otherwise(pl.col("baseline_text")),
    )
    return Rows.sorted(frame)


RATE_COLS = (
    Col(H_ACHIEVEMENT_RATE, "achievement_rate", "rate"),
    Col(H_PROGRESS_RATE, "progress_rate", "progress"),
    Col(H_GRADE, "grade", "mark", palette="grade"),
)


def behind_cols() -> list[Col]:
    """Who and which policy, the indicator's figures and both rates, and beside them the division's own
    evaluation (評価理由, 今後の取組): one page wide, long text wrapped."""
    indicator_labels = {k: layout.label_of(f"indicators.{k}") for k in ("name", "direction")}
    return [
        *_WHO,
        _POLICY,
        Col(indicator_labels["name"], "name", "text"),
        Col(L_UNIT, "unit", "code"),
        Col(indicator_labels["direction"], "direction", "code"),
        Col(
            f"{layout.label_of('indicators.start')}/{layout.label_of('indicators.baseline')}",
            "_start_or_baseline",
            "value",
            text="_start_or_baseline_text",
            unit="unit",
        ),
        Col(L_TARGET, "target", "value", text="target_text", unit="unit"),
        Col(L_ACTUAL, "actual", "value", text="actual_text", palette="flag", unit="unit"),
        *RATE_COLS,
        Col(H_TRAJECTORY, "_trajectory", "mark", palette="flag"),
        Col(L_PROGRESS, "progress", "mark", palette="mark"),
        Col(L_ACHIEVEMENT, "achievement", "score"),
        Col(L_REASON, "evaluation_reason", "long"),
        Col(L_NEXT_ACTION, "next_actions", "long"),
        Col(H_WARNING, "self_evaluation_warning", "note", palette="warning"),
        *_WHERE,
    ]


# The leading columns that say which row it is (部局名, 所属名, 政策内容): frozen on screen.
KEY_COLUMNS = 3


def indicator_cols() -> list[Col]:
    """By importance: who, which indicator, its figures and status (printed, one page wide), then the status
    reason, category and long-term view, then what only a checker needs (the screen only)."""
    fields = {col.source: col for col in _value_cols("indicators", [c.key for c in layout.INDICATOR_COLUMNS])}
    figures = [fields.pop(key) for key in ("name", "unit", "direction", "baseline", "start", "target", "actual")]
    figures = [replace(col, unit="unit") if col.kind == "value" else col for col in figures]
    category, long_term = fields.pop("category"), fields.pop("long_term_target")
    as_of = [fields.pop(key) for key in list(fields) if key.endswith("_as_of")]
    return [
        *_WHO,
        _POLICY,
        *figures,
        *RATE_COLS,
        Col(H_STATUS, "status", "code", palette="status"),
        Col(H_TRAJECTORY, "_trajectory", "mark", palette="flag"),
        Col(H_STATUS_REASON, "status_reason", "text", page=None),
        category.on(None),
        replace(long_term, unit="unit").on(None),
        Col(H_TRAJECTORY_EXPECTED, "trajectory_expected", "calc", page=None, unit="unit"),
        Col(L_PROGRESS, "progress", "mark", palette="mark", page=None),
        Col(H_POLICY_NO, "policy_no", "int", page=None),
        *(col.on(None) for col in fields.values()),  # the plan, the other plan's name, why this indicator
        *(col.on(None) for col in as_of),
        *_WHERE[:1],
        Col(H_ROW, "row", "int", page=None),
        *_WHERE[1:],
    ]


def policy_rows(result: MergeResult) -> Rows:
    policies = table_of(result, "policies")
    if not policies.columns:
        return Rows(policies)
    indicators = table_of(result, "indicators")
    if "status" in indicators.columns and indicators.height:
        behind = indicators.group_by("file", "policy_no").agg((pl.col("status") == BEHIND).sum().alias("behind_rows"))
        # joined on the keys alone, so that the policies are not copied: one count per policy, in its order
        counts = policies.select("file", "policy_no").join(
            behind, on=["file", "policy_no"], how="left", maintain_order="left"
        )
        policies = policies.with_columns(counts.get_column("behind_rows"))
    else:
        policies = policies.with_columns(behind_rows=pl.lit(None, pl.UInt32))
    frame = policies.with_columns(
        behind_rows=pl.col("behind_rows").fill_null(0).cast(pl.Int64),
        _location=location_expr("policy_title_cell"),
    )
    return Rows.sorted(frame)


def policy_cols() -> list[Col]:
    """Who and which policy, the evaluation, the policy's budget and aims (one page wide), then references (the
    screen only)."""
    return [
        *_WHO,
        _POLICY,
        Col(L_PROGRESS, "progress", "mark", palette="mark"),
        Col(L_ACHIEVEMENT, "achievement", "score"),
        Col(H_INDICATOR_COUNT, "indicator_count", "int"),
        Col(H_BEHIND_COUNT, "behind_rows", "int"),
        Col(L_REASON, "evaluation_reason", "long"),
        Col(L_NEXT_ACTION, "next_actions", "long"),
        Col(H_WARNING, "self_evaluation_warning", "note", palette="warning"),
        Col(H_BUDGET_TOTAL, "budget_total", "budget"),
        Col(layout.label_of("goals"), "goals", "long"),
        Col(layout.label_of("long_term_goal"), "long_term_goal", "long"),
        Col(layout.label_of("related_plans"), "related_plans", "text", page=None),
        Col(layout.label_of("related_plans_note"), "related_plans_note", "text", page=None),
        Col(H_POLICY_NO, "policy_no", "int", page=None),
        *_WHERE,
    ]


def item_rows(result: MergeResult, table: str) -> Rows:
    frame = table_of(result, table)
    if not frame.columns:
        return Rows(frame)
    cells = [f"{column.key}_cell" for column in layout.ALL_FIELDS[table].columns]
    return Rows.sorted(frame.with_columns(_location=location_expr(*cells)))


def item_cols(table: str) -> list[Col]:
    keys = [c.key for c in layout.ALL_FIELDS[table].columns]
    return [*_WHO, _POLICY, *_value_cols(table, keys), *_WHERE]


def division_rows(result: MergeResult, presentation: Presentation) -> Rows:
    divisions = table_of(result, "divisions")
    indicators = table_of(result, "indicators")
    if not divisions.columns:
        return Rows(divisions)
    if indicators.height:
        counts = indicators.group_by("file").agg(pl.len().cast(pl.Int64).alias("_indicators"))
        joined = divisions.select("file").join(counts, on="file", how="left", maintain_order="left")
        divisions = divisions.with_columns(joined.get_column("_indicators"))
    else:
        divisions = divisions.with_columns(_indicators=pl.lit(None, pl.Int64))
    divisions = divisions.with_columns(_indicators=pl.col("_indicators").fill_null(0), _submitted=pl.lit(SUBMITTED))
    absent = pl.DataFrame(
        {
            "department": [d.department for d in result.not_submitted],
            "division": [d.division for d in result.not_submitted],
            "division_code": [d.code for d in result.not_submitted],
            "_submitted": [NOT_SUBMITTED] * len(result.not_submitted),
        },
        schema={"department": pl.String, "division": pl.String, "division_code": pl.String, "_submitted": pl.String},
    )
    merged = pl.concat([divisions, absent], how="diagonal_relaxed")
    return Rows(in_org_order(merged, organisation_order(result, presentation.departments)))


def division_cols() -> list[Col]:
    return [
        *_WHO,
        Col(L_CODE, "division_code", "code"),
        Col(H_SUBMITTED, "_submitted", "mark", palette="submitted"),
        Col(layout.label_of("head"), "head", "text"),
        Col(layout.label_of("phone"), "phone", "code"),
        Col(layout.label_of("missions"), "missions", "long"),
        Col(H_POLICY_COUNT, "policy_count", "int"),
        Col(H_INDICATOR_COUNT, "_indicators", "int"),
        _WHERE[1],
    ]


def submission_frame(result: MergeResult) -> pl.DataFrame:
    submissions = table_of(result, "submissions")
    if "saved_at" not in submissions.columns:
        return submissions
    local = [local_time(s) for s in submissions.get_column("saved_at").to_list()]
    years = [fiscal_year_label(y) if y is not None else None for y in submissions.get_column("fiscal_year").to_list()]
    return submissions.with_columns(
        _saved_at=pl.Series(local, dtype=pl.String), _year=pl.Series(years, dtype=pl.String)
    )


def submission_cols(frame: pl.DataFrame) -> list[Col]:
    """Each file, its fate and why, then when it was saved; its hash for the screen only."""
    cols = [
        Col(H_FILE, "file", "file"),
        Col(H_STATUS, "status_ja", "code", palette="fate"),
        Col(L_DEPARTMENT, "department", "key"),
        Col(L_DIVISION, "division", "key"),
        Col("備考", "note", "long"),
        Col("エラー数", "errors", "int"),
        Col("警告数", "warnings", "int"),
    ]
    if "feedback" in frame.columns:  # the annotated copy to send back to the division
        cols.append(Col(H_FEEDBACK, "feedback", "code"))
    return [
        *cols,
        Col("保存日時", "_saved_at", "code"),
        Col(L_YEAR, "_year", "era"),
        Col(L_STAGE, "stage", "mark"),
        Col("SHA-256", "sha256", "hash", page=None),
    ]


def error_rows(result: MergeResult) -> Rows:
    """Every issue, blocking before errors before warnings, each in the order of the files on the 提出状況 sheet."""
    errors = table_of(result, "errors")
    if not errors.columns:
        return Rows(errors)
    submissions = table_of(result, "submissions")
    files = submissions.get_column("file").to_list() if "file" in submissions.columns else []
    order = {file: i for i, file in enumerate(files)}
    frame = errors.with_columns(
        _severity=pl.col("severity").replace_strict(SEVERITY_JA, default=pl.col("severity")),
        _order=pl.col("file").replace_strict(order, default=len(order), return_dtype=pl.Int64),
    )
    rank = pl.col("severity").replace_strict(_SEVERITY_RANK, default=len(_SEVERITY_RANK), return_dtype=pl.Int64)
    return Rows.sorted(frame, [rank, pl.col("_order")], nulls_last=False)


# 検証エラー: what rejects a file first, then the wrong values to correct, then what to confirm.
_SEVERITY_RANK = {"blocking": 0, "error": 1, "warning": 2}


def error_cols() -> list[Col]:
    return [
        Col(H_FILE, "file", "code"),
        Col("重要度", "_severity", "mark", palette="severity"),
        Col("メッセージ", "message", "long"),
        Col("入力値", "found", "text"),
        Col("項目", "field", "text"),
        Col("シート", "sheet", "code"),
        Col("セル", "cell", "code"),
        Col("コード", "code", "code", page=None),
    ]


TITLE_ROW, NOTE_ROW, HEADER_ROW = 0, 1, 2


def data_sheet(
    book: Any,
    styles: Styles,
    name: str,
    cols: Sequence[Col],
    rows: Rows,
    scope: str,
    *,
    freeze_cols: int = 2,
    note: str = "",
    legend: Sequence[str] = (),
    sentence_floor: float | None = None,
    rows_out: RowsOut | None = None,
) -> None:
    """A sheet with a title line, a note on what it lists (and the legend, where it shows a rate or a grade),
    then one table with its header on the third row (its data rows into ``rows_out``'s sheet rows when given).

    On paper: one page wide, the wrapped columns widened to fill it; the title, note and header rows on every page;
    technical columns left off.
    """
    ws = book.add_worksheet(name)
    total = rows.height
    rows = rows.head(EXCEL_MAX_DATA_ROWS)
    shown = f"（{total:,}件）" if total == rows.height else f"（{total:,}件中、先頭 {rows.height:,}件）"
    widths = fit_widths(cols, table_widths(cols, rows), sentence_floor=sentence_floor)
    set_widths(ws, widths)
    plan = print_plan(cols, widths)
    ws.set_row(TITLE_ROW, 24)
    ws.write_rich_string(TITLE_ROW, 0, styles.title, f"{name}{shown}", styles.scope, f" {scope}")
    _note(ws, styles, note, legend, widths[: plan.last_col + 1])
    data = rows_out(name) if rows_out is not None else None
    written = write_table(ws, styles, cols, rows, HEADER_ROW, freeze_cols, widths, data=data)
    page_setup(ws, scope, header_row=HEADER_ROW)
    apply_print_plan(ws, plan, max(written.last, HEADER_ROW + 1))


def _note(ws: Any, styles: Styles, note: str, legend: Sequence[str], widths: Sequence[float]) -> None:
    """The note row: what the sheet lists, then the legend, across the printed columns, wrapped."""
    lines = [note] if note else []
    if legend:
        lines.append(f"{LEGEND_TITLE}　" + "　".join(legend))
    text = "\n".join(lines)
    if not text:
        return
    span = sum(widths) + 0.7 * (len(widths) - 1)
    set_height(ws, NOTE_ROW, text_lines(text, span))
    if len(widths) > 1:
        ws.merge_range(NOTE_ROW, 0, NOTE_ROW, len(widths) - 1, "", styles.note)
    ws.write_string(NOTE_ROW, 0, text, styles.note)


def behind_rows(result: MergeResult, presentation: Presentation) -> Rows:
    """The behind-target indicators in 組織順, the worst first within each division (by the grade's rate)."""
    indicators = indicator_rows(result)
    if "status" not in indicators.frame.columns:
        return indicators
    frame = indicators.frame.filter(pl.col("status") == BEHIND)
    return Rows.sorted(frame, worst_first(presentation.grade_basis))


def submission_rows(result: MergeResult) -> Rows:
    """Every file seen, in 組織順 (files of no division after them, as the merge saw them)."""
    return Rows(submission_frame(result))


@dataclass(frozen=True)
class SheetSpec:
    """One data sheet of consolidated.xlsx: a title line, a note, then one table with a filter on its header row.

    Every data sheet is printed A4 landscape one page wide with its title rows repeated (printing.page_setup).
    """

    name: str
    rows: Callable[[MergeResult, Presentation], Rows]
    columns: Callable[[pl.DataFrame], list[Col]]  # given the rows' frame: a column may depend on what it holds
    freeze_cols: int = 2  # columns frozen beside the frozen header row
    note: str = ""  # what the sheet lists, under its title
    legend: bool = False  # it shows a rate or a grade: the legend goes under the title
    # Sentences may be narrowed to this many characters (taking more lines) for a larger print: the sheet of few
    # rows an executive reads first. None: sentences keep their width, fewer lines and pages.
    sentence_floor: float | None = None

    def write(
        self,
        book: Any,
        styles: Styles,
        result: MergeResult,
        scope: str,
        presentation: Presentation,
        rows_out: RowsOut | None = None,
    ) -> None:
        """Add this sheet to the workbook."""
        rows = self.rows(result, presentation)
        cols = self.columns(rows.frame)
        legend = legend_lines(presentation) if self.legend else ()
        data_sheet(
            book,
            styles,
            self.name,
            cols,
            rows,
            scope,
            freeze_cols=self.freeze_cols,
            note=self.note,
            legend=legend,
            sentence_floor=self.sentence_floor,
            rows_out=rows_out,
        )


OVERVIEW_SHEET = "概要"
BEHIND_SHEET = "目標未達指標"
SUBMISSIONS_SHEET = "提出状況"
ERRORS_SHEET = "検証エラー"
# The data sheets after 概要, in the order an executive reads them; adding a sheet is adding a spec here.
DATA_SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        BEHIND_SHEET,
        behind_rows,
        lambda _: behind_cols(),
        freeze_cols=KEY_COLUMNS,
        note="目標値・実績値ともに数値で、実績が目標に届かない指標。組織順、所属の中は達成率の低い順。"
        "所属の自己評価（進捗評価・達成度・評価理由・今後の取組）を右に並べています。",
        legend=True,
        sentence_floor=24.0,
    ),
    SheetSpec(
        "指標一覧",
        lambda r, _: indicator_rows(r),
        lambda _: indicator_cols(),
        note="すべての測定指標（組織順）。判定理由・計画・時点などは印刷範囲の右にあります。",
        legend=True,
    ),
    SheetSpec(
        "政策・評価",
        lambda r, _: policy_rows(r),
        lambda _: policy_cols(),
        freeze_cols=KEY_COLUMNS,
        note="政策ごとの所属の自己評価と、目標未達の指標数・予算額（組織順）。",
    ),
    SheetSpec("主要事業", lambda r, _: item_rows(r, "projects"), lambda _: item_cols("projects")),
    SheetSpec("取組と成果", lambda r, _: item_rows(r, "results"), lambda _: item_cols("results")),
    SheetSpec("課題と今後の取組", lambda r, _: item_rows(r, "challenges"), lambda _: item_cols("challenges")),
    SheetSpec("所属一覧", division_rows, lambda _: division_cols(), note="名簿の所属と提出の有無（組織順）。"),
    SheetSpec(
        SUBMISSIONS_SHEET,
        lambda r, _: submission_rows(r),
        submission_cols,
        freeze_cols=1,
        note="受付フォルダで見つかったすべてのファイルと、その扱い（受理・不受理・置換済み・対象外など）。",
    ),
    SheetSpec(ERRORS_SHEET, lambda r, _: error_rows(r), lambda _: error_cols(), freeze_cols=1),
)
SHEETS = (OVERVIEW_SHEET, *(spec.name for spec in DATA_SHEETS))

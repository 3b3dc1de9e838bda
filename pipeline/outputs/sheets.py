"""The consolidated workbook's data sheets, each declared as a spec: its name, columns, rows, panes and print."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND
from pipeline.combine.merge import MergeResult
from pipeline.contract import layout
from pipeline.outputs.engine import EXCEL_MAX_DATA_ROWS, Col, Rows, Styles, set_widths, table_widths, write_table
from pipeline.outputs.frames import location_expr, table_of
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
    H_RATE,
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
from pipeline.outputs.printing import apply_print_plan, page_setup, print_plan
from pipeline.outputs.report import SEVERITY_JA

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


def behind_cols() -> list[Col]:
    """Who and which policy (repeated on each printed page), then the indicator's figures, then the policy's
    evaluation (the second page when printed)."""
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
        ),
        Col(L_TARGET, "target", "value", text="target_text"),
        Col(L_ACTUAL, "actual", "value", text="actual_text", palette="flag"),
        Col(H_RATE, "achievement_rate", "rate"),
        Col(H_GRADE, "grade", "mark", palette="grade"),
        Col(H_TRAJECTORY, "_trajectory", "mark", palette="flag"),
        Col(L_PROGRESS, "progress", "mark", palette="mark", page=1),
        Col(L_ACHIEVEMENT, "achievement", "score", page=1),
        Col(L_REASON, "evaluation_reason", "long", page=1),
        Col(L_NEXT_ACTION, "next_actions", "long", page=1),
        Col(H_WARNING, "self_evaluation_warning", "note", palette="warning", page=1),
        *_WHERE,
    ]


# The leading columns that say which row it is (部局名, 所属名, 政策内容): frozen on screen, and printed on every
# page across when the sheet is too wide for one.
KEY_COLUMNS = 3


def indicator_cols() -> list[Col]:
    """By importance: who, which indicator, its figures and status (printed, one page wide), then the status
    reason, category and long-term view, then what only a checker needs (the screen only)."""
    fields = {col.source: col for col in _value_cols("indicators", [c.key for c in layout.INDICATOR_COLUMNS])}
    figures = [fields.pop(key) for key in ("name", "unit", "direction", "baseline", "start", "target", "actual")]
    category, long_term = fields.pop("category"), fields.pop("long_term_target")
    as_of = [fields.pop(key) for key in list(fields) if key.endswith("_as_of")]
    return [
        *_WHO,
        _POLICY,
        *figures,
        Col(H_RATE, "achievement_rate", "rate"),
        Col(H_GRADE, "grade", "mark", palette="grade"),
        Col(H_STATUS, "status", "code", palette="status"),
        Col(H_TRAJECTORY, "_trajectory", "mark", palette="flag"),
        Col(H_STATUS_REASON, "status_reason", "text", page=None),
        category.on(None),
        long_term.on(None),
        Col(H_TRAJECTORY_EXPECTED, "trajectory_expected", "calc", page=None),
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
    """Who and which policy (repeated on each printed page), the evaluation, then the policy's budget and aims
    (the second page when printed), then references (not printed)."""
    return [
        *_WHO,
        _POLICY,
        Col(L_PROGRESS, "progress", "mark", palette="mark"),
        Col(L_ACHIEVEMENT, "achievement", "score"),
        Col(H_INDICATOR_COUNT, "indicator_count", "int"),
        Col(H_BEHIND_COUNT, "behind_rows", "int"),
        Col(L_REASON, "evaluation_reason", "long"),
        Col(L_NEXT_ACTION, "next_actions", "long"),
        Col(H_WARNING, "self_evaluation_warning", "note", palette="warning", page=1),
        Col(H_BUDGET_TOTAL, "budget_total", "budget", page=1),
        Col(layout.label_of("goals"), "goals", "long", page=1),
        Col(layout.label_of("long_term_goal"), "long_term_goal", "long", page=1),
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


def division_rows(result: MergeResult) -> Rows:
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
    return Rows.sorted(merged, ["department", "division", "file"])


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
    return submissions.with_columns(_saved_at=pl.Series(local, dtype=pl.String))


def submission_cols(frame: pl.DataFrame) -> list[Col]:
    """Each file, its fate and why, then when it was saved; its hash for the screen only."""
    cols = [
        Col(H_FILE, "file", "code"),
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
        Col(L_YEAR, "fiscal_year", "year"),
        Col(L_STAGE, "stage", "mark"),
        Col("SHA-256", "sha256", "hash", page=None),
    ]


def error_rows(result: MergeResult) -> Rows:
    """Every issue, errors before warnings, each in the order of the files on the 提出状況 sheet."""
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
    return Rows.sorted(frame, [pl.col("severity") != "error", pl.col("_order")], nulls_last=False)


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


def data_sheet(
    book: Any,
    styles: Styles,
    name: str,
    cols: Sequence[Col],
    rows: Rows,
    scope: str,
    *,
    freeze_cols: int = 2,
    repeat: int = 0,
) -> None:
    """A sheet with a title line, then one table with its header on the second row.

    On paper: the header row on every page; the columns a page wide at a readable scale, else split across
    pages as the columns say with the first ``repeat`` columns on each; technical columns left off.
    """
    ws = book.add_worksheet(name)
    total = rows.height
    rows = rows.head(EXCEL_MAX_DATA_ROWS)
    shown = f"（{total:,}件）" if total == rows.height else f"（{total:,}件中、先頭 {rows.height:,}件）"
    widths = table_widths(cols, rows)
    set_widths(ws, widths)
    plan = print_plan(cols, widths, repeat)
    _sheet_title(ws, styles, f"{name}{shown}", scope, plan.repeat)
    written = write_table(ws, styles, cols, rows, 1, freeze_cols, widths)
    page_setup(ws, scope, header_row=1)
    apply_print_plan(ws, plan, max(written.last, 2))


def _sheet_title(ws: Any, styles: Styles, title: str, scope: str, span: int) -> None:
    """The title in large type and the scope after it; on two lines within the first ``span`` columns when those
    are printed again on each page across, so that the title is whole on every page."""
    if span > 1:
        ws.set_row(0, 42)
        ws.merge_range(0, 0, 0, span - 1, "", styles.title_cell)
        ws.write_rich_string(0, 0, styles.title, title, styles.scope, f"\n{scope}", styles.title_cell)
    else:
        ws.set_row(0, 24)
        ws.write_rich_string(0, 0, styles.title, title, styles.scope, f" {scope}")


def behind_rows(result: MergeResult) -> Rows:
    """The behind-target indicators, in the order of 指標一覧."""
    indicators = indicator_rows(result)
    return indicators.where(pl.col("status") == BEHIND) if "status" in indicators.frame.columns else indicators


def submission_rows(result: MergeResult) -> Rows:
    """Every file seen, in the order the merge saw them."""
    return Rows(submission_frame(result))


@dataclass(frozen=True)
class SheetSpec:
    """One data sheet of consolidated.xlsx: a title line, then one table with a filter on its header row.

    Every data sheet is printed A4 landscape with its header row repeated (printing.page_setup), one page wide at a
    readable scale, or split across pages after its ``repeat`` key columns (printing.print_plan).
    """

    name: str
    rows: Callable[[MergeResult], Rows]
    columns: Callable[[pl.DataFrame], list[Col]]  # given the rows' frame: a column may depend on what it holds
    freeze_cols: int = 2  # columns frozen beside the frozen header row
    repeat: int = 0  # leading columns printed again on each page across

    def write(self, book: Any, styles: Styles, result: MergeResult, scope: str) -> None:
        """Add this sheet to the workbook."""
        rows = self.rows(result)
        cols = self.columns(rows.frame)
        data_sheet(book, styles, self.name, cols, rows, scope, freeze_cols=self.freeze_cols, repeat=self.repeat)


OVERVIEW_SHEET = "概要"
ERRORS_SHEET = "検証エラー"
# The data sheets after 概要, in the order an executive reads them; adding a sheet is adding a spec here.
DATA_SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("目標未達指標", behind_rows, lambda _: behind_cols(), freeze_cols=KEY_COLUMNS, repeat=KEY_COLUMNS),
    SheetSpec("指標一覧", indicator_rows, lambda _: indicator_cols()),
    SheetSpec("政策・評価", policy_rows, lambda _: policy_cols(), freeze_cols=KEY_COLUMNS, repeat=KEY_COLUMNS),
    SheetSpec("主要事業", lambda r: item_rows(r, "projects"), lambda _: item_cols("projects")),
    SheetSpec("取組と成果", lambda r: item_rows(r, "results"), lambda _: item_cols("results")),
    SheetSpec("課題と今後の取組", lambda r: item_rows(r, "challenges"), lambda _: item_cols("challenges")),
    SheetSpec("所属一覧", division_rows, lambda _: division_cols()),
    SheetSpec("提出状況", submission_rows, submission_cols, freeze_cols=1),
    SheetSpec(ERRORS_SHEET, error_rows, lambda _: error_cols(), freeze_cols=1),
)
SHEETS = (OVERVIEW_SHEET, *(spec.name for spec in DATA_SHEETS))

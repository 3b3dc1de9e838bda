"""Queries on the merged tables that several outputs share: the order executives read, counts, lists.

The tables arrive in 組織順 (outputs.order.arranged): a query keeps their order, or sorts within a division."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND, RATE_COLUMNS, STATUSES
from pipeline.combine.merge import FATES, MergeResult
from pipeline.constants import DEFAULT_GRADE_BASIS
from pipeline.outputs.labels import DELAYED_MARKS, ON_SCHEDULE_MARKS


def location_expr(*cell_columns: str) -> pl.Expr:
    """``政策1!L26`` from the sheet and the first cell column that is set; the sheet alone if none is."""
    cell = pl.coalesce([pl.col(c) for c in cell_columns])
    return (
        pl.when(cell.is_not_null()).then(pl.concat_str([pl.col("sheet"), pl.lit("!"), cell])).otherwise(pl.col("sheet"))
    )


def worst_first(basis: str = DEFAULT_GRADE_BASIS) -> list[pl.Expr]:
    """Sort keys that keep 組織順 by division and put its worst indicator first (lowest basis rate, then the
    other rate; rows without a rate after those with one)."""
    first = RATE_COLUMNS[basis]
    other = next(c for c in RATE_COLUMNS.values() if c != first)
    division = pl.col("file").rle_id()  # the tables come in 組織順, each division's rows together
    return [division, pl.col(first).fill_nan(None), pl.col(other).fill_nan(None)]


def table_of(result: MergeResult, name: str) -> pl.DataFrame:
    return result.tables.get(name, pl.DataFrame())


def behind_rows(result: MergeResult, basis: str = DEFAULT_GRADE_BASIS) -> pl.DataFrame:
    """The behind-target indicators in 組織順, worst first within each division."""
    indicators = table_of(result, "indicators")
    if "status" not in indicators.columns:
        return indicators.clear()
    behind = indicators.filter(pl.col("status") == BEHIND)
    if not behind.height or not set(RATE_COLUMNS.values()) <= set(behind.columns):
        return behind
    return behind.sort(worst_first(basis), nulls_last=True, maintain_order=True)


def status_counts(result: MergeResult) -> dict[str, int]:
    """Indicators per status, every status present (0 when none)."""
    indicators = table_of(result, "indicators")
    counts = dict.fromkeys(STATUSES, 0)
    if "status" in indicators.columns and indicators.height:
        for status, n in indicators.group_by("status").len().iter_rows():
            counts[status] = int(n)
    return counts


def headline_counts(result: MergeResult) -> dict[str, int]:
    """What the one-sentence result counts: policies, those ◎ or ○, indicators and each status."""
    policies = table_of(result, "policies")
    on_schedule = 0
    if "progress" in policies.columns:
        on_schedule = int(policies.get_column("progress").is_in(ON_SCHEDULE_MARKS).sum())
    return {
        "policies": policies.height,
        "on_schedule": on_schedule,
        "indicators": table_of(result, "indicators").height,
        **status_counts(result),
    }


def file_counts(result: MergeResult) -> dict[str, int]:
    submissions = table_of(result, "submissions")
    statuses = submissions.get_column("status").to_list() if "status" in submissions.columns else []
    counts = {"seen": len(statuses)}
    for fate in FATES:
        counts[fate.replace("-", "_")] = statuses.count(fate)
    return counts


def delayed_policies(result: MergeResult) -> pl.DataFrame:
    policies = table_of(result, "policies")
    if "progress" not in policies.columns:
        return policies.clear()
    return policies.filter(pl.col("progress").is_in(DELAYED_MARKS))


def warned_policies(result: MergeResult) -> pl.DataFrame:
    policies = table_of(result, "policies")
    if "self_evaluation_warning" not in policies.columns:
        return policies.clear()
    return policies.filter(pl.col("self_evaluation_warning").is_not_null())


def rejected_files(result: MergeResult, fate: str = "rejected") -> list[dict[str, Any]]:
    """Files with the given fate and their error messages, in the order the merge saw them."""
    submissions, errors = table_of(result, "submissions"), table_of(result, "errors")
    if "status" not in submissions.columns:
        return []
    files = submissions.filter(pl.col("status") == fate).get_column("file").to_list()
    by_file: dict[str, list[str]] = defaultdict(list)
    if {"file", "severity", "message"} <= set(errors.columns):
        for file, message in (
            errors.filter(pl.col("severity").is_in(["blocking", "error"])).select("file", "message").iter_rows()
        ):
            by_file[file].append(message)
    return [{"file": f, "errors": by_file.get(f, [])} for f in files]

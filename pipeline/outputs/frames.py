"""Queries on the merged tables that several outputs share: the order executives read, counts, lists."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND
from pipeline.combine.merge import FATES, MergeResult
from pipeline.outputs.labels import DELAYED_MARKS


def location_expr(*cell_columns: str) -> pl.Expr:
    """``政策1!L26`` from the sheet and the first cell column that is set; the sheet alone if none is."""
    cell = pl.coalesce([pl.col(c) for c in cell_columns])
    return (
        pl.when(cell.is_not_null()).then(pl.concat_str([pl.col("sheet"), pl.lit("!"), cell])).otherwise(pl.col("sheet"))
    )


SORT_KEYS = ("department", "division", "file", "policy_no", "row", "item_no")


def in_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows ordered by department, division, file, policy and row, as executives read them."""
    keys = [k for k in SORT_KEYS if k in frame.columns]
    return frame.sort(keys, nulls_last=True, maintain_order=True) if keys else frame


def table_of(result: MergeResult, name: str) -> pl.DataFrame:
    return result.tables.get(name, pl.DataFrame())


def count_of(frame: pl.DataFrame, column: str, value: str) -> int:
    if column not in frame.columns:
        return 0
    return int(frame.get_column(column).eq(value).sum())


def behind_rows(result: MergeResult) -> pl.DataFrame:
    """The behind-target indicators, ordered."""
    indicators = table_of(result, "indicators")
    if "status" not in indicators.columns:
        return indicators.clear()
    return in_order(indicators.filter(pl.col("status") == BEHIND))


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
    return in_order(policies.filter(pl.col("progress").is_in(DELAYED_MARKS)))


def warned_policies(result: MergeResult) -> pl.DataFrame:
    policies = table_of(result, "policies")
    if "self_evaluation_warning" not in policies.columns:
        return policies.clear()
    return in_order(policies.filter(pl.col("self_evaluation_warning").is_not_null()))


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

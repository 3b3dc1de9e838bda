"""This year's merge against the history: identity keys on the tables, continuity warnings, the trend view.

The one function api calls between the merge (with status) and the outputs; recording comes after publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from pipeline.combine.merge import MergeResult
from pipeline.history import store
from pipeline.history.continuity import compare
from pipeline.history.lineage import IndicatorRename, LineageRow, read_indicator_renames, read_lineage
from pipeline.history.trend import Trend, trend
from pipeline.model import Issue


@dataclass(frozen=True)
class YearView:
    """What the history says about this year: the trend, the warnings on cells, and what to confirm."""

    trend: Trend
    warnings: tuple[Issue, ...]  # continuity, each on this year's cell (also in the errors table)
    to_confirm: tuple[Issue, ...]  # identity questions for the planning office (継続性の確認)


def read_maps(lineage: Path | None, renames: Path | None) -> tuple[tuple[LineageRow, ...], tuple[IndicatorRename, ...]]:
    """The lineage table and the indicator rename map, when given."""
    return (
        read_lineage(lineage) if lineage is not None else (),
        read_indicator_renames(renames) if renames is not None else (),
    )


def look_back(
    merged: MergeResult,
    history_dir: Path,
    lineage: tuple[LineageRow, ...] = (),
    renames: tuple[IndicatorRename, ...] = (),
) -> tuple[MergeResult, YearView | None]:
    """The merge with identity keys on its divisions and indicators and the continuity warnings in its errors
    table; and the year-over-year view. Without a fiscal year (nothing merged) the merge is returned as it is."""
    if merged.fiscal_year is None or merged.stage is None:
        return merged, None
    history_divisions = store.load(history_dir, "divisions")
    history_indicators = store.load(history_dir, "indicators")
    tables = merged.tables
    comparison = compare(
        history_divisions,
        history_indicators,
        tables["divisions"],
        tables["indicators"],
        merged.fiscal_year,
        lineage,
        renames,
    )
    this_year = comparison.indicators.with_columns(stage=pl.lit(merged.stage))
    earlier = (
        history_indicators.filter(pl.col("fiscal_year") != merged.fiscal_year)
        if history_indicators.height
        else history_indicators
    )
    view = trend(pl.concat([earlier, this_year], how="diagonal_relaxed"), comparison.identity)
    errors = tables["errors"]
    if comparison.warnings:
        added = pl.DataFrame([i.to_dict() for i in comparison.warnings], schema=errors.schema, orient="row")
        errors = pl.concat([errors, added], how="vertical")
    updated = {
        **tables,
        "divisions": comparison.divisions,
        "indicators": comparison.indicators.with_columns(stage=pl.lit(merged.stage)),
        "errors": errors,
    }
    return replace(merged, tables=updated), YearView(view, comparison.warnings, comparison.to_confirm)


def record(history_dir: Path, merged: MergeResult) -> None:
    """Record the merge's accepted records under its fiscal year and stage (replacing that partition)."""
    store.record_merge(history_dir, merged)

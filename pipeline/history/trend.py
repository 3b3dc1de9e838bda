"""Year-over-year view (design §10): each indicator's path across the years the history holds, the indicators
behind target two or more years in a row, and counts that compare like with like (continuing, new, dropped).

Each fiscal year contributes, per division, its latest recorded stage (最終 when there is one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND, MET
from pipeline.contract.eras import fiscal_year_label
from pipeline.history.identity import Identity
from pipeline.history.store import STAGE_ORDER
from pipeline.model import DivisionKey

CONTINUING, NEW, DROPPED = "継続", "新規", "廃止"
MIN_STREAK = 2


@dataclass(frozen=True)
class Counts:
    """Indicators of the latest year against the year before, like with like."""

    previous_year: int | None
    latest_year: int
    continuing: int  # in both years (same identity)
    new: int  # in the latest year only
    dropped: int  # in the previous year only
    continuing_met_before: int  # of the continuing ones: 目標達成 in the previous year …
    continuing_met_now: int  # … and in the latest year
    continuing_behind_before: int  # 目標未達 in the previous year …
    continuing_behind_now: int  # … and in the latest year


@dataclass(frozen=True)
class Trend:
    """The year-over-year view of the indicators."""

    years: tuple[int, ...]
    rows: pl.DataFrame  # one row per indicator identity
    behind: pl.DataFrame  # indicators not dropped, behind target min_streak or more judged years in a row, up to now
    counts: Counts


def latest_stages(indicators: pl.DataFrame) -> pl.DataFrame:
    """Each (fiscal year, division) from its latest recorded stage only; rows need ``division_id``."""
    order = pl.col("stage").replace_strict(STAGE_ORDER, default=-1, return_dtype=pl.Int64)
    return (
        indicators.with_columns(_stage_order=order)
        .filter(pl.col("_stage_order") == pl.col("_stage_order").max().over("fiscal_year", "division_id"))
        .drop("_stage_order")
    )


def trend(indicators: pl.DataFrame, identity: Identity, *, min_streak: int = MIN_STREAK) -> Trend:
    """The view over every year of ``indicators`` (the history's, with this year's rows, all stages).

    ``indicators`` needs ``fiscal_year`` and ``stage``; its identity keys are (re)computed with ``identity``, so the
    history's rows and this year's annotated ones may be concatenated as they are.
    """
    indicators = identity.annotate(indicators.drop("division_id", "indicator_id", strict=False))
    rows = latest_stages(indicators.filter(pl.col("indicator_id").is_not_null()))
    years = tuple(sorted(rows["fiscal_year"].unique().to_list()))
    if not years:
        return Trend((), pl.DataFrame(), pl.DataFrame(), Counts(None, 0, 0, 0, 0, 0, 0, 0, 0))
    latest = years[-1]
    previous = years[-2] if len(years) > 1 else None
    by_id: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)  # in order of appearance, latest year first
    needed = [c for c in _USED if c in rows.columns]
    for row in rows.sort("fiscal_year", descending=True, maintain_order=True).select(needed).iter_rows(named=True):
        by_id[row["indicator_id"]].setdefault(row["fiscal_year"], row)
    out = [_row(indicator_id, by_year, years, identity, min_streak) for indicator_id, by_year in by_id.items()]
    frame = pl.DataFrame(out, schema=_schema(years), orient="row")
    return Trend(
        years,
        frame,
        frame.filter((pl.col("behind_streak") >= min_streak) & (pl.col("continuity") != DROPPED)),
        _counts(by_id, latest, previous),
    )


# The columns of the indicators table the view reads.
_USED = (
    "indicator_id",
    "division_id",
    "fiscal_year",
    "department",
    "division",
    "division_code",
    "name",
    "unit",
    "direction",
    "baseline",
    "baseline_as_of",
    "actual",
    "target",
    "target_text",
    "long_term_target",
    "long_term_target_text",
    "long_term_as_of",
    "status",
)


def _schema(years: Sequence[int]) -> dict[str, Any]:
    return {
        "indicator_id": pl.String,
        "division_id": pl.String,
        "department": pl.String,
        "division": pl.String,
        "division_code": pl.String,
        "former_names": pl.String,
        "name": pl.String,
        "unit": pl.String,
        "direction": pl.String,
        "baseline": pl.Float64,
        "baseline_as_of": pl.String,
        **{f"actual_{year}": pl.Float64 for year in years},
        "target": pl.Float64,
        "target_text": pl.String,
        "long_term_target": pl.Float64,
        "long_term_target_text": pl.String,
        "long_term_as_of": pl.String,
        "first_year": pl.Int64,
        "last_year": pl.Int64,
        "continuity": pl.String,
        "behind_streak": pl.Int64,
        "behind_years": pl.String,
    }


def _row(
    indicator_id: str, by_year: dict[int, dict[str, Any]], years: Sequence[int], identity: Identity, min_streak: int
) -> list[Any]:
    last_year = max(by_year)
    last = by_year[last_year]
    line = identity.lines.get(last["division_id"])
    current = line.current if line else None
    former = [f"{_name(key)}（{fiscal_year_label(year)}まで）" for key, year in line.former_names()] if line else []
    for predecessor in line.predecessors if line else ():
        before = identity.lines[predecessor]
        former.append(f"分割前: {_name(before.current)}（{fiscal_year_label(before.names[-1][0])}まで）")
    streak = _behind_streak(by_year, years)
    present = set(by_year)
    continuity = (
        CONTINUING
        if years[-1] in present and len(years) > 1 and years[-2] in present
        else NEW
        if years[-1] in present
        else DROPPED
    )
    this_year = by_year.get(years[-1], {})
    return [
        indicator_id,
        last["division_id"],
        current.department if current else last["department"],
        current.division if current else last["division"],
        current.code if current else last["division_code"],
        "、".join(former) or None,
        last["name"],
        last.get("unit"),
        last.get("direction"),
        last.get("baseline"),
        last.get("baseline_as_of"),
        *[by_year[year].get("actual") if year in by_year else None for year in years],
        this_year.get("target"),
        this_year.get("target_text"),
        last.get("long_term_target"),
        last.get("long_term_target_text"),
        last.get("long_term_as_of"),
        min(present),
        last_year,
        continuity,
        len(streak),
        "、".join(str(year) for year in streak) if len(streak) >= min_streak else None,
    ]


def _name(key: DivisionKey) -> str:
    return f"{key.department} {key.division}".strip()


def _behind_streak(by_year: dict[int, dict[str, Any]], years: Sequence[int]) -> list[int]:
    """The years behind target (目標未達) in a row, ending at the last year with a judgement: years not judged at the
    end (this year's 当初, 実績未記入, 判定不可) are skipped; within the run they, or a year without the indicator,
    end it."""
    streak: list[int] = []
    for year in reversed(years):
        row = by_year.get(year)
        if row is None:
            if streak or year < max(by_year):
                break
            continue
        status = row.get("status")
        if status not in (MET, BEHIND) and not streak:  # not judged (yet): 実績なし, 実績未記入, 判定不可
            continue
        if status != BEHIND:
            break
        streak.append(year)
    return sorted(streak)


def _counts(by_id: dict[str, dict[int, dict[str, Any]]], latest: int, previous: int | None) -> Counts:
    now = {i for i, years in by_id.items() if latest in years}
    before = {i for i, years in by_id.items() if previous in years}
    both = now & before

    def count(year: int | None, test: Any) -> int:
        return sum(1 for i in both if year is not None and test(by_id[i][year]))

    return Counts(
        previous,
        latest,
        len(both),
        len(now - before),
        len(before - now),
        count(previous, lambda r: r.get("status") == MET),
        count(latest, lambda r: r.get("status") == MET),
        count(previous, lambda r: r.get("status") == BEHIND),
        count(latest, lambda r: r.get("status") == BEHIND),
    )

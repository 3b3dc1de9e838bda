"""Indicator status (design §5) as polars expressions: behind target, achievement rate, grade, trajectory.

Pure functions of the indicators table; no I/O. The division's own judgement
(進捗評価, 達成度の評価) is never recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from pipeline.checks.rules import DECREASING, short_of
from pipeline.constants import DEFAULT_GRADE_BANDS, LOWEST_GRADE

MET = "目標達成"
BEHIND = "目標未達"
MISSING_ACTUAL = "実績未記入"
NOT_EVALUABLE = "判定不可"
NOT_YET = "実績なし（評価前）"
INPUT_ERROR = "入力エラー"  # a figure is wrong (design §4): shown as typed, never used in a rate, grade or count


def _decreasing() -> pl.Expr:
    return pl.col("direction") == DECREASING


def _short_of(actual: pl.Expr, target: pl.Expr) -> pl.Expr:
    """rules.short_of for every row: the row's 方向 chooses the comparison."""
    return pl.when(_decreasing()).then(short_of(DECREASING, actual, target)).otherwise(short_of(None, actual, target))


def behind_expr() -> pl.Expr:
    """True when target and actual are both numbers and the actual falls short in the indicator's direction."""
    t, a = pl.col("target"), pl.col("actual")
    return pl.when(t.is_null() | a.is_null()).then(None).otherwise(_short_of(a, t))


def rate_expr() -> pl.Expr:
    """達成率 in percent, baseline-aware: (a − s)/(t − s); t = s: 100 if met else 0; without s: a/t or t/a."""
    t, a = pl.col("target"), pl.col("actual")
    s = pl.coalesce(pl.col("start"), pl.col("baseline"))
    met = ~behind_expr()
    with_start = pl.when(t != s).then((a - s) / (t - s) * 100).otherwise(pl.when(met).then(100.0).otherwise(0.0))
    without_start = (
        pl.when(_decreasing()).then(pl.when(a != 0).then(t / a * 100)).otherwise(pl.when(t != 0).then(a / t * 100))
    )
    rate = pl.when(t.is_null() | a.is_null()).then(None).when(s.is_not_null()).then(with_start).otherwise(without_start)
    # rounded so that band edges (80 %, 100 %) are not missed by float noise
    return rate.cast(pl.Float64).round(6)


def grade_expr(bands: Sequence[tuple[str, float]] = DEFAULT_GRADE_BANDS, lowest: str = LOWEST_GRADE) -> pl.Expr:
    """評価区分 from the rate: the first band whose minimum the rate reaches (bands best first)."""
    rate = pl.col("achievement_rate")
    expr: Any = None  # polars When/Then chain
    for grade, minimum in bands:
        expr = (pl.when(rate >= minimum) if expr is None else expr.when(rate >= minimum)).then(pl.lit(grade))
    if expr is None:
        return pl.when(rate.is_not_null()).then(pl.lit(lowest)).otherwise(None)
    return pl.when(rate.is_null()).then(None).otherwise(expr.otherwise(pl.lit(lowest)))


def status_expr(stage: str) -> pl.Expr:
    """The indicator's status at the file's stage."""
    qualitative = pl.col("target_text").is_not_null() | pl.col("actual_text").is_not_null()
    missing = MISSING_ACTUAL if stage == "最終" else NOT_YET
    return (
        pl.when(pl.col("value_error").is_not_null())
        .then(pl.lit(INPUT_ERROR))
        .when(qualitative)
        .then(pl.lit(NOT_EVALUABLE))
        .when(pl.col("target").is_null())
        .then(pl.lit(NOT_EVALUABLE))
        .when(pl.col("actual").is_null())
        .then(pl.lit(missing))
        .when(behind_expr())
        .then(pl.lit(BEHIND))
        .otherwise(pl.lit(MET))
    )


def status_reason_expr() -> pl.Expr:
    """Why an indicator is not evaluable: its qualitative text, or the missing target."""
    return (
        pl.when(pl.col("target_text").is_not_null())
        .then(pl.format("目標値が定性的: {}", pl.col("target_text")))
        .when(pl.col("actual_text").is_not_null())
        .then(pl.format("実績値が定性的: {}", pl.col("actual_text")))
        .when(pl.col("target").is_null())
        .then(pl.lit("今年度目標値が未記入"))
        .otherwise(None)
    )


def trajectory_expr() -> pl.Expr:
    """Expected value this year on the straight line from 基準値 (at its 時点) to 長期的目標値 (at its year)."""
    b, lt = pl.col("baseline"), pl.col("long_term_target")
    yb, yl = pl.col("baseline_as_of_fiscal_year"), pl.col("long_term_as_of_fiscal_year")
    fy = pl.col("fiscal_year")
    span = (yl - yb).cast(pl.Float64)
    elapsed = pl.min_horizontal(fy, yl) - yb
    defined = b.is_not_null() & lt.is_not_null() & yb.is_not_null() & yl.is_not_null() & (yl > yb) & (fy >= yb)
    return pl.when(defined).then(b + (lt - b) * elapsed.cast(pl.Float64) / span).otherwise(None)


def behind_trajectory_expr() -> pl.Expr:
    """True when the actual falls short of the trajectory's expected value for this year."""
    e, a = pl.col("trajectory_expected"), pl.col("actual")
    return pl.when(e.is_null() | a.is_null()).then(None).otherwise(_short_of(a, e))


def with_status(
    indicators: pl.DataFrame, stage: str, bands: Sequence[tuple[str, float]] = DEFAULT_GRADE_BANDS
) -> pl.DataFrame:
    """The indicators table with status, reason, 達成率, 評価区分 and the long-term trajectory flag."""
    if "value_error" not in indicators.columns:
        indicators = indicators.with_columns(value_error=pl.lit(None, pl.String))
    judged = (
        indicators.with_columns(
            behind=behind_expr(),
            status=status_expr(stage),
            status_reason=status_reason_expr(),
            achievement_rate=rate_expr(),
            trajectory_expected=trajectory_expr(),
        )
        .with_columns(grade=grade_expr(bands), behind_trajectory=behind_trajectory_expr())
        .with_columns(pl.col("behind").fill_null(False), pl.col("behind_trajectory").fill_null(False))
    )
    wrong = pl.col("status") == INPUT_ERROR  # a wrong figure is never used in a rate, grade or flag
    return judged.with_columns(
        *(pl.when(wrong).then(None).otherwise(pl.col(c)).alias(c) for c in ("achievement_rate", "grade")),
        *(pl.when(wrong).then(False).otherwise(pl.col(c)).alias(c) for c in ("behind", "behind_trajectory")),
    )

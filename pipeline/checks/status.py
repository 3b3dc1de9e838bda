"""Indicator status (design §5) as polars expressions: behind target, the two rates, grade, trajectory.

Pure functions of the indicators table; no I/O. The division's own judgement
(進捗評価, 達成度の評価) is never recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from pipeline.checks.rules import DECREASING, short_of
from pipeline.constants import DEFAULT_GRADE_BANDS, DEFAULT_GRADE_BASIS, LOWEST_GRADE

MET = "目標達成"
BEHIND = "目標未達"
MISSING_ACTUAL = "実績未記入"
NOT_EVALUABLE = "判定不可"
NOT_YET = "実績なし（評価前）"
# A value validation marked as wrong (design §4): shown as typed, never counted in a rate, grade or count.
INPUT_ERROR = "入力エラー"
STATUSES = (MET, BEHIND, MISSING_ACTUAL, NOT_EVALUABLE, NOT_YET, INPUT_ERROR)

# The two rates (design §5), by the name executives read and the column that holds each (percent).
ACHIEVEMENT_RATE = "達成率"
PROGRESS_RATE = "進捗率"
RATE_COLUMNS = {ACHIEVEMENT_RATE: "achievement_rate", PROGRESS_RATE: "progress_rate"}


def _decreasing() -> pl.Expr:
    return pl.col("direction") == DECREASING


def _short_of(actual: pl.Expr, target: pl.Expr) -> pl.Expr:
    """rules.short_of for every row: the row's 方向 chooses the comparison."""
    return pl.when(_decreasing()).then(short_of(DECREASING, actual, target)).otherwise(short_of(None, actual, target))


def behind_expr() -> pl.Expr:
    """True when target and actual are both numbers and the actual falls short in the indicator's direction."""
    t, a = pl.col("target"), pl.col("actual")
    return pl.when(t.is_null() | a.is_null()).then(None).otherwise(_short_of(a, t))


def _input_error() -> pl.Expr:
    """True where validation found one of the row's figures wrong (``value_error``, design §4): the row is marked
    入力エラー and its figures are never used in a status, a rate, a grade or a count."""
    return pl.col("value_error").is_not_null()


def achievement_rate_expr() -> pl.Expr:
    """達成率 in percent: 増加 実績 ÷ 目標 (target > 0, actual ≥ 0); 減少 目標 ÷ 実績 (actual > 0, target ≥ 0),
    an actual of 0 with a target ≥ 0 being met (100 %). Null where the ratio means nothing (a negative or zero
    divisor)."""
    t, a = pl.col("target"), pl.col("actual")
    increasing = pl.when((t > 0) & (a >= 0)).then(a / t * 100)
    decreasing = pl.when((a > 0) & (t >= 0)).then(t / a * 100).when((a == 0) & (t >= 0)).then(100.0)
    rate = pl.when(t.is_null() | a.is_null()).then(None).when(_decreasing()).then(decreasing).otherwise(increasing)
    # rounded so that band edges (80 %, 100 %) are not missed by float noise
    return rate.cast(pl.Float64).round(6)


def progress_rate_expr() -> pl.Expr:
    """進捗率（当初値比） in percent: (実績 − 当初) ÷ (目標 − 当初), the start being 年度当初値, else 基準値; null when
    the target equals the start. Below 0 the actual moved away from the target (shown as 当初値から後退)."""
    t, a = pl.col("target"), pl.col("actual")
    s = pl.coalesce(pl.col("start"), pl.col("baseline"))
    rate = pl.when(t.is_null() | a.is_null() | s.is_null() | (t == s)).then(None).otherwise((a - s) / (t - s) * 100)
    return rate.cast(pl.Float64).round(6)


def grade_expr(
    bands: Sequence[tuple[str, float]] = DEFAULT_GRADE_BANDS,
    lowest: str = LOWEST_GRADE,
    basis: str = DEFAULT_GRADE_BASIS,
) -> pl.Expr:
    """評価区分 from the basis rate (達成率 or 進捗率): the first band whose minimum it reaches (bands best first)."""
    rate = pl.col(RATE_COLUMNS[basis])
    expr: Any = None  # polars When/Then chain
    for grade, minimum in bands:
        expr = (pl.when(rate >= minimum) if expr is None else expr.when(rate >= minimum)).then(pl.lit(grade))
    if expr is None:
        return pl.when(rate.is_not_null()).then(pl.lit(lowest)).otherwise(None)
    return pl.when(rate.is_null()).then(None).otherwise(expr.otherwise(pl.lit(lowest)))


def status_expr(stage: str, input_error: pl.Expr | None = None) -> pl.Expr:
    """The indicator's status at the file's stage; 入力エラー first when a value is flagged as an error."""
    qualitative = pl.col("target_text").is_not_null() | pl.col("actual_text").is_not_null()
    missing = MISSING_ACTUAL if stage == "最終" else NOT_YET
    return (
        pl.when(pl.lit(False) if input_error is None else input_error)
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
    indicators: pl.DataFrame,
    stage: str,
    bands: Sequence[tuple[str, float]] = DEFAULT_GRADE_BANDS,
    basis: str = DEFAULT_GRADE_BASIS,
) -> pl.DataFrame:
    """The indicators table with status, reason, 達成率, 進捗率（当初値比）, 評価区分 (from the ``basis`` rate) and
    the long-term trajectory flag. A row with a value flagged as an input error gets its status and nothing else."""
    if basis not in RATE_COLUMNS:
        raise ValueError(f"unknown grade basis: {basis}")
    if "value_error" not in indicators.columns:
        indicators = indicators.with_columns(value_error=pl.lit(None, pl.String))
    error = _input_error()
    usable = ~error
    # a rate only where the status is judged on numbers: never for a qualitative (判定不可) value
    numeric = usable & pl.col("target_text").is_null() & pl.col("actual_text").is_null()

    def unless_error(expr: pl.Expr) -> pl.Expr:
        return pl.when(usable).then(expr).otherwise(None)

    def judged(expr: pl.Expr) -> pl.Expr:
        return pl.when(numeric).then(expr).otherwise(None)

    return (
        indicators.with_columns(
            behind=unless_error(behind_expr()),
            status=status_expr(stage, error),
            status_reason=pl.when(usable)
            .then(status_reason_expr())
            .otherwise(pl.format("{}: {}", pl.lit(INPUT_ERROR), pl.col("value_error"))),
            achievement_rate=judged(achievement_rate_expr()),
            progress_rate=judged(progress_rate_expr()),
            trajectory_expected=trajectory_expr(),
        )
        .with_columns(grade=grade_expr(bands, basis=basis), behind_trajectory=unless_error(behind_trajectory_expr()))
        .with_columns(pl.col("behind").fill_null(False), pl.col("behind_trajectory").fill_null(False))
    )

"""Indicator status rules of design §5 on hand-computed cases."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from pipeline.checks.status import INPUT_ERROR, with_status
from pipeline.constants import DEFAULT_GRADE_BANDS

COLUMNS: dict[str, Any] = {
    "direction": pl.String,
    "baseline": pl.Float64,
    "start": pl.Float64,
    "target": pl.Float64,
    "actual": pl.Float64,
    "target_text": pl.String,
    "actual_text": pl.String,
    "long_term_target": pl.Float64,
    "baseline_as_of_fiscal_year": pl.Int64,
    "long_term_as_of_fiscal_year": pl.Int64,
    "fiscal_year": pl.Int64,
}


def frame(**values: Any) -> pl.DataFrame:
    row = {key: values.get(key) for key in COLUMNS}
    row["direction"] = values.get("direction", "増加")
    row["fiscal_year"] = values.get("fiscal_year", 2015)
    return pl.DataFrame([row], schema=COLUMNS, orient="row")


def status(stage: str = "最終", bands: Any = None, basis: str = "達成率", **values: Any) -> dict[str, Any]:
    chosen = DEFAULT_GRADE_BANDS if bands is None else bands
    return with_status(frame(**values), stage, chosen, basis).row(0, named=True)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 増加: 達成率 = 実績 ÷ 目標; 進捗率 = (実績 − 当初) ÷ (目標 − 当初)
        ({"start": 0, "target": 2, "actual": 6}, ("目標達成", 300.0, 300.0, "A")),
        ({"start": 10, "target": 20, "actual": 18}, ("目標未達", 90.0, 80.0, "B")),
        ({"start": 10, "target": 20, "actual": 16}, ("目標未達", 80.0, 60.0, "B")),
        ({"start": 10, "target": 20, "actual": 15.9}, ("目標未達", 79.5, 59.0, "C")),
        ({"start": 10, "target": 20, "actual": 9.9}, ("目標未達", 49.5, -1.0, "D")),
        ({"start": 10, "target": 20, "actual": 20}, ("目標達成", 100.0, 100.0, "A")),
        # the issue's own example: 目標 45%, 実績 41.2%, 当初 40.1% → 91.6%, not 22.4%, by default
        ({"start": 40.1, "target": 45, "actual": 41.2}, ("目標未達", 91.555556, 22.44898, "B")),
        # 減少 (lower is better): 達成率 = 目標 ÷ 実績
        ({"direction": "減少", "start": 12, "target": 8, "actual": 6}, ("目標達成", 133.333333, 150.0, "A")),
        ({"direction": "減少", "start": 12, "target": 8, "actual": 10}, ("目標未達", 80.0, 50.0, "B")),
        ({"direction": "減少", "start": 36, "target": 30, "actual": 35}, ("目標未達", 85.714286, 16.666667, "B")),
        # 減少 with an actual of 0 and a target ≥ 0 is met: 100 %
        ({"direction": "減少", "start": 3, "target": 1, "actual": 0}, ("目標達成", 100.0, 150.0, "A")),
        ({"direction": "減少", "target": 0, "actual": 0}, ("目標達成", 100.0, None, "A")),
        # baseline used for 進捗率 when there is no 年度当初値
        ({"baseline": 100, "target": 200, "actual": 190}, ("目標未達", 95.0, 90.0, "B")),
        # target equal to start: no 進捗率; 達成率 as always
        ({"start": 5, "target": 5, "actual": 4}, ("目標未達", 80.0, None, "B")),
        ({"direction": "減少", "start": 5, "target": 5, "actual": 6}, ("目標未達", 83.333333, None, "B")),
        # actual 0 (増加): 0 %; the actual went back from the start: negative 進捗率
        ({"start": 2, "target": 10, "actual": 0}, ("目標未達", 0.0, -25.0, "D")),
        ({"direction": "減少", "start": 100, "target": 90, "actual": 110}, ("目標未達", 81.818182, -100.0, "B")),
        # no start value: 達成率 only
        ({"target": 200, "actual": 150}, ("目標未達", 75.0, None, "C")),
        ({"direction": "減少", "target": 30, "actual": 40}, ("目標未達", 75.0, None, "C")),
        # a ratio that means nothing (a target of 0 or below for 増加) is not computed
        ({"target": 0, "actual": 3}, ("目標達成", None, None, None)),
        ({"target": -5, "actual": -3}, ("目標達成", None, None, None)),
    ],
)
def test_status_both_rates_and_grade(values: dict[str, Any], expected: tuple[Any, ...]) -> None:
    row = status(**values)
    assert (row["status"], row["achievement_rate"], row["progress_rate"], row["grade"]) == expected
    assert row["behind"] is (expected[0] == "目標未達")


def test_grade_basis_progress_rate_grades_by_the_progress_from_the_start() -> None:
    row = status(basis="進捗率", start=40.1, target=45, actual=41.2)
    assert (row["achievement_rate"], row["progress_rate"], row["grade"]) == (91.555556, 22.44898, "D")
    assert status(basis="進捗率", start=5, target=5, actual=6)["grade"] is None
    with pytest.raises(ValueError, match="grade basis"):
        status(basis="中央値", target=1, actual=1)


def test_input_error_flag_keeps_the_row_out_of_every_status_rate_and_grade() -> None:
    flagged = frame(start=10, target=20, actual=5).with_columns(value_error=pl.lit("今年度実績値「5,,0」"))
    row = with_status(flagged, "最終").row(0, named=True)
    assert (row["status"], row["achievement_rate"], row["progress_rate"], row["grade"], row["behind"]) == (
        INPUT_ERROR,
        None,
        None,
        None,
        False,
    )
    assert with_status(flagged, "最終").row(0, named=True)["status_reason"] == "入力エラー: 今年度実績値「5,,0」"
    clear = frame(start=10, target=20, actual=5).with_columns(value_error=pl.lit(None, pl.String))
    assert with_status(clear, "最終").row(0, named=True)["status"] == "目標未達"


def test_seed_indicators_rates(seed: dict[str, Any]) -> None:
    """The seed division's two indicators (情報政策課, H27), rates computed by hand: 部会 0 → target 2, actual 6
    (達成率 6 ÷ 2 = 300%, 進捗率 (6 − 0) ÷ (2 − 0) = 300%); システム 0 → target 0, actual 0 (met; target 0
    gives no 達成率 and target = start no 進捗率)."""
    first, second = seed["policies"][0]["indicators"]
    keys = ("direction", "baseline", "start", "target", "actual")
    judged = [status(**{k: ind[k] for k in keys if ind.get(k) is not None}) for ind in (first, second)]
    assert [(r["status"], r["achievement_rate"], r["progress_rate"], r["grade"]) for r in judged] == [
        ("目標達成", 300.0, 300.0, "A"),
        ("目標達成", None, None, None),
    ]


def test_missing_actual_at_the_final_stage_is_listed_not_behind() -> None:
    row = status(start=1, target=2)
    assert (row["status"], row["behind"], row["achievement_rate"]) == ("実績未記入", False, None)
    assert status("中間", start=1, target=2)["status"] == "実績なし（評価前）"


def test_a_qualitative_value_gets_no_rate_even_beside_a_number() -> None:
    row = status(start=1, target=10, actual=5, actual_text="5件（見込み）")
    assert (row["status"], row["achievement_rate"], row["progress_rate"], row["grade"]) == (
        "判定不可",
        None,
        None,
        None,
    )


def test_qualitative_target_or_actual_is_not_evaluable_with_its_text() -> None:
    row = status(target_text="全て達成する", actual=3)
    assert (row["status"], row["status_reason"], row["behind"]) == ("判定不可", "目標値が定性的: 全て達成する", False)
    row = status(target=3, actual_text="概ね達成")
    assert (row["status"], row["status_reason"]) == ("判定不可", "実績値が定性的: 概ね達成")
    assert status(actual=3)["status_reason"] == "今年度目標値が未記入"


def test_trajectory_towards_the_long_term_target() -> None:
    # baseline 0 in FY2013, long-term 40 in FY2017: expected 20 in FY2015
    row = status(
        baseline=0,
        baseline_as_of_fiscal_year=2013,
        long_term_target=40,
        long_term_as_of_fiscal_year=2017,
        start=10,
        target=15,
        actual=18,
    )
    assert (row["status"], row["trajectory_expected"], row["behind_trajectory"]) == ("目標達成", 20.0, True)
    row = status(
        baseline=0,
        baseline_as_of_fiscal_year=2013,
        long_term_target=40,
        long_term_as_of_fiscal_year=2017,
        target=15,
        actual=21,
    )
    assert (row["trajectory_expected"], row["behind_trajectory"]) == (20.0, False)
    decreasing = status(
        direction="減少",
        baseline=100,
        baseline_as_of_fiscal_year=2014,
        long_term_target=50,
        long_term_as_of_fiscal_year=2019,
        target=95,
        actual=93,
    )
    assert (decreasing["trajectory_expected"], decreasing["behind_trajectory"]) == (90.0, True)
    # without the baseline's 時点 there is no line
    assert (
        status(baseline=0, long_term_target=3, long_term_as_of_fiscal_year=2017, target=1, actual=0)[
            "trajectory_expected"
        ]
        is None
    )


def test_grade_bands_are_configuration() -> None:
    bands = (("A", 110.0), ("B", 90.0), ("C", 60.0))
    assert status(bands=bands, start=0, target=10, actual=10)["grade"] == "B"
    assert status(bands=bands, start=0, target=10, actual=11)["grade"] == "A"
    assert status(bands=bands, start=0, target=10, actual=5.9)["grade"] == "D"

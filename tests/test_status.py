"""Indicator status rules of design §5 on hand-computed cases."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from pipeline.checks.status import with_status

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


def status(stage: str = "最終", bands: Any = None, **values: Any) -> dict[str, Any]:
    args = (frame(**values), stage) if bands is None else (frame(**values), stage, bands)
    return with_status(*args).row(0, named=True)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 増加 with a start value: (a − s)/(t − s)
        ({"start": 0, "target": 2, "actual": 6}, ("目標達成", 300.0, "A")),
        ({"start": 10, "target": 20, "actual": 18}, ("目標未達", 80.0, "B")),
        ({"start": 10, "target": 20, "actual": 17.9}, ("目標未達", 79.0, "C")),
        ({"start": 10, "target": 20, "actual": 15}, ("目標未達", 50.0, "C")),
        ({"start": 10, "target": 20, "actual": 14}, ("目標未達", 40.0, "D")),
        ({"start": 10, "target": 20, "actual": 20}, ("目標達成", 100.0, "A")),
        # 減少 (lower is better) with a start value
        ({"direction": "減少", "start": 12, "target": 8, "actual": 6}, ("目標達成", 150.0, "A")),
        ({"direction": "減少", "start": 12, "target": 8, "actual": 10}, ("目標未達", 50.0, "C")),
        # baseline used when there is no 年度当初値
        ({"baseline": 100, "target": 200, "actual": 190}, ("目標未達", 90.0, "B")),
        # target equal to start: 100 % if met, else 0 %
        ({"start": 0, "target": 0, "actual": 0}, ("目標達成", 100.0, "A")),
        ({"start": 5, "target": 5, "actual": 4}, ("目標未達", 0.0, "D")),
        ({"direction": "減少", "start": 5, "target": 5, "actual": 6}, ("目標未達", 0.0, "D")),
        # no start value: a/t (増加) or t/a (減少)
        ({"target": 200, "actual": 150}, ("目標未達", 75.0, "C")),
        ({"direction": "減少", "target": 30, "actual": 40}, ("目標未達", 75.0, "C")),
        ({"target": 0, "actual": 3}, ("目標達成", None, None)),
    ],
)
def test_behind_target_rate_and_grade(values: dict[str, Any], expected: tuple[Any, ...]) -> None:
    row = status(**values)
    assert (row["status"], row["achievement_rate"], row["grade"]) == expected
    assert row["behind"] is (expected[0] == "目標未達")


def test_missing_actual_at_the_final_stage_is_listed_not_behind() -> None:
    row = status(start=1, target=2)
    assert (row["status"], row["behind"], row["achievement_rate"]) == ("実績未記入", False, None)
    assert status("中間", start=1, target=2)["status"] == "実績なし（評価前）"


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

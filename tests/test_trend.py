"""The year-over-year view: one row per indicator identity across three recorded years."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from pipeline.history import store
from pipeline.history.identity import resolve
from pipeline.history.lineage import LineageRow
from pipeline.history.trend import Counts, trend
from pipeline.model import DivisionKey
from tests.history_tables import division, indicator, table


def _record(history: Path, year: int, stage: str, name: str, indicators: list[dict[str, Any]]) -> None:
    rows = [
        indicator(year, "総務部", name, code="0101", stage=stage, row=26 + i, **v) for i, v in enumerate(indicators)
    ]
    store.record(
        history,
        {
            "divisions": table("divisions", [division(year, "総務部", name, "0101", stage=stage)]),
            "indicators": table("indicators", rows, stage=stage),
        },
        year,
        stage,
    )


def test_each_indicator_on_one_row_across_years_and_a_rename(tmp_path: Path) -> None:
    common = {"unit": "件", "baseline": 800.0, "baseline_as_of": "H26", "long_term_target": 3000.0}
    _record(
        tmp_path,
        2015,
        "最終",
        "情報政策課",
        [
            {"name": "電子申請件数", "target": 1000.0, "actual": 900.0, "long_term_as_of": "H31", **common},
            {"name": "研修受講者数", "unit": "人", "target": 50.0, "actual": 60.0},
            {"name": "旧指標", "target": 10.0, "actual": 5.0},
        ],
    )
    _record(
        tmp_path,
        2016,
        "中間",
        "情報政策課",
        [{"name": "電子申請件数", "target": 1200.0, "actual": 500.0, **common}],
    )
    _record(
        tmp_path,
        2016,
        "最終",
        "情報政策課",
        [
            {"name": "電子申請件数", "target": 1200.0, "actual": 1100.0, "long_term_as_of": "H31", **common},
            {"name": "研修受講者数", "unit": "人", "target": 60.0, "actual": 55.0},
        ],
    )
    _record(
        tmp_path,
        2017,
        "当初",
        "デジタル推進課",
        [
            {"name": "電子申請件数", "target": 1500.0, "start": 1100.0, "long_term_as_of": "H31", **common},
            {"name": "研修 受講者数", "unit": "人", "target": 70.0},
            {"name": "オープンデータ公開数", "target": 40.0},
        ],
    )
    lineage = [
        LineageRow(
            2017, DivisionKey("0101", "総務部", "情報政策課"), DivisionKey("0101", "総務部", "デジタル推進課"), "改称"
        )
    ]
    identity = resolve(store.load(tmp_path, "divisions"), lineage)
    assert identity.confirmations == ()

    result = trend(store.load(tmp_path, "indicators"), identity)

    assert result.years == (2015, 2016, 2017)
    assert result.rows.columns[9:14] == ["baseline", "baseline_as_of", "actual_2015", "actual_2016", "actual_2017"]
    former = "総務部 情報政策課（平成28年度（2016年度）まで）"
    assert result.rows.select(
        "indicator_id", "division", "former_names", "name", "baseline", "actual_2015", "actual_2016", "actual_2017",
        "target", "long_term_target", "long_term_as_of", "first_year", "last_year", "continuity", "behind_streak",
        "behind_years",
    ).rows() == [
        ("2015:0101|電子申請件数", "デジタル推進課", former, "電子申請件数", 800.0, 900.0, 1100.0, None,
         1500.0, 3000.0, "H31", 2015, 2017, "継続", 2, "2015、2016"),
        ("2015:0101|研修受講者数", "デジタル推進課", former, "研修 受講者数", None, 60.0, 55.0, None,
         70.0, None, None, 2015, 2017, "継続", 1, None),
        ("2015:0101|オープンデータ公開数", "デジタル推進課", former, "オープンデータ公開数", None, None, None, None,
         40.0, None, None, 2017, 2017, "新規", 0, None),
        ("2015:0101|旧指標", "デジタル推進課", former, "旧指標", None, 5.0, None, None,
         None, None, None, 2015, 2015, "廃止", 1, None),
    ]  # fmt: skip
    assert result.behind["name"].to_list() == ["電子申請件数"]
    assert result.counts == Counts(
        previous_year=2016,
        latest_year=2017,
        continuing=2,
        new=1,
        dropped=0,
        continuing_met_before=0,
        continuing_met_now=0,
        continuing_behind_before=2,
        continuing_behind_now=0,
    )


def test_a_split_names_the_predecessor_among_former_names(tmp_path: Path) -> None:
    rows_2015 = [indicator(2015, "企画部", "企画課", "計画の進捗率", target=100.0, actual=90.0)]
    rows_2016 = [indicator(2016, "企画部", "政策企画課", "計画の進捗率", target=100.0, actual=95.0)]
    divisions = table("divisions", [division(2015, "企画部", "企画課"), division(2016, "企画部", "政策企画課")])
    lineage = [
        LineageRow(2016, DivisionKey(None, "企画部", "企画課"), DivisionKey(None, "企画部", "政策企画課"), "分割"),
        LineageRow(2016, DivisionKey(None, "企画部", "企画課"), DivisionKey(None, "企画部", "総合計画課"), "分割"),
    ]
    identity = resolve(divisions, lineage)
    result = trend(table("indicators", rows_2015 + rows_2016), identity)
    assert result.rows.select("indicator_id", "former_names", "continuity", "actual_2015", "actual_2016").rows() == [
        (
            "2016:企画部/政策企画課|計画の進捗率",
            "分割前: 企画部 企画課（平成27年度（2015年度）まで）",
            "新規",
            None,
            95.0,
        ),
        ("2015:企画部/企画課|計画の進捗率", None, "廃止", 90.0, None),
    ]


def test_an_empty_history_gives_an_empty_view() -> None:
    identity = resolve(table("divisions", []))
    result = trend(table("indicators", []), identity)
    assert result.years == ()
    assert result.rows.is_empty()
    assert isinstance(result.behind, pl.DataFrame)

"""The history store: round trip, replacement of a record, crash recovery, and other readers of the dataset."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline.combine.merge import MergeResult
from pipeline.history import store
from tests.history_tables import division, indicator, table


def _tables(year: int, stage: str, *names: str) -> dict[str, pl.DataFrame]:
    return {
        "divisions": table("divisions", [division(year, "総務部", "情報政策課", "0101", stage=stage)]),
        "indicators": table(
            "indicators",
            [
                indicator(year, "総務部", "情報政策課", name, row=26 + i, stage=stage, target=10.0, actual=8.0 + i)
                for i, name in enumerate(names)
            ],
            stage=stage,
        ),
    }


def test_two_years_round_trip_with_year_and_stage_from_the_path(tmp_path: Path) -> None:
    store.record(tmp_path, _tables(2015, "最終", "電子申請件数", "研修受講者数"), 2015, "最終")
    store.record(tmp_path, _tables(2016, "当初", "電子申請件数"), 2016, "当初")

    loaded = store.load(tmp_path, "indicators")
    assert loaded.select("fiscal_year", "stage", "name", "actual", "actual_cell").rows() == [
        (2015, "最終", "電子申請件数", 8.0, "L26"),
        (2015, "最終", "研修受講者数", 9.0, "L27"),
        (2016, "当初", "電子申請件数", 8.0, "L26"),
    ]
    written = _tables(2015, "最終", "電子申請件数", "研修受講者数")["indicators"]
    assert loaded.filter(pl.col("fiscal_year") == 2015).select(written.columns).equals(written)
    assert store.records(tmp_path) == [(2015, "最終"), (2016, "当初")]
    assert (tmp_path / "indicators" / "fiscal_year=2015" / "stage=最終" / "part-0.parquet").is_file()
    assert "fiscal_year" not in pl.read_parquet_schema(
        tmp_path / "indicators" / "fiscal_year=2015" / "stage=最終" / "part-0.parquet"
    )


def test_recording_the_same_year_and_stage_again_replaces_it(tmp_path: Path) -> None:
    store.record(tmp_path, _tables(2015, "最終", "電子申請件数", "研修受講者数"), 2015, "最終")
    store.record(tmp_path, _tables(2015, "中間", "電子申請件数"), 2015, "中間")
    store.record(tmp_path, {"indicators": _tables(2015, "最終", "新指標")["indicators"]}, 2015, "最終")

    loaded = store.load(tmp_path, "indicators")
    assert loaded.select("stage", "name").rows() == [("中間", "電子申請件数"), ("最終", "新指標")]
    # the divisions of 2015 最終 were not in the new record: the record is replaced whole
    assert store.load(tmp_path, "divisions")["stage"].to_list() == ["中間"]
    assert not (tmp_path / store.STAGING).exists() or not any((tmp_path / store.STAGING).iterdir())


def test_latest_stage_of_a_year(tmp_path: Path) -> None:
    store.record(tmp_path, _tables(2015, "中間", "中間の指標"), 2015, "中間")
    store.record(tmp_path, _tables(2015, "最終", "最終の指標"), 2015, "最終")
    store.record(tmp_path, _tables(2016, "当初", "翌年度の指標"), 2016, "当初")
    loaded = store.load(tmp_path, "indicators")
    assert store.latest_of_year(loaded, 2015)["name"].to_list() == ["最終の指標"]
    assert store.latest_of_year(loaded, 2014).is_empty()


def test_a_crash_before_the_commit_marker_keeps_the_old_record(tmp_path: Path) -> None:
    store.record(tmp_path, _tables(2015, "最終", "旧"), 2015, "最終")
    staging = tmp_path / store.STAGING / "2015-crashed"
    staging.mkdir(parents=True)
    _tables(2015, "最終", "新")["indicators"].write_parquet(staging / "indicators.parquet.staged")

    assert store.load(tmp_path, "indicators")["name"].to_list() == ["旧"]
    assert not staging.exists()


def test_a_crash_after_the_commit_marker_is_rolled_forward(tmp_path: Path) -> None:
    store.record(tmp_path, _tables(2015, "最終", "旧"), 2015, "最終")
    staging = tmp_path / store.STAGING / "2015-crashed"
    staging.mkdir(parents=True)
    _tables(2015, "最終", "新")["indicators"].drop("fiscal_year", "stage").write_parquet(
        staging / "indicators.parquet.staged"
    )
    # the divisions file was already moved when the process died
    marker = {"fiscal_year": 2015, "stage": "最終", "tables": ["divisions", "indicators"], "remove": []}
    (staging / store.COMMIT_MARKER).write_text(json.dumps(marker), encoding="utf-8")

    assert store.load(tmp_path, "indicators")["name"].to_list() == ["新"]
    assert store.load(tmp_path, "divisions").height == 1
    assert not staging.exists()


def test_polars_reads_the_dataset_with_hive_partitioning(tmp_path: Path) -> None:
    store.record(tmp_path, _tables(2015, "最終", "電子申請件数"), 2015, "最終")
    store.record(tmp_path, _tables(2016, "当初", "電子申請件数", "研修受講者数"), 2016, "当初")
    scanned = pl.scan_parquet(tmp_path / "indicators" / "**" / "*.parquet", hive_partitioning=True).collect()
    assert sorted(scanned.select("fiscal_year", "stage", "name").rows()) == [
        (2015, "最終", "電子申請件数"),
        (2016, "当初", "研修受講者数"),
        (2016, "当初", "電子申請件数"),
    ]


def test_duckdb_reads_the_dataset_with_japanese_stage_values(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    store.record(tmp_path, _tables(2015, "最終", "電子申請件数"), 2015, "最終")
    store.record(tmp_path, _tables(2016, "当初", "電子申請件数"), 2016, "当初")
    pattern = (tmp_path / "indicators" / "**" / "*.parquet").as_posix()
    rows = duckdb.sql(
        f"select fiscal_year, stage, name from read_parquet('{pattern}', hive_partitioning = true) where stage = '最終'"
    ).fetchall()
    assert rows == [(2015, "最終", "電子申請件数")]


def test_record_merge_records_the_value_tables_under_the_merge_scope(tmp_path: Path) -> None:
    tables = {name: table(name, []) for name in ("divisions", "policies", "projects", "results", "challenges")}
    tables["indicators"] = _tables(2015, "最終", "電子申請件数")["indicators"]
    tables["submissions"] = table("submissions", [])
    store.record_merge(tmp_path, MergeResult(2015, "最終", tables))
    assert store.recorded_tables(tmp_path) == [
        "challenges",
        "divisions",
        "indicators",
        "policies",
        "projects",
        "results",
    ]
    assert store.load(tmp_path, "indicators")["name"].to_list() == ["電子申請件数"]


def test_a_record_without_a_known_stage_is_refused(tmp_path: Path) -> None:
    with pytest.raises(store.HistoryError, match="評価時点「年度末」は履歴に記録できません"):
        store.record(tmp_path, _tables(2015, "最終", "x"), 2015, "年度末")
    with pytest.raises(store.HistoryError, match="年度または評価時点が決まっていない"):
        store.record_merge(tmp_path, MergeResult(None, None, {}))


def test_an_empty_history_loads_as_an_empty_table(tmp_path: Path) -> None:
    assert store.load(tmp_path / "none", "indicators").columns == ["fiscal_year", "stage"]
    assert store.records(tmp_path / "none") == []


def test_a_recording_while_another_holds_the_history_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    from filelock import FileLock

    store.record(tmp_path, _tables(2015, "最終", "電子申請件数"), 2015, "最終")
    held = FileLock(str(tmp_path / store.LOCK_NAME))  # as another process recording holds it
    with held, pytest.raises(store.HistoryError) as refused:
        store.record(tmp_path, _tables(2016, "最終", "新指標"), 2016, "最終")
    assert str(refused.value) == (
        f"別の処理が履歴 {tmp_path} に書き込み中です。終わるのを待ってからもう一度実行してください。"
    )
    assert store.records(tmp_path) == [(2015, "最終")]

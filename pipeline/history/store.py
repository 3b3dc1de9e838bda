"""The history store: each merge's accepted records kept as a Parquet dataset partitioned by fiscal year and stage.

Layout (Hive-style, so DuckDB, Spark and polars read it as it is)::

    history/<table>/fiscal_year=2015/stage=最終/part-0.parquet

The partition values are the record's own: the fiscal year as a Western year and the stage in Japanese (当初, 中間,
最終); DuckDB and polars read the Japanese directory names back unchanged. ``fiscal_year`` and ``stage`` live in the
path only, not inside the files (readers add them from the path).

Recording a year and stage again replaces that record, all of its tables together: every table is first written and
fsynced into a staging folder inside the history folder (same filesystem), then a commit marker is written, then each
file is renamed over its partition's file (``Path.replace``, atomic per file). A crash before the marker leaves the old
record untouched; a crash after it is rolled forward by the next ``record`` or ``load``; a reader never sees a
half-written file.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.combine.flatten import VALUE_TABLES
from pipeline.combine.merge import MergeResult
from pipeline.contract.layout import STAGES
from pipeline.errors import PipelineError
from pipeline.outputs.lock import held
from pipeline.outputs.publish import fsync

PART = "part-0.parquet"
STAGING = ".staging"
COMMIT_MARKER = "commit.json"
LOCK_NAME = ".history.lock"
PARTITION_KEYS = ("fiscal_year", "stage")
STAGE_ORDER = {stage: i for i, stage in enumerate(STAGES)}


class HistoryError(PipelineError):
    """The history folder cannot be written or read, or a record lacks its year or stage."""


def partition_dir(history_dir: Path, table: str, fiscal_year: int, stage: str) -> Path:
    """The folder of one table's record of one fiscal year and stage."""
    return history_dir / table / f"fiscal_year={fiscal_year}" / f"stage={stage}"


def record(history_dir: Path, tables: Mapping[str, pl.DataFrame], fiscal_year: int, stage: str) -> None:
    """Record (or replace) the tables of one fiscal year and stage; tables of that record not given are removed."""
    if stage not in STAGE_ORDER:
        raise HistoryError(f"評価時点「{stage}」は履歴に記録できません（{'・'.join(STAGES)} のいずれか）。")
    history_dir.mkdir(parents=True, exist_ok=True)
    with _history_lock(history_dir):
        _recover(history_dir)
        staging = history_dir / STAGING / f"{fiscal_year}-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        for table, frame in tables.items():
            _check_table_name(table)
            path = staging / f"{table}.parquet.staged"
            frame.drop([c for c in PARTITION_KEYS if c in frame.columns]).write_parquet(path)
            fsync(path)
        stale = [t for t in recorded_tables(history_dir) if t not in tables]
        marker = {"fiscal_year": fiscal_year, "stage": stage, "tables": list(tables), "remove": stale}
        _write_durably(staging / COMMIT_MARKER, json.dumps(marker, ensure_ascii=False).encode())
        fsync(staging)
        _apply(history_dir, staging, marker)


def record_merge(history_dir: Path, result: MergeResult) -> None:
    """Record a merge's value tables (divisions, policies, indicators, …) under its fiscal year and stage."""
    if result.fiscal_year is None or result.stage is None:
        raise HistoryError("年度または評価時点が決まっていないため、履歴に記録できません。")
    record(history_dir, {t: result.tables[t] for t in VALUE_TABLES}, result.fiscal_year, result.stage)


def recorded_tables(history_dir: Path) -> list[str]:
    """The tables the history holds, in name order."""
    if not history_dir.is_dir():
        return []
    return sorted(p.name for p in history_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def records(history_dir: Path) -> list[tuple[int, str]]:
    """The (fiscal year, stage) records the history holds, in time order."""
    found: set[tuple[int, str]] = set()
    for table in recorded_tables(history_dir):
        found.update((year, stage) for year, stage, _ in _parts(history_dir, table))
    return sorted(found, key=lambda r: (r[0], STAGE_ORDER.get(r[1], -1)))


def load(history_dir: Path, table: str) -> pl.DataFrame:
    """Every recorded row of one table, all years and stages, with ``fiscal_year`` and ``stage`` columns.

    Records written by an older version may lack a column a newer one has: missing columns are null.
    """
    _check_table_name(table)
    if (history_dir / STAGING).is_dir():
        with _history_lock(history_dir):
            _recover(history_dir)
    frames = [
        pl.read_parquet(path).with_columns(fiscal_year=pl.lit(year, pl.Int64), stage=pl.lit(stage, pl.String))
        for year, stage, path in _parts(history_dir, table)
    ]
    if not frames:
        return pl.DataFrame(schema={"fiscal_year": pl.Int64, "stage": pl.String})
    return pl.concat(frames, how="diagonal_relaxed")


def latest_of_year(frame: pl.DataFrame, fiscal_year: int) -> pl.DataFrame:
    """The rows of a loaded table for one fiscal year, from the latest stage recorded for that year."""
    year = frame.filter(pl.col("fiscal_year") == fiscal_year)
    if year.is_empty():
        return year
    latest = max(year["stage"].unique().to_list(), key=lambda s: STAGE_ORDER.get(s, -1))
    return year.filter(pl.col("stage") == latest)


def _parts(history_dir: Path, table: str) -> Iterator[tuple[int, str, Path]]:
    """(fiscal year, stage, file) of every recorded partition of one table, in time order."""
    root = history_dir / table
    if not root.is_dir():
        return
    found = []
    for year_dir in root.glob("fiscal_year=*"):
        for stage_dir in year_dir.glob("stage=*"):
            path = stage_dir / PART
            year_text, stage = year_dir.name.partition("=")[2], stage_dir.name.partition("=")[2]
            if path.is_file() and year_text.isdigit():
                found.append((int(year_text), stage, path))
    yield from sorted(found, key=lambda p: (p[0], STAGE_ORDER.get(p[1], -1)))


def _apply(history_dir: Path, staging: Path, marker: dict[str, Any]) -> None:
    """Move a committed staging folder's files into their partitions (again after a crash: idempotent)."""
    year, stage = int(marker["fiscal_year"]), str(marker["stage"])
    for table in marker["tables"]:
        source = staging / f"{table}.parquet.staged"
        if not source.exists():  # moved before a crash
            continue
        target = partition_dir(history_dir, table, year, stage)
        target.mkdir(parents=True, exist_ok=True)
        source.replace(target / PART)
        fsync(target)
    for table in marker["remove"]:
        shutil.rmtree(partition_dir(history_dir, table, year, stage), ignore_errors=True)
    shutil.rmtree(staging)


def _recover(history_dir: Path) -> None:
    """Finish records whose commit marker was written; drop staging folders that never got one."""
    root = history_dir / STAGING
    if not root.is_dir():
        return
    for staging in sorted(root.iterdir()):
        marker_path = staging / COMMIT_MARKER
        if marker_path.is_file():
            _apply(history_dir, staging, json.loads(marker_path.read_text(encoding="utf-8")))
        else:
            shutil.rmtree(staging, ignore_errors=True)


def _check_table_name(table: str) -> None:
    if not table or table.startswith(".") or any(ch in table for ch in "/\\=") or table in (".", ".."):
        raise HistoryError(f"履歴の表の名前「{table}」は使えません。")


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


@contextmanager
def _history_lock(history_dir: Path) -> Iterator[None]:
    """Hold the history folder's lock, so that two recordings cannot interleave."""
    message = f"別の処理が履歴 {history_dir} に書き込み中です。終わるのを待ってからもう一度実行してください。"
    with held(history_dir / LOCK_NAME, HistoryError(message)):
        yield

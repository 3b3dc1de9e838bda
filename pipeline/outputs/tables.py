"""tables/: each merged table as Parquet and as CSV (UTF-8 with BOM), text guarded against formula injection."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.combine.merge import MergeResult
from pipeline.outputs.legend import Presentation, computed_columns
from pipeline.outputs.names import LEGEND_TABLE, table_names

TABLE_CHUNK = 4096  # rows of tables/ encoded at a time: a parquet row group, a slice of the CSV


_FORMULA_START = r"^[=+\-@\t\r＝＋－＠]"


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with text that a spreadsheet would run as a formula prefixed with ``'`` (OWASP CSV injection)."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not texts:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    """The frame as CSV with a BOM, guarded by `csv_safe` a chunk of rows at a time (not copied whole)."""
    with path.open("wb") as handle:
        for start in range(0, max(frame.height, 1), TABLE_CHUNK):
            first = start == 0
            csv_safe(frame.slice(start, TABLE_CHUNK)).write_csv(handle, include_bom=first, include_header=first)


def write_tables(result: MergeResult, folder: Path, presentation: Presentation | None = None) -> None:
    """Each table as Parquet and as CSV into the folder, and legend.csv: how each computed column (the rates,
    the grade, the status) was computed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in table_names(result):
        frame = result.tables[name]
        frame.write_parquet(folder / f"{name}.parquet", row_group_size=TABLE_CHUNK)
        _write_csv(frame, folder / f"{name}.csv")
    if "indicators" in result.tables:
        legend = pl.DataFrame(
            computed_columns(presentation or Presentation()),
            schema=["table", "column", "名称", "計算方法"],
            orient="row",
        )
        _write_csv(legend, folder / f"{LEGEND_TABLE}.csv")

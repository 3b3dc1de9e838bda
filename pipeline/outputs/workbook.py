"""consolidated.xlsx: the overview, then each data sheet of its spec, written with xlsxwriter, the tables' data
rows spliced in (outputs.sheetxml)."""

from __future__ import annotations

import contextlib
import gc
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import xlsxwriter

from pipeline.combine.merge import MergeResult
from pipeline.outputs.engine import FONT_NAME, FONT_SIZE, Styles
from pipeline.outputs.frames import table_of
from pipeline.outputs.labels import scope_label
from pipeline.outputs.legend import Presentation
from pipeline.outputs.order import organisation_order
from pipeline.outputs.overview import overview_sheet
from pipeline.outputs.sheets import DATA_SHEETS
from pipeline.outputs.sheetxml import SheetRows, splice

# Above this many table rows (about 2,000 divisions) memory, not speed, decides how the outputs are written.
LARGE_ROWS = 50_000


def _created(result: MergeResult) -> datetime:
    """A creation date derived from the data (the latest accepted save), so that the same inbox gives the same file."""
    submissions = table_of(result, "submissions")
    latest: datetime | None = None
    if {"status", "saved_at"} <= set(submissions.columns):
        for text in submissions.filter(pl.col("status") == "accepted").get_column("saved_at").drop_nulls():
            try:
                stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            stamp = stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
            latest = stamp if latest is None else max(latest, stamp)
    if latest is not None:
        return latest
    return datetime(result.fiscal_year or 2000, 4, 1, tzinfo=UTC)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: xlsxwriter allocates objects per cell, which sets off full collections
    of the whole heap (~0.25 s of a 1,000-file merge) that find no garbage; reference counting still frees."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def is_large(result: MergeResult) -> bool:
    """Whether the merge is large enough that memory, not speed, decides how it is written."""
    return sum(frame.height for frame in result.tables.values()) > LARGE_ROWS


def write_workbook(
    result: MergeResult,
    path: Path,
    *,
    presentation: Presentation | None = None,
    tmpdir: Path | None = None,
    years: YearView | None = None,
) -> Path:
    """consolidated.xlsx: ten sheets for executives (two more with ``years``), the tables in the order given
    (組織順: outputs.order); user text only ever written as strings."""
    with _collector_paused():
        return _write_workbook(result, path, presentation or Presentation(), tmpdir, years)


def _write_workbook(
    result: MergeResult, path: Path, presentation: Presentation, tmpdir: Path | None, years: YearView | None
) -> Path:
    options: dict[str, Any] = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": True,
        "default_format_properties": {"font_name": FONT_NAME, "font_size": FONT_SIZE},
    }
    if tmpdir is not None:
        options["tmpdir"] = str(tmpdir)
    # xlsxwriter writes the package with every table's header but not its data rows; those go, row by row, to a
    # temporary file per sheet (memory stays flat however many rows) and are spliced in after.
    sheets: list[SheetRows] = []

    def rows_out(name: str) -> SheetRows:
        sheets.append(SheetRows(name, tmpdir))
        return sheets[-1]

    with tempfile.TemporaryDirectory(dir=tmpdir) as scratch:
        package = Path(scratch) / "xlsxwriter.xlsx"
        try:
            book = xlsxwriter.Workbook(str(package), options)
            scope = scope_label(result)
            properties = {"title": f"工程表 集約結果 {scope}", "author": "工程表 pipeline", "created": _created(result)}
            book.set_properties(properties)
            styles = Styles(book)
            overview_sheet(book, styles, result, scope, presentation)
            for spec in DATA_SHEETS:
                spec.write(book, styles, result, scope, presentation, rows_out)
            if years is not None:
                from pipeline.outputs import years as year_sheets

                order = organisation_order(result, presentation.departments)
                year_sheets.write_sheets(book, styles, years, scope, order, rows_out)
            for rows in sheets:
                rows.close()
            book.close()
            splice(package, path, sheets)
        finally:
            for rows in sheets:
                rows.discard()
    return path


if TYPE_CHECKING:
    from pipeline.history.years import YearView

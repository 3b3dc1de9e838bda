"""The names of what the pipeline publishes in the outbox: files, tables."""

from __future__ import annotations

from pipeline.combine.merge import TABLES, MergeResult
from pipeline.constants import FEEDBACK_FOLDER
from pipeline.outputs.publish import portable_name

WORKBOOK_NAME = "consolidated.xlsx"
PDF_NAME = "consolidated.pdf"


SUMMARY_MD_NAME = "behind_target.md"
SUMMARY_JSON_NAME = "summary.json"
TABLES_DIR = "tables"
LEGEND_TABLE = "legend"  # tables/legend.csv: how each computed column was computed


def table_names(result: MergeResult) -> list[str]:
    """The tables written under tables/: the merge's own in their order, then any others by name."""
    return [n for n in TABLES if n in result.tables] + sorted(n for n in result.tables if n not in TABLES)


def output_names(result: MergeResult, *, pdf: bool = False) -> list[str]:
    """What a merge publishes, relative to the outbox (``pdf``: consolidated.pdf was printed too)."""
    names = [WORKBOOK_NAME, *([PDF_NAME] if pdf else []), SUMMARY_MD_NAME, SUMMARY_JSON_NAME]
    for table in table_names(result):
        names += [f"{TABLES_DIR}/{table}.parquet", f"{TABLES_DIR}/{table}.csv"]
    if "indicators" in result.tables:
        names.append(f"{TABLES_DIR}/{LEGEND_TABLE}.csv")
    return names


UNKNOWN_DEPARTMENT = "部局名未記入"


def feedback_name(department: str | None, division: str | None, fallback: str) -> str:
    """feedback/<部局名>/<所属名>.xlsx, relative to the outbox, with names made safe for Windows and Unix file
    systems (fallback: the source file's stem)."""
    folder = portable_name(department) or UNKNOWN_DEPARTMENT
    stem = portable_name(division) or portable_name(fallback) or "工程表"
    return f"{FEEDBACK_FOLDER}/{folder}/{stem}.xlsx"

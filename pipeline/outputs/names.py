"""The names of what the pipeline publishes in the outbox: files, tables."""

from __future__ import annotations

from pipeline.combine.merge import TABLES, MergeResult

WORKBOOK_NAME = "consolidated.xlsx"


SUMMARY_MD_NAME = "behind_target.md"
SUMMARY_JSON_NAME = "summary.json"
TABLES_DIR = "tables"


def table_names(result: MergeResult) -> list[str]:
    """The tables written under tables/: the merge's own in their order, then any others by name."""
    return [n for n in TABLES if n in result.tables] + sorted(n for n in result.tables if n not in TABLES)


def output_names(result: MergeResult) -> list[str]:
    names = [WORKBOOK_NAME, SUMMARY_MD_NAME, SUMMARY_JSON_NAME]
    for table in table_names(result):
        names += [f"{TABLES_DIR}/{table}.parquet", f"{TABLES_DIR}/{table}.csv"]
    return names

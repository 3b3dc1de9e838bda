"""Write a merge's outputs into the outbox: every file staged in one publication, then published together."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.combine.merge import MergeResult
from pipeline.outputs.markdown import render_markdown
from pipeline.outputs.names import SUMMARY_JSON_NAME, SUMMARY_MD_NAME, TABLES_DIR, WORKBOOK_NAME, output_names
from pipeline.outputs.publish import Publication, write_text
from pipeline.outputs.summary import summary_dict
from pipeline.outputs.tables import write_tables
from pipeline.outputs.workbook import is_large, write_workbook

if TYPE_CHECKING:
    from pipeline.history.years import YearView

# Moved into place first (Excel on Windows may hold it open: the failure comes before anything changed) and last
# (a reader that waits for summary.json finds everything else already in place).
FIRST = (WORKBOOK_NAME,)
LAST = (SUMMARY_JSON_NAME,)


def prepare_outputs(
    result: MergeResult, publication: Publication, *, inbox_label: str = "", years: YearView | None = None
) -> None:
    """Write consolidated.xlsx, behind_target.md, summary.json and tables/*.parquet|csv into the publication."""
    tables = publication.folder(TABLES_DIR)
    # The tables are written on a second core meanwhile (polars writes without holding the GIL); for a large
    # merge after the workbook instead, so that their memory peaks do not add up.
    with ThreadPoolExecutor(max_workers=1) as pool:
        alongside = None if is_large(result) else pool.submit(write_tables, result, tables)
        write_workbook(
            result, publication.path(WORKBOOK_NAME), inbox_label=inbox_label, tmpdir=publication.scratch, years=years
        )
        if alongside is None:
            write_tables(result, tables)
        else:
            alongside.result()
    markdown = render_markdown(result, inbox_label=inbox_label)
    summary_data = summary_dict(result)
    if years is not None:
        from pipeline.outputs.years import markdown_lines, summary_part

        markdown = markdown.rstrip("\n") + "\n\n" + "\n".join(markdown_lines(years)).rstrip("\n") + "\n"
        summary_data["history"] = summary_part(years)
    write_text(publication.path(SUMMARY_MD_NAME), markdown)
    summary = json.dumps(summary_data, ensure_ascii=False, indent=2, allow_nan=False)
    write_text(publication.path(SUMMARY_JSON_NAME), summary + "\n")


def write_outputs(result: MergeResult, outbox: Path, *, inbox_label: str = "") -> list[Path]:
    """Write the outputs into the outbox as one publication (callers hold the outbox lock); the paths written."""
    with Publication(outbox, manifest=True) as publication:
        prepare_outputs(result, publication, inbox_label=inbox_label)
        publication.commit(first=FIRST, last=LAST)
    return [outbox / name for name in output_names(result)]

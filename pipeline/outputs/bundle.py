"""Write a merge's outputs into the outbox: every file staged in one publication, then published together."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.combine.merge import MergeResult
from pipeline.outputs.legend import Presentation
from pipeline.outputs.markdown import render_markdown
from pipeline.outputs.names import (
    PDF_NAME,
    SUMMARY_JSON_NAME,
    SUMMARY_MD_NAME,
    TABLES_DIR,
    WORKBOOK_NAME,
    output_names,
)
from pipeline.outputs.order import arranged, organisation_order
from pipeline.outputs.pdf import print_pdf
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


@dataclass(frozen=True)
class Written:
    """What prepare_outputs staged (names relative to the outbox) and what it could not do."""

    names: list[str]
    notices: tuple[str, ...] = ()


def prepare_outputs(
    result: MergeResult,
    publication: Publication,
    *,
    presentation: Presentation | None = None,
    years: YearView | None = None,
) -> Written:
    """Write consolidated.xlsx (and with ``presentation.pdf`` consolidated.pdf), behind_target.md, summary.json
    and tables/*.parquet|csv into the publication, every table in 組織順; with ``years``, the year-over-year
    sheets and sections too."""
    presentation = presentation or Presentation()
    result = arranged(result, presentation.departments)
    tables = publication.folder(TABLES_DIR)
    notices: list[str] = []
    # The tables are written on a second core meanwhile (polars writes without holding the GIL); for a large
    # merge after the workbook instead, so that their memory peaks do not add up.
    with ThreadPoolExecutor(max_workers=1) as pool:
        alongside = None if is_large(result) else pool.submit(write_tables, result, tables, presentation)
        workbook = publication.path(WORKBOOK_NAME)
        write_workbook(result, workbook, presentation=presentation, tmpdir=publication.scratch, years=years)
        if presentation.pdf:
            problem = print_pdf(workbook, publication.path(PDF_NAME), scratch=publication.scratch)
            if problem:
                notices.append(problem)
        if alongside is None:
            write_tables(result, tables, presentation)
        else:
            alongside.result()
    names = output_names(result, pdf=presentation.pdf and not notices)
    markdown = render_markdown(result, presentation=presentation)
    summary_data = summary_dict(result, outputs=names, presentation=presentation)
    if years is not None:
        from pipeline.outputs.years import markdown_lines, summary_part

        order = organisation_order(result, presentation.departments)
        markdown = markdown.rstrip("\n") + "\n\n" + "\n".join(markdown_lines(years, order)).rstrip("\n") + "\n"
        summary_data["history"] = summary_part(years)
    write_text(publication.path(SUMMARY_MD_NAME), markdown)
    summary = json.dumps(summary_data, ensure_ascii=False, indent=2, allow_nan=False)
    write_text(publication.path(SUMMARY_JSON_NAME), summary + "\n")
    return Written(names, tuple(notices))


def write_outputs(result: MergeResult, outbox: Path, *, presentation: Presentation | None = None) -> list[Path]:
    """Write the outputs into the outbox as one publication (callers hold the outbox lock); the paths written."""
    with Publication(outbox, manifest=True) as publication:
        written = prepare_outputs(result, publication, presentation=presentation)
        publication.commit(first=FIRST, last=LAST)
    return [outbox / name for name in written.names]

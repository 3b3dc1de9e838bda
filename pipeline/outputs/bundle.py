"""Write a merge's outputs into the outbox: every file staged, then published as one transaction."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.combine.merge import MergeResult
from pipeline.outputs.markdown import render_markdown
from pipeline.outputs.names import SUMMARY_JSON_NAME, SUMMARY_MD_NAME, TABLES_DIR, WORKBOOK_NAME, output_names
from pipeline.outputs.publish import TMP_PREFIX, files_under, fsync, publish, recover_tables, remove_stale, write_text
from pipeline.outputs.summary import summary_dict
from pipeline.outputs.tables import write_tables
from pipeline.outputs.workbook import is_large, write_workbook


def _stage(result: MergeResult, staging: Path, inbox_label: str) -> None:
    """Write every output into the staging folder and flush it to disk."""
    scratch = staging / "xlsxwriter"
    scratch.mkdir()
    # The tables are written on a second core meanwhile (polars writes without holding the GIL); for a large
    # merge after the workbook instead, so that their memory peaks do not add up.
    with ThreadPoolExecutor(max_workers=1) as pool:
        alongside = None if is_large(result) else pool.submit(write_tables, result, staging / TABLES_DIR)
        write_workbook(result, staging / WORKBOOK_NAME, inbox_label=inbox_label, tmpdir=scratch)
        if alongside is None:
            write_tables(result, staging / TABLES_DIR)
        else:
            alongside.result()
    shutil.rmtree(scratch, ignore_errors=True)
    write_text(staging / SUMMARY_MD_NAME, render_markdown(result, inbox_label=inbox_label))
    summary = json.dumps(summary_dict(result), ensure_ascii=False, indent=2, allow_nan=False)
    write_text(staging / SUMMARY_JSON_NAME, summary + "\n")
    for path in files_under(staging):
        fsync(path)
    fsync(staging / TABLES_DIR)
    fsync(staging)


def write_outputs(result: MergeResult, outbox: Path, *, inbox_label: str = "") -> list[Path]:
    """Write consolidated.xlsx, behind_target.md, summary.json and tables/*.parquet|csv; atomically.

    Callers hold the outbox lock (pipeline.outputs.lock). Returns the paths written, workbook first.
    """
    outbox.mkdir(parents=True, exist_ok=True)
    recover_tables(outbox)
    remove_stale(outbox)
    staging = outbox / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        _stage(result, staging, inbox_label)
        publish(staging, outbox)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [outbox / name for name in output_names(result)]

"""Feedback copies (design §7): the division's workbook with every issue marked, placed at
feedback/<部局名>/<所属名>.xlsx in the run's publication, and made again when the history adds continuity warnings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.model import FileResult, Issue, Task, sort_key

if TYPE_CHECKING:
    from pipeline.combine.merge import MergeResult
    from pipeline.intake.discover import Found
    from pipeline.outputs.publish import Publication


def feedback_copy(source: Path, issues: Sequence[Issue], target: Path, data: bytes) -> Path:
    """The division's workbook with its issues marked: the package patched (milliseconds, every other part kept
    byte for byte), or, for a package that cannot be patched faithfully, re-saved with openpyxl."""
    from pipeline.outputs.patch import PatchError, patch_file

    try:
        return patch_file(source, issues, target, data=data)
    except PatchError:
        from pipeline.outputs.feedback import annotate

        return annotate(source, issues, target, data=data)


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``stem_2.xlsx``, ``stem_3.xlsx``… when an earlier file of this run took it (compared as Windows
    does, without case)."""
    stem, dot, suffix = name.rpartition(".")
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem}_{n}{dot}{suffix}"
    taken.add(candidate.casefold())
    return candidate


def with_continuity_feedback(
    merged: MergeResult,
    results: dict[str, FileResult],
    warnings: Sequence[Issue],
    publication: Publication,
    books: Sequence[Found],
) -> MergeResult:
    """Feedback copies that also carry the continuity warnings (known only once the whole year is merged): each
    such file's copy is made again, in this process, from its bytes with all its issues; the submissions table
    counts the warnings and names the copy."""
    import polars as pl

    from pipeline.intake.receive import Received, receive
    from pipeline.outputs.names import feedback_name

    by_file: dict[str, list[Issue]] = {}
    for issue in warnings:
        if issue.file in results:
            by_file.setdefault(issue.file, []).append(issue)
    found = {f.display: f for f in books}
    taken = {r.feedback.casefold() for r in results.values() if r.feedback}
    placed: dict[str, str] = {}
    for display, extra in sorted(by_file.items()):
        result, seen = results[display], found[display]
        received = receive(Task(seen.path, display, seen.size, seen.mtime_ns, identity=seen.identity))
        if not isinstance(received, Received):
            continue
        record = result.record or {}
        name = result.feedback or unique_name(
            feedback_name(record.get("department"), record.get("division"), Path(display).stem), taken
        )
        issues = tuple(sorted((*result.issues, *extra), key=sort_key))
        scratch = publication.scratch / f"continuity-{len(placed)}.xlsx"
        feedback_copy(Path(seen.path), issues, scratch, received.data)
        scratch.replace(publication.path(name))
        placed[display] = name
    submissions = merged.tables["submissions"]
    counts = {display: len(extra) for display, extra in by_file.items()}
    submissions = submissions.with_columns(
        warnings=pl.col("warnings") + pl.col("file").replace_strict(counts, default=0, return_dtype=pl.Int64),
        feedback=pl.col("file").replace_strict(placed, default=pl.col("feedback"), return_dtype=pl.String),
    )
    return replace(merged, tables={**merged.tables, "submissions": submissions})


def arrange_feedback(results: dict[str, FileResult], publication: Publication) -> dict[str, FileResult]:
    """Move each annotated copy to feedback/<部局名>/<所属名>.xlsx in the publication; record that outbox path."""
    from pipeline.outputs.names import feedback_name

    taken: set[str] = set()
    arranged = dict(results)
    for display in sorted(results):
        result = results[display]
        if not result.feedback:
            continue
        record = result.record or {}
        name = unique_name(feedback_name(record.get("department"), record.get("division"), Path(display).stem), taken)
        Path(result.feedback).replace(publication.path(name))
        arranged[display] = replace(result, feedback=name)
    return arranged


def is_annotated_copy(path: Path) -> bool:
    """Whether a workbook is an annotated copy the pipeline wrote (its first sheet is 確認結果)."""
    import zipfile

    from pipeline.outputs.marks import SHEET_RESULTS

    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return f'name="{SHEET_RESULTS}"'.encode() in book

"""The one place that knows the order of the stages: discover → read → validate → merge → status → write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import NothingToDo
from pipeline.model import FileResult
from pipeline.validate import Master
from pipeline.worker import Task, run_isolated

Progress = Callable[[int, int], None]


def validate_files(
    paths: Sequence[Path], *, master: Master | None = None, workers: int | None = None
) -> list[FileResult]:
    """Validate workbooks, each in an isolated worker; results in the order of ``paths``."""
    tasks = [Task(str(p), str(p), master=master) for p in paths]
    results: list[FileResult | None] = [None] * len(tasks)
    for index, result in run_isolated(tasks, workers=workers):
        results[index] = result
    return [r for r in results if r is not None]


@dataclass(frozen=True)
class MergeRun:
    """What `pipeline merge` did: the merge result and the files it wrote."""

    result: object  # pipeline.merge.MergeResult (kept loose so that importing api stays light)
    outputs: list[Path] = field(default_factory=list)
    dry_run: bool = False


def merge_inbox(settings: Settings, *, dry_run: bool = False, progress: Progress | None = None) -> MergeRun:
    """Validate every workbook in the inbox, merge the accepted ones and write the outputs (unless dry run)."""
    from pipeline.lock import outbox_lock

    inbox, outbox = settings.inbox, settings.outbox
    if not inbox.is_dir():
        raise NothingToDo(f"受付フォルダ {inbox} がありません。--inbox で工程表の置き場所を指定してください。")
    master = None
    if settings.divisions is not None:
        from pipeline.master import load_master

        master = load_master(settings.divisions)
    if dry_run:
        return _merge(settings, master, progress, None)
    with outbox_lock(outbox):
        return _merge(settings, master, progress, outbox)


def _merge(settings: Settings, master: Master | None, progress: Progress | None, outbox: Path | None) -> MergeRun:
    """Discover, validate in isolated workers, merge, and write to ``outbox`` unless it is None (dry run)."""
    from pipeline.discover import discover
    from pipeline.merge import merge

    inbox = settings.inbox
    # the outbox and the master list may live inside the inbox; neither is a submission
    excluded = (settings.outbox, *([settings.divisions] if settings.divisions else []))
    found = discover(inbox, exclude=excluded)
    if not any(f.kind == "workbook" for f in found):
        raise NothingToDo(f"受付フォルダ {inbox} に工程表ファイル（.xlsx / .xlsm）がありません。")
    tasks = [Task(f.path, f.display, f.size, f.mtime_ns, master) for f in found if f.kind == "workbook"]
    results: dict[str, FileResult] = {}
    for done, (index, result) in enumerate(run_isolated(tasks, workers=settings.workers), start=1):
        results[tasks[index].display] = result
        if progress is not None:
            progress(done, len(tasks))
    merged = merge(
        found,
        results,
        year=settings.fiscal_year,
        stage=settings.stage,
        master=master,
        grade_bands=settings.grade_bands,
    )
    if outbox is None:
        return MergeRun(merged, [], True)
    from pipeline.write import write_outputs

    return MergeRun(merged, write_outputs(merged, outbox), False)

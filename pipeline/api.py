"""The one place that knows the order of the pipeline's steps, each done by its stage folder:
intake (discover, receive, preflight, read) → checks (normalise, validate) → combine (flatten, merge) →
checks.status → outputs (one publication).

("Step" is a pipeline step here; ``stage`` is always a 評価時点: 当初, 中間, 最終.)
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.errors import NothingToDo, UsageProblem
from pipeline.intake.pool import run_isolated, warm_up
from pipeline.model import Code, FileResult, Issue, Master, Task, make_issue, sort_key
from pipeline.outputs.copies import (
    arrange_feedback,
    feedback_copy,
    is_annotated_copy,
    unique_name,
    with_continuity_feedback,
)
from pipeline.outputs.outbox import check_outbox, nothing_to_merge, remove_empty_outbox

if TYPE_CHECKING:  # polars stays unimported until a merge needs it: `pipeline validate` starts fast
    from pipeline.combine.merge import MergeResult, Prepared
    from pipeline.history.years import YearView
    from pipeline.intake.cache import LastRun, ResultCache
    from pipeline.intake.discover import Found
    from pipeline.outputs.legend import Presentation
    from pipeline.outputs.publish import Publication

Progress = Callable[[int, int], None]

# What a worker imports to run process_file: loaded once in the fork server (where there is one), so that every
# worker starts ready to parse.
WORKER_MODULES = (
    "pipeline.api",
    "pipeline.intake.receive",
    "pipeline.intake.preflight",
    "pipeline.intake.read",
    "pipeline.checks.validate",
    "pipeline.combine.flatten",
    "pipeline.outputs.patch",
    "pipeline.intake.cache",
    "fastexcel",
    "polars",
)


def start_workers() -> None:
    """Start the workers' fork server now, so that it imports the readers while this process does other work."""
    warm_up(WORKER_MODULES)


def process_file(task: Task) -> FileResult:
    """One file's way through the steps, in a worker: receive its bytes once, preflight them, read, normalise and
    validate those same bytes, then flatten an accepted file into table rows and write its feedback copy; the
    result is kept in the outbox's cache when the task says where."""
    result = _process(task)
    if task.cache is not None:
        from pipeline.intake.cache import store

        store(task.cache, result)
    return result


def _process(task: Task) -> FileResult:
    from pipeline.intake.receive import Received, receive

    received = receive(task)
    if not isinstance(received, Received):
        return received
    display, data = task.display, received.data
    base = {"display": display, "sha256": received.sha256, "size": received.size, "mtime": received.mtime}
    try:
        from pipeline.intake.preflight import preflight

        checked = preflight(data)
        if any(i.severity == "blocking" for i in checked.issues):
            return FileResult(**base, issues=_with_file(checked.issues, display))  # type: ignore[arg-type]
        from pipeline.checks.validate import validate_raw
        from pipeline.intake.read import read_submission

        raw = read_submission(data, file=display, notes=checked.cells)
        validated = validate_raw(raw, file=display, master=task.master)
        issues = tuple(sorted((*_with_file(checked.issues, display), *validated.issues), key=sort_key))
        if validated.record is None and any(i.code == Code.NOT_A_TEMPLATE for i in issues) and _is_roster(data):
            return FileResult(**base, issues=(make_issue(Code.ROSTER_IN_INBOX, file=display),))  # type: ignore[arg-type]
        # code and names together, for a file that can be placed and whose division the roster knows
        settled = not any(i.code == Code.UNKNOWN_DIVISION or i.severity == "blocking" for i in issues)
        if task.master is not None and validated.record is not None and settled:
            from pipeline.combine.identity import identify

            conflict = identify([(display, validated.record)], task.master).conflicts.get(display)
            issues = (*issues, conflict) if conflict is not None else issues
        feedback = None
        if task.annotate_to and validated.record is not None and issues:
            feedback, problem = _annotate(Path(os.fsdecode(task.path)), issues, Path(task.annotate_to), data)
            issues = (*issues, *problem)
        result = FileResult(
            **base,  # type: ignore[arg-type]
            saved_at=checked.saved_at,
            issues=issues,
            record=validated.record,
            locations=validated.locations,
            feedback=feedback,
        )
        return _flattened(result) if task.flatten and result.accepted else result
    except Exception as exc:  # the per-file boundary: any failure is this file's, reported, and the run goes on
        code = Code.FILE_UNREADABLE if _reader_error(exc) else Code.INTERNAL_ERROR
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        return FileResult(**base, issues=(make_issue(code, file=display, detail=detail),))  # type: ignore[arg-type]


def _is_roster(data: bytes) -> bool:
    """Whether a workbook that is not a 工程表 is the division roster: its first row names the roster's columns."""
    import fastexcel

    from pipeline.constants import ROSTER_COLUMNS

    try:
        sheet = fastexcel.read_excel(data).load_sheet(0, header_row=None, n_rows=1)
        first = {str(v).strip() for v in sheet.to_polars().row(0) if v is not None}
    except Exception:  # whatever it is, it is not a readable roster
        return False
    return all(column in first for column in ROSTER_COLUMNS[1:])


def _flattened(result: FileResult) -> FileResult:
    """The result as its table rows and the little of its record the merge still needs: less to send and keep."""
    from pipeline.combine.flatten import columns_of_result, slim_record

    return replace(result, rows=columns_of_result(result), record=slim_record(result.record), locations={})


def _reader_error(exc: Exception) -> bool:
    """Whether calamine refused the bytes (a broken file, not a bug of ours)."""
    import fastexcel

    return isinstance(exc, fastexcel.FastExcelError)


def _annotate(
    source: Path, issues: tuple[Issue, ...], target: Path, data: bytes
) -> tuple[str | None, tuple[Issue, ...]]:
    """Write the feedback copy from the bytes already read; a failure is a warning, never a rejection."""
    try:
        return str(feedback_copy(source, issues, target, data)), ()
    except Exception as exc:
        detail = f"{type(exc).__name__}: {str(exc)[:120]}"
        return None, (make_issue(Code.FEEDBACK_FAILED, file=issues[0].file, detail=detail),)


def _with_file(issues: Sequence[Issue], display: str) -> tuple[Issue, ...]:
    return tuple(replace(i, file=display) if not i.file else i for i in issues)


def write_template(path: Path, *, force: bool = False) -> Path:
    """Publish the standard template at ``path``; a workbook there that holds a division's input is refused
    unless ``force`` (a filled 工程表 is never overwritten by mistake)."""
    from pipeline.contract.template import build_template
    from pipeline.outputs.publish import Publication

    if path.is_dir():
        raise UsageProblem(f"{path} はフォルダです。書き出すファイル名（.xlsx）を指定してください。")
    if not force and path.exists() and _has_input(path):
        raise UsageProblem(
            f"{path} には入力済みの工程表があります。上書きしません。別のファイル名を指定するか、上書きしてよい場合は --force を付けてください。"
        )
    with Publication(path.parent) as publication:
        build_template().save(publication.path(path.name))
        publication.commit()
    return path


def _refuse_filled(path: Path, sources: Sequence[Path]) -> None:
    """Refuse to replace a workbook that holds a division's input: one of the files validated (the folder is its
    own), or any filled workbook but an earlier annotated copy."""
    if not path.is_file():
        return
    source = any(s.is_file() and path.samefile(s) for s in sources)
    if source or (not is_annotated_copy(path) and _has_input(path)):
        raise UsageProblem(
            f"{path} には入力済みの工程表があります。上書きしません。--annotate に別のフォルダを指定するか、上書きしてよい場合は --force を付けてください。"
        )


def _has_input(path: Path) -> bool:
    """Whether a workbook holds anything typed into the template's names (or is not a template at all); read in
    an isolated worker like every other workbook."""
    [(_index, result)] = list(run_isolated([Task(str(path), path.name)], workers=1, handler=process_file))
    record = result.record
    if record is None:
        return path.stat().st_size > 0  # not a readable template: someone's file, keep it
    filled = [record.get(key) for key in ("department", "division", "head", "phone")]
    policies = record.get("policies") or []
    return any(filled) or any(p.get("policy_title") for p in policies)


def validate_files(
    paths: Sequence[Path],
    *,
    master: Master | None = None,
    workers: int | None = None,
    annotate_dir: Path | None = None,
    force: bool = False,
) -> list[FileResult]:
    """Validate workbooks, each in an isolated worker; results in the order of ``paths``.

    With ``annotate_dir``, every file with issues also gets an annotated copy there, named after the file, all
    published together when every file is done; a workbook there that holds a division's input (the file itself,
    when the folder is its own) is refused unless ``force``.
    """
    publication = None
    if annotate_dir is not None:
        from pipeline.outputs.publish import Publication

        publication = Publication(annotate_dir)
    try:
        scratch = publication.scratch if publication is not None else None
        tasks = [
            Task(str(p), str(p), annotate_to=str(scratch / f"{i}.xlsx") if scratch else None)
            for i, p in enumerate(paths)
        ]
        results: list[FileResult | None] = [None] * len(tasks)
        for index, result in run_isolated(tasks, workers=workers, handler=process_file, master=master):
            results[index] = result
        done = [r for r in results if r is not None]
        if publication is None:
            return done
        from pipeline.outputs.publish import portable_name

        taken: set[str] = set()
        for i, result in enumerate(done):
            if result.feedback:
                name = unique_name(f"{portable_name(Path(paths[i]).stem) or '工程表'}.xlsx", taken)
                if not force:
                    _refuse_filled(publication.root / name, paths)
                Path(result.feedback).replace(publication.path(name))
                done[i] = replace(result, feedback=str(publication.root / name))
        publication.commit()
        return done
    finally:
        if publication is not None:
            publication.discard()


@dataclass(frozen=True)
class MergeRun:
    """What `pipeline merge` did: the merge result and the files it wrote."""

    # the merge: its value tables in 組織順 as the outputs show them, its submissions and errors in the order the
    # files were found (as the run's report lists them)
    result: MergeResult
    outputs: list[Path] = field(default_factory=list)
    dry_run: bool = False
    # seconds spent in each step, in order: 準備 (discovery), 検証 (parsing in the workers), 集約, 出力
    timings: dict[str, float] = field(default_factory=dict)
    years: YearView | None = None  # the merge against the history, when one is kept
    notices: tuple[str, ...] = ()  # what the outputs could not do, for the user (e.g. no LibreOffice for --pdf)
    # when nothing changed since the last run into this outbox: that run's summary (its outputs stand as they are)
    unchanged: str = ""
    # every result is the file's own (none in transit, crashed or dated in the future): the same files and settings
    # would give the same outputs later (a re-run may then skip the merge)
    settled: bool = False


def merge_inbox(
    settings: Settings, *, dry_run: bool = False, progress: Progress | None = None, use_cache: bool = True
) -> MergeRun:
    """Validate every workbook in the inbox, merge the accepted ones and write the outputs (unless dry run).

    Refused before anything is read: an outbox that is the inbox, lies inside it or holds submissions. A run with
    nothing to merge (no accepted file of the chosen year and stage) writes nothing and raises NothingToDo.

    A re-run into the same outbox reuses each unchanged file's result from the outbox's cache (pipeline.intake.cache),
    and, when nothing at all changed and the outputs stand as published, rewrites nothing (``unchanged``).
    ``use_cache=False`` reads every file again and starts the cache anew.
    """
    from pipeline.outputs.lock import outbox_lock

    inbox = settings.inbox
    if not inbox.is_dir():
        raise NothingToDo(f"受付フォルダ {inbox} がありません。--inbox で工程表の置き場所を指定してください。")
    check_outbox(inbox, settings.outbox)
    master = None
    if settings.divisions is not None:
        from pipeline.intake.roster import load_master

        master = load_master(settings.divisions)
    if dry_run:
        return _merge(settings, master, progress, None)
    created = not settings.outbox.exists()
    try:
        with outbox_lock(settings.outbox):
            return _publish(settings, master, progress, use_cache)
    except BaseException:
        if created:  # a run that published nothing leaves no outbox behind either
            remove_empty_outbox(settings.outbox)
        raise


def _publish(settings: Settings, master: Master | None, progress: Progress | None, use_cache: bool) -> MergeRun:
    """Merge into the outbox (its lock held): nothing when nothing changed since the last run, else one
    publication with each unchanged file's result taken from the cache."""
    from pipeline.intake import cache
    from pipeline.outputs.publish import Publication

    outbox = settings.outbox
    clock = _Clock()
    found = _discover(settings)
    fingerprint = None
    if not use_cache:
        cache.clear(outbox)
    elif settings.history is None:  # the history store is read and written by every run: never "unchanged"
        seen = [(f.display, f.kind, f.size, f.mtime_ns, f.identity, f.detail) for f in found]
        fingerprint = cache.run_fingerprint(settings, seen, _today())
        last = cache.unchanged(outbox, fingerprint)
        if last is not None:
            start_workers()
            return _unchanged(last)
    results = cache.ResultCache.open(outbox, master=settings.divisions, annotate=True) if use_cache else None
    with Publication(outbox, manifest=True) as publication:
        run = _merge(settings, master, progress, publication, found=found, results_cache=results, clock=clock)
    if results is not None:
        results.save()
    if fingerprint is not None and run.settled:
        from pipeline.outputs.report import render_merge

        cache.remember_run(outbox, fingerprint, run.result.fates, render_merge(run))
    return run


def _unchanged(last: LastRun) -> MergeRun:
    """The run that found nothing changed: the last run's fates and summary (no tables), nothing written."""
    from pipeline.combine.merge import MergeResult

    return MergeRun(MergeResult(None, None, {}, fates=last.fates), unchanged=last.report)


def _discover(settings: Settings) -> list[Found]:
    """Every file of the inbox (the outbox and the master list excepted, when they live inside it); NothingToDo
    when there is no workbook among them."""
    from pipeline.intake.discover import discover

    excluded = (settings.outbox, *([settings.divisions] if settings.divisions else []))
    found = discover(settings.inbox, exclude=excluded)
    if not any(f.kind == "workbook" for f in found):
        raise NothingToDo(f"受付フォルダ {settings.inbox} に工程表ファイル（.xlsx / .xlsm）がありません。")
    return found


def _merge(
    settings: Settings,
    master: Master | None,
    progress: Progress | None,
    publication: Publication | None,
    *,
    found: list[Found] | None = None,
    results_cache: ResultCache | None = None,
    clock: _Clock | None = None,
) -> MergeRun:
    """Discover (unless ``found``), validate in isolated workers (or take an unchanged file's result from
    ``results_cache``), merge, judge, and publish the outputs unless dry run (None)."""
    from pipeline.intake.cache import Seen

    clock = clock or _Clock()
    start_workers()

    inbox = settings.inbox
    found = found if found is not None else _discover(settings)
    books = [f for f in found if f.kind == "workbook"]
    scratch = publication.scratch if publication is not None else None
    tasks: list[Task] = []
    seen: list[Seen] = []
    indexed: list[tuple[Seen, Found, Path | None]] = []  # unchanged by their stat: their results may be reused

    def task(f: Found, copy_to: Path | None) -> Task:
        where = results_cache.task_cache() if results_cache is not None else None
        copy = str(copy_to) if copy_to else None
        return Task(
            f.path, f.display, f.size, f.mtime_ns, identity=f.identity, annotate_to=copy, flatten=True, cache=where
        )

    for i, f in enumerate(books):
        copy_to = scratch / f"{i}.xlsx" if scratch else None
        this = Seen(f.display, f.size, f.mtime_ns, f.identity)
        if results_cache is not None and results_cache.indexed(this):
            indexed.append((this, f, copy_to))
        else:
            tasks.append(task(f, copy_to))
            seen.append(this)
    hits: dict[str, FileResult] = {}  # the cache's results, by display name; every other indexed file is read again

    def look_up() -> None:  # in a thread, while the workers parse the changed files (waiting on them frees the GIL)
        if results_cache is None or not indexed:  # no cache (--no-cache, dry run), or nothing set aside to look up
            return
        from pipeline.combine.flatten import VALUE_TABLES
        from pipeline.combine.merge import table_schema

        schemas = {table: table_schema(table) for table in VALUE_TABLES}
        hits.update(results_cache.look_up([(this, copy_to) for this, _f, copy_to in indexed], schemas))

    looker = threading.Thread(target=look_up, daemon=True)
    looker.start()
    results: dict[str, FileResult] = {}
    clock.lap("準備")
    # the later steps' imports (polars, xlsxwriter) load in a thread while the workers parse
    later = ["pipeline.combine.merge", *(["pipeline.outputs.bundle"] if publication is not None else [])]
    importer = threading.Thread(target=lambda: [importlib.import_module(m) for m in later], daemon=True)
    importer.start()
    prepared: Prepared | None = None

    def preparing() -> Prepared:
        nonlocal prepared
        if prepared is None:
            importer.join()
            from pipeline.combine.merge import Prepared

            prepared = Prepared()
        return prepared

    def taken(result: FileResult) -> FileResult:
        if result.accepted:  # its rows now, while the workers parse (unless they came from the snapshot)
            rows = preparing()
            if result.display not in rows.files:
                rows.add(result)
            result = replace(result, rows=None)
        return result

    def parse(tasks: list[Task], seen: list[Seen]) -> None:
        for done, (index, result) in enumerate(
            run_isolated(tasks, workers=settings.workers, handler=process_file, master=master), start=1
        ):
            if results_cache is not None:
                results_cache.stored(seen[index], result)
            results[tasks[index].display] = taken(result)
            if progress is not None:
                progress(done, len(tasks))

    parse(tasks, seen)
    looker.join()
    if results_cache is not None and results_cache.from_snapshot:  # the last run's rows of these unchanged files
        preparing().add_frames(results_cache.snapshot_rows(), results_cache.from_snapshot)
    for result in hits.values():
        results[result.display] = taken(result)
    missed = [(this, f, copy_to) for this, f, copy_to in indexed if this.display not in hits]
    if missed:  # entries that were not sound (or a look-up that failed): their files are read again
        parse([task(f, copy_to) for _, f, copy_to in missed], [this for this, _, _ in missed])
    importer.join()
    clock.lap("検証")
    from pipeline.combine.merge import merge

    if publication is not None:
        results = arrange_feedback(results, publication)
    merged = merge(
        found,
        results,
        year=settings.fiscal_year,
        stage=settings.stage,
        master=master,
        prepared=prepared,
        strict=settings.strict,
    )
    if not (merged.fates.get("accepted") or merged.fates.get("needs-correction")):
        raise NothingToDo(nothing_to_merge(inbox, merged))
    merged = _judged(merged, settings)
    years = None
    if settings.history is not None:
        from pipeline.history.years import look_back, read_maps

        merged, years = look_back(merged, settings.history, *read_maps(settings.lineage, settings.renames))
        if years is not None and years.warnings and publication is not None:
            merged = with_continuity_feedback(merged, results, years.warnings, publication, books)
    clock.lap("集約")
    if publication is None:
        return MergeRun(merged, [], True, clock.laps, years)
    from pipeline.outputs.bundle import FIRST, LAST, prepare_outputs
    from pipeline.outputs.order import arranged
    from pipeline.outputs.workbook import is_large

    presentation = _presentation(settings)
    listed = {name: merged.tables[name] for name in ("submissions", "errors")}  # the run's report: files as found
    merged = arranged(merged, presentation.departments, consume=True)  # in 組織順 once, for every output
    large = is_large(merged)  # then memory decides: the snapshot is written after the outputs, not beside them
    keeper = None if large else _keep_snapshot(results_cache, merged)
    written = prepare_outputs(merged, publication, presentation=presentation, years=years)
    if large:
        keeper = _keep_snapshot(results_cache, merged)
    publication.commit(first=FIRST, last=LAST)
    if settings.history is not None and merged.fiscal_year is not None:
        from pipeline.history.years import record

        record(settings.history, merged)
    outputs = [settings.outbox / name for name in written.names]
    outputs += sorted(settings.outbox / r.feedback for r in results.values() if r.feedback)
    if keeper is not None:
        keeper.join()
    clock.lap("出力")
    settled = _settled(results.values())
    merged = replace(merged, tables={**merged.tables, **listed})
    return MergeRun(merged, outputs, False, clock.laps, years, written.notices, settled=settled)


def _keep_snapshot(results_cache: ResultCache | None, merged: MergeResult) -> threading.Thread | None:
    """Start writing the merged rows for the next run (pipeline.intake.cache), in a thread beside the outputs: each
    value table's own columns (not the status the merge adds), in whatever order (a merge sorts them by file)."""
    if results_cache is None:
        return None
    import polars as pl

    from pipeline.combine.flatten import VALUE_TABLES
    from pipeline.combine.merge import MERGED_FATES, table_schema

    submissions = merged.tables["submissions"]
    files = submissions.filter(pl.col("status").is_in(sorted(MERGED_FATES))).get_column("file").to_list()
    tables = {table: merged.tables[table].select(list(table_schema(table))) for table in VALUE_TABLES}
    keeper = threading.Thread(target=results_cache.keep_snapshot, args=(tables, files), daemon=True)
    keeper.start()
    return keeper


def _settled(results: Iterable[FileResult]) -> bool:
    """Whether every result is the file's own: none in transit, crashed or overrun, and no time in the future
    (which would read otherwise later)."""
    from datetime import UTC, datetime, timedelta

    from pipeline.intake.cache import cacheable

    now = time.time()
    limit = datetime.now(UTC) + timedelta(seconds=1)
    for result in results:
        if not cacheable(result) or result.mtime > now:
            return False
        if result.saved_at:
            try:
                stamp = datetime.fromisoformat(result.saved_at.replace("Z", "+00:00"))
            except ValueError:
                continue
            if (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)) > limit:
                return False
    return True


def _presentation(settings: Settings) -> Presentation:
    """The report settings the outputs need: grades, 信号, 組織順 of departments, source, date, PDF."""
    from pipeline.outputs.legend import Presentation

    return Presentation(
        grade_bands=settings.grade_bands,
        grade_basis=settings.grade_basis,
        signal_thresholds=settings.signal_thresholds,
        departments=settings.departments,
        source=settings.inbox.name,
        created=_today(),
        pdf=settings.pdf,
    )


def _today() -> str:
    """The date the outputs carry (Japan time), e.g. 2026年4月1日: cheap, for the run's fingerprint too."""
    from datetime import datetime, timedelta, timezone

    today = datetime.now(timezone(timedelta(hours=9), "JST"))
    return f"{today.year}年{today.month}月{today.day}日"


def _judged(merged: MergeResult, settings: Settings) -> MergeResult:
    """The merge with each indicator's status, rates and grade (design §5) at the merge's stage."""
    from pipeline.checks.status import with_status

    indicators = with_status(
        merged.tables["indicators"], merged.stage or "最終", settings.grade_bands, settings.grade_basis
    )
    return replace(merged, tables={**merged.tables, "indicators": indicators})


class _Clock:
    """Seconds per step, each lap measured from the end of the previous one."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.laps[step] = now - self._last
        self._last = now

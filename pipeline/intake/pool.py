"""Parse each workbook in a worker process that may die alone: preflight, read, normalise, validate.

calamine can abort the interpreter on crafted files, so no parse ever runs in the
main process. A worker that dies, runs out of memory or overruns its time limit
becomes a rejection of that one file; the worker is replaced and the run goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from pipeline.constants import WORKER_MEMORY_MB, WORKER_TIMEOUT_S
from pipeline.model import FileResult, Issue, Master, make_issue, sort_key

# A pre-allocated copy in progress ends in zeros; a complete zip ends with its directory.
_ZERO_TAIL = 512


@dataclass(frozen=True)
class Task:
    """One file to parse, with what discovery saw of it."""

    path: str
    display: str
    size: int | None = None
    mtime_ns: int | None = None
    master: Master | None = None
    annotate_to: str | None = None  # write an annotated copy here when the file has issues
    flatten: bool = False  # send an accepted file back as table rows (pipeline.combine.flatten), not as its record


def _in_transit(task: Task, display: str, size: int, mtime: float) -> FileResult:
    return FileResult(
        display, size=size, mtime=mtime, in_transit=True, issues=(make_issue("in-transit", file=display),)
    )


def process_file(task: Task) -> FileResult:
    """Read one file's bytes once, hash them, preflight them and parse those same bytes."""
    display = task.display
    try:
        path = Path(os.fsdecode(task.path))
        before = path.stat()
        with path.open("rb") as handle:  # read-only: the inbox is never modified
            data = handle.read()
        after = path.stat()
    except OSError as exc:
        return FileResult(display, issues=(make_issue("file-unreadable", file=display, detail=exc.strerror or exc),))
    moved = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size
    if task.size is not None and (task.size, task.mtime_ns) != (after.st_size, after.st_mtime_ns):
        moved = True
    if moved or (len(data) > _ZERO_TAIL and not data[-_ZERO_TAIL:].strip(b"\0")):
        return _in_transit(task, display, after.st_size, after.st_mtime)
    digest = hashlib.sha256(data).hexdigest()
    base = {"path": display, "sha256": digest, "size": len(data), "mtime": after.st_mtime}
    try:
        from pipeline.intake.preflight import preflight

        checked = preflight(data)
        if any(i.severity == "error" for i in checked.issues):
            return FileResult(**base, issues=_with_file(checked.issues, display))  # type: ignore[arg-type]
        from pipeline.checks.validate import validate_raw
        from pipeline.intake.read import read_submission

        raw = read_submission(data, file=display, notes=checked.cells)
        validated = validate_raw(raw, file=display, master=task.master)
        issues = tuple(sorted((*_with_file(checked.issues, display), *validated.issues), key=sort_key))
        feedback = None
        if task.annotate_to and validated.record is not None and issues:
            feedback, problem = _annotate(path, issues, Path(task.annotate_to), data)
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
    except Exception as exc:
        code = "file-unreadable" if _reader_error(exc) else "internal-error"
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        return FileResult(**base, issues=(make_issue(code, file=display, detail=detail),))  # type: ignore[arg-type]


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
    """Write the annotated copy from the bytes already read; a failure is a warning, never a rejection."""
    from pipeline.outputs.feedback import annotate

    try:
        return str(annotate(source, issues, target, data=data)), ()
    except Exception as exc:
        detail = f"{type(exc).__name__}: {str(exc)[:120]}"
        return None, (make_issue("feedback-failed", file=issues[0].file, detail=detail),)


def _with_file(issues: Sequence[Issue], display: str) -> tuple[Issue, ...]:
    return tuple(replace(i, file=display) if not i.file else i for i in issues)


def _limit_memory(megabytes: int) -> None:
    """Cap the worker's address space where the platform allows it (Unix); elsewhere rely on preflight."""
    try:
        import resource
    except ImportError:
        return
    limit = megabytes * 1024 * 1024
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        which = getattr(resource, name, None)
        if which is None:
            continue
        try:
            _soft, hard = resource.getrlimit(which)
            resource.setrlimit(which, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
            return
        except (ValueError, OSError):
            continue


Handler = Callable[[Task], FileResult]


def _worker_main(conn: Connection, memory_mb: int, handler: Handler) -> None:
    """Worker loop: receive a task, send back its FileResult, until told to stop."""
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    _limit_memory(memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(handler(task))


def _context() -> Any:
    """forkserver where it exists (fast, and safe with threaded libraries), else spawn (Windows, macOS)."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods and sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        # imported once in the server, so that every (re)started worker forks ready to parse
        ctx.set_forkserver_preload(
            [
                "pipeline.intake.pool",
                "pipeline.intake.preflight",
                "pipeline.intake.read",
                "pipeline.checks.validate",
                "pipeline.combine.flatten",
                "fastexcel",
                "polars",
            ]
        )
        return ctx
    return multiprocessing.get_context("spawn")


def warm_up() -> None:
    """Start the fork server now, so that it imports the readers while the caller does other work."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


# Tasks in flight per worker: the next file is already in the pipe when one finishes, so a
# worker never waits for the main process; a crash is still pinned on the file at the head.
_DEPTH = 2


class _Worker:
    def __init__(self, ctx: Any, memory_mb: int, handler: Handler) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, memory_mb, handler), daemon=True)
        self.process.start()
        child.close()
        self.queue: deque[tuple[int, Task]] = deque()
        self.started = 0.0  # when the task at the head of the queue began, roughly

    def give(self, index: int, task: Task) -> None:
        if not self.queue:
            self.started = time.monotonic()
        self.queue.append((index, task))
        self.conn.send(task)

    def finished(self) -> None:
        self.queue.popleft()
        self.started = time.monotonic()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
        self.conn.close()


def run_isolated(
    tasks: Sequence[Task],
    *,
    workers: int | None = None,
    memory_mb: int = WORKER_MEMORY_MB,
    timeout_s: float = WORKER_TIMEOUT_S,
    handler: Handler = process_file,
) -> Iterator[tuple[int, FileResult]]:
    """Process tasks in isolated worker processes; yield (task index, result) as each completes.

    ``handler`` (a picklable top-level function) does the work of one task; by default the whole
    parse of one file. A worker that dies or overruns is replaced; only its current file is lost.
    """
    if not tasks:
        return
    ctx = _context()
    count = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    pool = [_Worker(ctx, memory_mb, handler) for _ in range(count)]
    pending = list(enumerate(tasks))
    pending.reverse()  # a stack: pop() gives the next task in order

    def refill(worker: _Worker) -> None:
        while pending and len(worker.queue) < _DEPTH:
            worker.give(*pending.pop())

    def replace_worker(i: int) -> None:
        dead = pool[i]
        pending.extend(reversed(list(dead.queue)[1:]))  # sent but never started: run them again
        dead.kill()
        pool[i] = _Worker(ctx, memory_mb, handler)
        refill(pool[i])

    try:
        for worker in pool:
            refill(worker)
        while any(w.queue for w in pool):
            busy = [w for w in pool if w.queue]
            waits: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            deadline = min(w.started for w in busy) + timeout_s
            ready = wait(waits, timeout=max(0.0, deadline - time.monotonic()))
            for i, worker in enumerate(pool):
                if not worker.queue:
                    continue
                index, task = worker.queue[0]
                if worker.conn in ready or worker.process.sentinel in ready:
                    try:
                        result = worker.conn.recv() if worker.conn.poll() else None
                    except (EOFError, OSError):
                        result = None
                    if result is None:  # the process died: signal, abort, out of memory
                        replace_worker(i)
                        yield index, FileResult(task.display, issues=(make_issue("reader-crashed", file=task.display),))
                        continue
                    worker.finished()
                    refill(worker)
                    yield index, result
                elif time.monotonic() - worker.started >= timeout_s:
                    replace_worker(i)
                    issue = make_issue("too-slow", file=task.display, seconds=int(timeout_s))
                    yield index, FileResult(task.display, issues=(issue,))
    finally:
        for worker in pool:
            if worker.queue:
                worker.kill()
            else:
                worker.stop()

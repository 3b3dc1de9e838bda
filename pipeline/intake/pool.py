"""Run each file's work in a worker process that may die alone (the work itself is the caller's handler).

calamine can abort the interpreter on crafted files, so no parse ever runs in the
main process. A worker that dies, runs out of memory or overruns its time limit
becomes a rejection of that one file; the worker is replaced and the run goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.constants import WORKER_MEMORY_MB, WORKER_TIMEOUT_S
from pipeline.model import Code, FileResult, Master, Task, make_issue


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


def _worker_main(conn: Connection, memory_mb: int, handler: Handler, master: Master | None = None) -> None:
    """Worker loop: receive a task, send back its FileResult, until told to stop or the main process is gone.
    ``master`` is given to every task (sent once, when the worker starts, not with each file).

    Ctrl-C reaches every process of the console's group: a worker ignores it and leaves the main process to stop
    the pool, so that an interrupt prints one message and no worker tracebacks.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    _limit_memory(memory_mb)
    while True:
        try:
            task = conn.recv()
            if task is None:
                return
            if master is not None:
                task = replace(task, master=master)
            conn.send(handler(task))
        except (EOFError, OSError):  # the main process stopped (interrupted): nothing left to report to
            return


# The start method of the worker processes: None chooses forkserver where it exists (fast, and safe with threaded
# libraries), else spawn (Windows, macOS). Tests set "spawn" to run the pool as Windows does.
START_METHOD: str | None = None


def _context(preload: Sequence[str] = ()) -> Any:
    """The multiprocessing context of the workers; with forkserver, ``preload`` is imported once in the server, so
    that every (re)started worker forks ready to work."""
    methods = multiprocessing.get_all_start_methods()
    method = START_METHOD or ("forkserver" if "forkserver" in methods and sys.platform.startswith("linux") else "spawn")
    ctx = multiprocessing.get_context(method)
    if method == "forkserver" and preload:
        ctx.set_forkserver_preload(list(preload))
    return ctx


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while starting a process: an ignored signal stays ignored in the child from its first
    instruction (the fork server while it imports the readers, a spawned worker while it starts), so that an
    interrupt never prints a traceback from them; the main process alone handles it."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def warm_up(preload: Sequence[str] = ()) -> None:
    """Start the fork server now, so that it imports ``preload`` while the caller does other work."""
    ctx = _context(preload)
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with _sigint_ignored():
            forkserver.ensure_running()


# Tasks in flight per worker: the next file is already in the pipe when one finishes, so a
# worker never waits for the main process; a crash is still pinned on the file at the head.
_DEPTH = 2


class _Worker:
    def __init__(self, ctx: Any, memory_mb: int, handler: Handler, master: Master | None) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, memory_mb, handler, master), daemon=True)
        if ctx.get_start_method() == "forkserver":
            self.process.start()  # forked by the server, which ignores Ctrl-C (and may take a while to be ready)
        else:
            with _sigint_ignored():
                self.process.start()
        child.close()
        self.queue: deque[tuple[int, Task]] = deque()
        self.started = 0.0  # when the task at the head of the queue began, roughly

    def give(self, index: int, task: Task) -> None:
        if not self.queue:
            self.started = time.monotonic()
        self.queue.append((index, task))
        # a worker that has just died (on the file before this one) has no pipe left: its sentinel tells, and the
        # tasks it never started are given to its replacement
        with contextlib.suppress(OSError):
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


def worker_count(asked: int | None, tasks: int) -> int:
    """How many workers to start: as asked (default: one per CPU), never more than the CPUs or the tasks."""
    cpus = os.cpu_count() or 1
    return max(1, min(asked or cpus, cpus, tasks))


def run_isolated(
    tasks: Sequence[Task],
    *,
    workers: int | None = None,
    memory_mb: int = WORKER_MEMORY_MB,
    timeout_s: float = WORKER_TIMEOUT_S,
    handler: Handler,
    master: Master | None = None,
) -> Iterator[tuple[int, FileResult]]:
    """Process tasks in isolated worker processes; yield (task index, result) as each completes.

    ``handler`` (a picklable top-level function) does the work of one task. A worker that dies or overruns is
    replaced; only its current file is lost. ``master`` is every task's division master, sent to each worker once
    (a roster of thousands of divisions would otherwise be pickled with every file).
    """
    if not tasks:
        return
    ctx = _context()
    count = worker_count(workers, len(tasks))
    pool = [_Worker(ctx, memory_mb, handler, master) for _ in range(count)]
    pending = list(enumerate(tasks))
    pending.reverse()  # a stack: pop() gives the next task in order

    def refill(worker: _Worker) -> None:
        while pending and len(worker.queue) < _DEPTH:
            worker.give(*pending.pop())

    def replace_worker(i: int) -> None:
        dead = pool[i]
        pending.extend(reversed(list(dead.queue)[1:]))  # sent but never started: run them again
        dead.kill()
        pool[i] = _Worker(ctx, memory_mb, handler, master)
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
                        yield (
                            index,
                            FileResult(task.display, issues=(make_issue(Code.READER_CRASHED, file=task.display),)),
                        )
                        continue
                    worker.finished()
                    refill(worker)
                    yield index, result
                elif time.monotonic() - worker.started >= timeout_s:
                    replace_worker(i)
                    issue = make_issue(Code.TOO_SLOW, file=task.display, seconds=int(timeout_s))
                    yield index, FileResult(task.display, issues=(issue,))
    finally:
        for worker in pool:
            if worker.queue:
                worker.kill()
            else:
                worker.stop()

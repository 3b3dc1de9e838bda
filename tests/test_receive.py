"""Receiving a submission's bytes: the file discovery saw, never a link or another file swapped in after it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.api import process_file
from pipeline.constants import SETTLE_SECONDS
from pipeline.intake import pool
from pipeline.intake.discover import discover
from pipeline.intake.pool import run_isolated
from pipeline.intake.receive import Received, receive
from pipeline.model import FileResult, Task
from scripts.seed import seed_entries

SWAPPED = "読み取りの直前に、ファイルが別のファイルまたはリンクに置き換えられたため読み込みませんでした。受付フォルダに工程表ファイルそのものを置き直してください"


def _task(path: Path, inbox: Path) -> Task:
    (found,) = [f for f in discover(inbox) if Path(f.path) == path]
    return Task(found.path, found.display, found.size, found.mtime_ns, identity=found.identity)


def test_the_file_discovery_saw_is_received_whole(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    path = make_book(seed_entries(), "情報政策課.xlsx", folder=tmp_path / "inbox")
    received = receive(_task(path, tmp_path / "inbox"))
    assert isinstance(received, Received)
    assert received.data == path.read_bytes() and received.size == path.stat().st_size


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_symlink_swapped_in_after_discovery_is_not_followed(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    inbox = tmp_path / "inbox"
    path = make_book(seed_entries(), "税務課.xlsx", folder=inbox)
    secret = make_book({**seed_entries(), "division": "社外秘の政策"}, "secret.xlsx", folder=tmp_path / "outside")
    task = _task(path, inbox)
    path.unlink()
    path.symlink_to(secret)  # swapped in between discovery and reading
    result = process_file(task)
    assert isinstance(result, FileResult) and not result.accepted
    assert [(i.code, i.message) for i in result.issues] == [("file-swapped", SWAPPED)]
    assert result.record is None


def test_another_file_put_in_place_after_discovery_is_not_read(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    inbox = tmp_path / "inbox"
    path = make_book(seed_entries(), "税務課.xlsx", folder=inbox)
    task = _task(path, inbox)
    other = make_book(seed_entries(), "other.xlsx", folder=tmp_path / "outside")
    keep = tmp_path / "keep.xlsx"
    path.replace(keep)  # the inode discovery saw stays alive elsewhere, so its number is not reused
    other.replace(path)
    assert [i.code for i in process_file(task).issues] == ["file-swapped"]


def test_the_worker_pool_runs_under_spawn_as_on_windows(
    tmp_path: Path, make_book: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    good = make_book(seed_entries(), "good.xlsx", folder=inbox)
    bad = inbox / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    os.utime(bad, (time.time() - 3600, time.time() - 3600))  # not a copy still arriving: a broken file
    monkeypatch.setattr(pool, "START_METHOD", "spawn")
    tasks = [_task(good, inbox), _task(bad, inbox)]
    results = dict(run_isolated(tasks, workers=2, handler=process_file))
    assert results[0].accepted and results[0].record is not None
    assert results[0].record["division"] == "情報政策課"
    assert [i.code for i in results[1].issues] == ["corrupt-zip"]


def test_a_partly_copied_file_that_stopped_growing_is_held_over_not_corrupt(
    tmp_path: Path, make_book: Callable[..., Path]
) -> None:
    inbox = tmp_path / "inbox"
    whole = make_book(seed_entries(), "whole.xlsx", folder=tmp_path).read_bytes()
    path = inbox / "税務課.xlsx"
    inbox.mkdir()
    path.write_bytes(whole[: len(whole) // 2])  # the copy paused half-way, modified just now
    result = process_file(_task(path, inbox))
    assert result.in_transit and [(i.code, i.severity) for i in result.issues] == [("in-transit", "warning")]
    settled = time.time() - SETTLE_SECONDS - 5  # the copy stopped long ago: a broken file
    os.utime(path, (settled, settled))
    assert [i.code for i in process_file(_task(path, inbox)).issues] == ["corrupt-zip"]
    path.write_bytes(b"")
    assert process_file(_task(path, inbox)).in_transit  # a copy that has only just begun

"""Hostile and broken submissions in one inbox: each is one coded rejection, the valid ones merge exactly.

Also: a merge killed while writing leaves the previous outputs intact, and two merges
on the same outbox cannot interleave.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scripts.seed import seed_entries
from tests import hostile

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = [sys.executable, "-c", "from pipeline.cli import main; main()"]
# valid workbooks whose only oddity is their name or a harmless part
WARNING_KINDS = {"macros": "has-macros", "external-link": "external-links"}
SHIFT_JIS_NAME = "高等学校課.xlsx".encode("cp932")


def _division(department: str, division: str, code: str) -> dict[str, Any]:
    entries = copy.deepcopy(seed_entries())
    entries.update(department=department, division=division, division_code=code)
    return entries


def _merge_command(inbox: Path, outbox: Path) -> list[str]:
    return [*PIPELINE, "merge", "--inbox", str(inbox), "--outbox", str(outbox)]


def _merge(inbox: Path, outbox: Path) -> subprocess.CompletedProcess[str]:
    """`pipeline merge` as a subprocess, run to its end."""
    return subprocess.run(_merge_command(inbox, outbox), capture_output=True, text=True, cwd=ROOT, check=False)


def _measured(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run a command; its wall time and the peak RSS (MB) of the largest process in its tree."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "elapsed = time.perf_counter() - t\n"
        "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr)\n"
        "print(f'\\n@@ {elapsed} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}')\n"
        "sys.exit(done.returncode)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=cwd, check=False)
    marker = done.stdout.rsplit("@@ ", 1)
    wall, rss = (float(x) for x in marker[1].split())
    return subprocess.CompletedProcess(done.args, done.returncode, marker[0], done.stderr), wall, rss


@pytest.fixture(scope="module")
def hostile_inbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str | None]]:
    """The seed, two other valid divisions (one under a Shift_JIS name) and every hostile kind."""
    from pipeline.contract.fill import fill_template
    from pipeline.contract.template import write_template

    root = tmp_path_factory.mktemp("hostile")
    template = write_template(root / "template.xlsx")
    inbox = root / "inbox"
    inbox.mkdir()
    seed = fill_template(seed_entries(), inbox / "情報政策課.xlsx", template=template)
    fill_template(_division("福祉保健部", "福祉保健課", "2101"), inbox / "福祉保健課.xlsx", template=template)
    sjis = fill_template(_division("教育委員会", "高等学校課", "6102"), root / "sjis.xlsx", template=template)
    Path(os.fsdecode(os.path.join(os.fsencode(inbox), SHIFT_JIS_NAME))).write_bytes(sjis.read_bytes())  # noqa: PTH118
    expected: dict[str, str | None] = {}
    base = seed.read_bytes()
    for key, kind in hostile.KINDS.items():
        if key == "shift-jis-name":
            continue  # the valid Shift_JIS-named division above plays this part
        data = kind.build(base)
        if key in WARNING_KINDS:  # accepted with a warning: give each its own division
            unique = fill_template(
                _division("監査委員", f"{key}課", f"9{len(expected)}"), root / f"{key}.xlsx", template=template
            )
            data = kind.build(unique.read_bytes())
        (inbox / kind.name).write_bytes(data)
        expected[kind.name] = kind.code
    (inbox / "計画.ods").write_bytes(hostile.build("ods-named-xlsx", base))
    expected["計画.ods"] = "unsupported-format"
    settled = time.time() - 3600  # written long ago: a truncated or empty file is broken, not still being copied
    for path in inbox.iterdir():
        os.utime(path, (settled, settled))
    (inbox / "コピー中.xlsx").write_bytes(base + b"\0" * 4096)  # a pre-allocated copy still in progress
    expected["コピー中.xlsx"] = "in-transit"
    return inbox, expected


def test_hostile_inbox_is_merged_with_one_clear_rejection_per_bad_file(
    hostile_inbox: tuple[Path, dict[str, str | None]], tmp_path: Path
) -> None:
    inbox, expected = hostile_inbox
    before = {p: p.read_bytes() for p in inbox.iterdir()}
    outbox = tmp_path / "outbox"
    done, wall, peak_mb = _measured(_merge_command(inbox, outbox), ROOT)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert wall < 60, wall
    assert peak_mb < 1024, peak_mb
    assert {p: p.read_bytes() for p in inbox.iterdir()} == before

    subs = pl.read_parquet(outbox / "tables" / "submissions.parquet")
    errors = pl.read_parquet(outbox / "tables" / "errors.parquet")
    accepted = subs.filter(pl.col("status") == "accepted")
    assert sorted(accepted.select("department", "division").rows()) == sorted(
        [
            ("教育委員会", "高等学校課"),
            ("福祉保健部", "福祉保健課"),
            ("監査委員", "external-link課"),
            ("監査委員", "macros課"),
            ("総務部", "情報政策課"),
        ]
    )
    assert "高等学校課.xlsx" in accepted["file"].to_list()  # the Shift_JIS name, decoded
    assert len(expected) >= 25
    fates = dict(subs.select("file", "status").iter_rows())
    for name, code in expected.items():
        assert name in fates, name
        codes = errors.filter(pl.col("file") == name)["code"].to_list()
        if code in WARNING_KINDS.values():
            assert fates[name] == "accepted" and code in codes, (name, codes)
        elif code == "in-transit":
            assert fates[name] == "in-transit" and codes == ["in-transit"], (name, codes)
        else:
            assert fates[name] in ("rejected", "unsupported"), (name, fates[name])
            assert codes == [code], (name, codes)
    messages = errors.filter(pl.col("severity") == "error")["message"].to_list()
    assert all(any("\u3040" <= ch <= "\u30ff" for ch in m) for m in messages)  # Japanese, actionable
    summary = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))
    assert summary["divisions"] == 5
    indicators = pl.read_parquet(outbox / "tables" / "indicators.parquet")
    seed_rows = indicators.filter(pl.col("division") == "情報政策課").select("name", "target", "actual").rows()
    assert seed_rows == [
        (i["name"], float(i["target"]), float(i["actual"])) for i in seed_entries()["policies"][0]["indicators"]
    ]
    for path in outbox.rglob("*"):
        if path.is_file():
            assert b"root:x:0:0" not in path.read_bytes(), path


def test_validate_survives_every_crash_trigger(hostile_inbox: tuple[Path, dict[str, str | None]]) -> None:
    inbox, _expected = hostile_inbox
    triggers = [
        "cells-a1-and-xfd1048576.xlsx",
        "cell-a1048577.xlsx",
        "cell-xfe1.xlsx",
        "cell-a4294967297.xlsx",
        "shared-strings-count.xlsx",
        "dense-cells-bomb.xlsx",
        "declared-4k-inflates-256m.xlsx",
        "whitespace-bomb.xlsx",
        "duplicate-sheet-names.xlsx",
    ]
    done = subprocess.run(
        [*PIPELINE, "validate", "--format", "json", *(str(inbox / t) for t in triggers)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [f["status"] for f in report["files"]] == ["rejected"] * len(triggers)


def aborting_handler(task: Any) -> Any:
    """A worker handler that dies like calamine does (SIGABRT) on one file and parses the others."""
    from pipeline.api import process_file

    if task.display == "crash.xlsx":
        os.abort()
    return process_file(task)


def hanging_handler(task: Any) -> Any:
    """A worker handler that never finishes one file (a reader stuck in a loop) and parses the others."""
    from pipeline.api import process_file

    if task.display == "stuck.xlsx":
        time.sleep(3600)
    return process_file(task)


def test_a_worker_that_dies_rejects_only_its_file(make_book: Callable[..., Path]) -> None:
    from pipeline.intake.pool import run_isolated
    from pipeline.model import Task

    good = make_book(seed_entries(), "good.xlsx")
    tasks = [Task(str(good), "good.xlsx"), Task(str(good), "crash.xlsx"), Task(str(good), "again.xlsx")]
    results = dict(run_isolated(tasks, workers=1, handler=aborting_handler))
    assert [(i.code, i.message) for i in results[1].issues] == [
        (
            "reader-crashed",
            "ファイルの読み込み中に読み取り処理が異常終了しました。Excel で開いて .xlsx 形式で保存し直してください",
        ),
    ]
    assert results[0].accepted and results[2].accepted


def master_handler(task: Any) -> Any:
    """A worker handler that says which master its task came with (the file is not read)."""
    from pipeline.model import FileResult

    return FileResult(task.display, record={"divisions": len(task.master.divisions) if task.master else None})


def test_the_master_reaches_every_task_of_every_worker_even_a_replacement(make_book: Callable[..., Path]) -> None:
    """The master goes to each worker once (not pickled with every file), and to a worker started after a crash."""
    from pipeline.intake.pool import run_isolated
    from pipeline.model import DivisionKey, Master, Task

    master = Master(tuple(DivisionKey(f"{i}", "部", f"課{i}") for i in range(3000)))
    good = make_book(seed_entries(), "good.xlsx")
    tasks = [Task(str(good), f"{i}.xlsx") for i in range(6)]
    results = dict(run_isolated(tasks, workers=2, handler=master_handler, master=master))
    assert all(task.master is None for task in tasks)
    assert [results[i].record for i in range(6)] == [{"divisions": 3000}] * 6
    crashing = [Task(str(good), "crash.xlsx"), Task(str(good), "after.xlsx")]
    results = dict(run_isolated(crashing, workers=1, handler=aborting_handler, master=master))
    assert results[0].issues[0].code == "reader-crashed" and results[1].accepted


def test_a_file_that_never_finishes_reading_is_too_slow(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    from pipeline.intake.pool import run_isolated
    from pipeline.model import Task

    good = make_book(seed_entries(), "good.xlsx")
    tasks = [Task(str(good), "stuck.xlsx"), Task(str(good), "good.xlsx")]
    results = dict(run_isolated(tasks, workers=2, timeout_s=3, handler=hanging_handler))
    assert [i.code for i in results[0].issues] == ["too-slow"]
    assert results[1].accepted


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a Unix thing")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    from pipeline.api import process_file
    from pipeline.model import Task

    fifo = tmp_path / "stuck.xlsx"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    assert [i.code for i in process_file(Task(str(fifo), "stuck.xlsx")).issues] == ["file-swapped"]


def _outputs(outbox: Path) -> dict[str, bytes]:
    return {
        p.relative_to(outbox).as_posix(): p.read_bytes()
        for p in sorted(outbox.rglob("*"))
        if p.is_file()
        and not p.name.startswith(".")
        and not any(part.startswith(".") for part in p.relative_to(outbox).parts)
    }


def _big_inbox(root: Path, make_book: Callable[..., Path], count: int) -> Path:
    """Many resubmissions of one division (each saved a minute later), all read and validated."""
    from tests.conftest import set_saved_at

    inbox = root / "big"
    first = make_book(seed_entries(), "d0.xlsx", inbox)
    data = first.read_bytes()
    for i in range(count):
        path = inbox / f"d{i}.xlsx"
        path.write_bytes(data)
        set_saved_at(path, f"2016-03-01T{i // 60:02d}:{i % 60:02d}:00Z")
    return inbox


def test_sigkill_while_writing_leaves_previous_outputs_intact(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    outbox = tmp_path / "outbox"
    small = tmp_path / "small"
    make_book(seed_entries(), "a.xlsx", small)
    first = _merge(small, outbox)
    assert first.returncode == 0, first.stderr
    previous = _outputs(outbox)
    inbox = _big_inbox(tmp_path, make_book, 60)
    for stage in ("reading", "writing"):
        proc = subprocess.Popen(
            _merge_command(inbox, outbox),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            staging = [p for p in outbox.iterdir() if p.name.startswith(".tmp-")]
            # one publication per run: its staging folder exists from the start; the tables appear in it when the
            # outputs are being written
            if (stage == "reading" and staging) or (
                stage == "writing" and any((p / "tables").exists() for p in staging)
            ):
                break
            time.sleep(0.002)
        assert proc.poll() is None, f"merge finished before it could be killed while {stage}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _outputs(outbox) == previous, stage
    # the next run cleans up and completes
    again = _merge(small, outbox)
    assert again.returncode == 0, again.stderr
    assert _outputs(outbox).keys() == previous.keys()


def test_two_merges_on_one_outbox_cannot_interleave(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    inbox = _big_inbox(tmp_path, make_book, 150)  # long enough that the first still holds the lock
    outbox = tmp_path / "outbox"
    first = subprocess.Popen(
        _merge_command(inbox, outbox),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.poll() is None:
        if outbox.exists() and any(p.name.startswith(".tmp-") for p in outbox.iterdir()):
            break
        time.sleep(0.002)
    assert first.poll() is None
    second = _merge(inbox, outbox)
    assert second.returncode == 2
    assert f"別の pipeline merge が出力先 {outbox} に書き込み中です。" in second.stderr
    _out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert json.loads((outbox / "summary.json").read_text(encoding="utf-8"))["files"]["superseded"] == 149


def test_a_file_that_changed_since_discovery_is_left_for_the_next_run(make_book: Callable[..., Path]) -> None:
    from pipeline.api import process_file
    from pipeline.model import Task

    path = make_book(seed_entries(), "moving.xlsx")
    stat = path.stat()
    result = process_file(Task(str(path), "moving.xlsx", stat.st_size - 1, stat.st_mtime_ns))
    assert result.in_transit and not result.accepted
    assert [(i.code, i.severity) for i in result.issues] == [("in-transit", "warning")]
    assert process_file(Task(str(path), "moving.xlsx", stat.st_size, stat.st_mtime_ns)).accepted


@pytest.mark.skipif(sys.platform == "win32", reason="newlines in file names are not allowed on Windows")
def test_awkward_file_names_all_work(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    from tests.conftest import set_saved_at

    inbox = tmp_path / "inbox"
    data = make_book(seed_entries(), "base.xlsx").read_bytes()
    names = {
        "情報政策課_カ\u3099イド.xlsx": "情報政策課_ガイド.xlsx",  # NFD as macOS writes it
        "改行\nあり.xlsx": "改行\\nあり.xlsx",
        "-leading-dash.xlsx": "-leading-dash.xlsx",
        "a" * 245 + ".xlsx": "a" * 245 + ".xlsx",
    }
    inbox.mkdir()
    for i, name in enumerate(names):
        (inbox / name).write_bytes(data)
        set_saved_at(inbox / name, f"2016-03-0{i + 1}T09:00:00Z")
    sjis = os.path.join(os.fsencode(inbox), "工程表.xlsx".encode("cp932"))  # noqa: PTH118
    Path(os.fsdecode(sjis)).write_bytes(data)
    set_saved_at(Path(os.fsdecode(sjis)), "2016-03-09T09:00:00Z")
    outbox = tmp_path / "outbox"
    done = _merge(inbox, outbox)
    assert done.returncode == 0, done.stderr
    subs = pl.read_parquet(outbox / "tables" / "submissions.parquet")
    assert sorted(subs["file"].to_list()) == sorted([*names.values(), "工程表.xlsx"])
    assert subs.filter(pl.col("status") == "accepted")["file"].to_list() == ["工程表.xlsx"]
    assert set(subs.filter(pl.col("status") == "superseded")["file"].to_list()) == set(names.values())


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupt_exits_130_in_japanese_and_leaves_nothing_behind(
    tmp_path: Path, make_book: Callable[..., Path], how: str
) -> None:
    outbox = tmp_path / "outbox"
    small = tmp_path / "small"
    make_book(seed_entries(), "a.xlsx", small)
    assert _merge(small, outbox).returncode == 0
    previous = _outputs(outbox)
    inbox = _big_inbox(tmp_path, make_book, 60)
    proc = subprocess.Popen(
        _merge_command(inbox, outbox),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a console's: Ctrl-C reaches the workers too
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".tmp-") for p in outbox.iterdir()):
            break
        time.sleep(0.002)
    time.sleep(0.3)  # the workers are parsing
    assert proc.poll() is None, "merge finished before it could be interrupted"
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err.strip() == "中断しました。書きかけの出力は残していません（前回の出力はそのままです）。"
    assert "Traceback" not in out + err
    assert not [p.name for p in outbox.iterdir() if p.name.startswith(".tmp-")]
    assert _outputs(outbox) == previous

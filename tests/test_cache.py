"""Re-runs into the same outbox reuse unchanged files' results, and a run where nothing changed writes nothing;
the outputs are the same as a run without the cache, whatever state the cache is in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline import api
from pipeline.cli import UNCHANGED, main
from pipeline.config import Settings
from pipeline.intake import cache
from pipeline.intake.cache import CACHE_FOLDER, ResultCache
from pipeline.outputs.publish import MANIFEST, read_manifest
from scripts.make_sample_inbox import DRAFT
from tests.test_golden import _outputs
from tests.test_hostile import PIPELINE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """The sample inbox (files with warnings and errors among them), copied: the tests change its files."""
    copied = tmp_path / "inbox"
    shutil.copytree(ROOT / "inbox", copied)
    return copied


def _settings(inbox: Path, outbox: Path) -> Settings:
    return Settings(inbox=inbox, outbox=outbox, divisions=inbox / "所属名簿.csv")


def _hits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose result the next runs take from the cache (filled as they run)."""
    hits: list[str] = []
    lookup = ResultCache.lookup

    def counted(self: ResultCache, seen: Any, feedback_to: Path | None) -> Any:
        result = lookup(self, seen, feedback_to)
        if result is not None:
            hits.append(seen.display)
        return result

    monkeypatch.setattr(ResultCache, "lookup", counted)
    return hits


def _workbooks(inbox: Path) -> list[Path]:
    """The sample's workbooks whose results are kept: not its draft that cannot be placed (a rejected file's result
    is not kept; it is parsed again each run)."""
    return sorted(p for p in inbox.rglob("*.xlsx") if not p.name.startswith("~$") and p.name != DRAFT[-1])


def _touch(path: Path) -> None:
    """A new modification time (the bytes unchanged): the file is read again."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 10_000_000_000))


def _stamps(outbox: Path) -> dict[str, int]:
    return {name: (outbox / name).stat().st_mtime_ns for name in [*read_manifest(outbox), MANIFEST]}


def test_a_rerun_takes_unchanged_files_from_the_cache_and_writes_what_a_run_without_it_writes(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox"
    api.merge_inbox(_settings(inbox, outbox))
    changed = _workbooks(inbox)[0]
    _touch(changed)
    hits = _hits(monkeypatch)
    api.merge_inbox(_settings(inbox, outbox))
    books = _workbooks(inbox)
    assert len(hits) == len(books) - 1
    assert changed.relative_to(inbox).as_posix() not in hits

    cold = tmp_path / "cold"
    api.merge_inbox(_settings(inbox, cold), use_cache=False)
    assert _outputs(outbox) == _outputs(cold)
    assert not (cold / CACHE_FOLDER).exists()
    assert CACHE_FOLDER not in {name.split("/")[0] for name in read_manifest(outbox)}


def test_a_rerun_takes_the_rows_of_unchanged_files_from_the_last_runs_snapshot(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox"
    api.merge_inbox(_settings(inbox, outbox))
    index = json.loads((outbox / CACHE_FOLDER / "index.json").read_text(encoding="utf-8"))
    books = {p.relative_to(inbox).as_posix() for p in _workbooks(inbox)}
    assert set(index["snapshot"]["files"]) == books  # every merged file (the rejected draft is not merged)
    assert set(index["snapshot"]["tables"]) == {
        "divisions",
        "policies",
        "indicators",
        "projects",
        "results",
        "challenges",
    }
    taken: list[set[str]] = []
    rows = ResultCache.snapshot_rows

    def spied(self: ResultCache) -> Any:
        taken.append(set(self.from_snapshot))
        return rows(self)

    monkeypatch.setattr(ResultCache, "snapshot_rows", spied)
    changed = _workbooks(inbox)[0]
    _touch(changed)
    api.merge_inbox(_settings(inbox, outbox))
    assert taken == [books - {changed.relative_to(inbox).as_posix()}]

    cold = tmp_path / "cold"
    api.merge_inbox(_settings(inbox, cold), use_cache=False)
    assert _outputs(outbox) == _outputs(cold)


def test_a_file_the_last_run_did_not_merge_brings_its_own_rows_when_merged_again(inbox: Path, tmp_path: Path) -> None:
    """Two copies of one workbook: one is merged, the other set aside; with the merged one gone, the other is
    merged from its own entry's rows (the snapshot holds only what was merged)."""
    book = _workbooks(inbox)[0]
    twin = book.with_name("再提出.xlsx")
    shutil.copy2(book, twin)
    outbox = tmp_path / "outbox"
    api.merge_inbox(_settings(inbox, outbox))
    index = json.loads((outbox / CACHE_FOLDER / "index.json").read_text(encoding="utf-8"))
    names = {p.relative_to(inbox).as_posix(): p for p in (book, twin)}
    merged = [name for name in names if name in index["snapshot"]["files"]]
    assert len(merged) == 1
    names.pop(merged[0]).unlink()
    (other,) = names
    api.merge_inbox(_settings(inbox, outbox))

    cold = tmp_path / "cold"
    api.merge_inbox(_settings(inbox, cold), use_cache=False)
    assert _outputs(outbox) == _outputs(cold)
    divisions = (outbox / "tables" / "divisions.csv").read_text(encoding="utf-8-sig")
    assert other in divisions


def test_a_rerun_with_nothing_changed_writes_nothing_says_so_and_exits_as_before(inbox: Path, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    runner = CliRunner()
    command = ["merge", "--inbox", str(inbox), "--outbox", str(outbox), "--divisions", str(inbox / "所属名簿.csv")]
    first = runner.invoke(main, command)
    assert first.exit_code in (0, 1), first.output
    stamps = _stamps(outbox)

    again = runner.invoke(main, command)
    assert again.exit_code == first.exit_code
    assert UNCHANGED in again.output
    assert "前回から変更がないため、出力はそのままです" in again.output
    assert _stamps(outbox) == stamps

    fresh = runner.invoke(main, [*command, "--no-cache"])
    assert fresh.exit_code == first.exit_code
    assert UNCHANGED not in fresh.output
    assert _stamps(outbox) != stamps


@pytest.mark.parametrize(
    "change",
    ["file", "new file", "removed file", "master", "setting", "output removed", "output edited", "manifest"],
)
def test_a_rerun_rewrites_the_outputs_when_anything_they_depend_on_changed(
    inbox: Path, tmp_path: Path, change: str
) -> None:
    outbox = tmp_path / "outbox"
    settings = _settings(inbox, outbox)
    api.merge_inbox(settings)
    book = _workbooks(inbox)[0]
    if change == "file":
        _touch(book)
    elif change == "new file":
        shutil.copy2(book, book.with_name("再提出.xlsx"))
    elif change == "removed file":
        book.unlink()
    elif change == "master":
        master = inbox / "所属名簿.csv"
        master.write_bytes(master.read_bytes() + b"\n")
    elif change == "setting":
        settings = Settings(inbox=inbox, outbox=outbox, divisions=inbox / "所属名簿.csv", strict=True)
    elif change == "output removed":
        (outbox / "behind_target.md").unlink()
    elif change == "output edited":
        (outbox / "summary.json").write_text("{}", encoding="utf-8")
    else:
        (outbox / MANIFEST).write_text(json.dumps(sorted(read_manifest(outbox))[1:]), encoding="utf-8")
    run = api.merge_inbox(settings)
    assert not run.unchanged
    assert (outbox / "behind_target.md").exists()

    cold = tmp_path / "cold"
    api.merge_inbox(Settings(**{**settings.__dict__, "outbox": cold}), use_cache=False)
    assert _outputs(outbox) == _outputs(cold)


@pytest.mark.parametrize(
    "damage",
    [
        "garbage",
        "foreign",
        "wrong types",
        "rows wrong types",
        "copy altered",
        "index garbage",
        "pickle",
        "snapshot garbage",
        "snapshot altered",
        "snapshot foreign",
        "nested too deep",
    ],
)
def test_a_damaged_or_foreign_cache_is_ignored_and_rebuilt(
    inbox: Path, tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import polars as pl

    outbox = tmp_path / "outbox"
    api.merge_inbox(_settings(inbox, outbox))
    folder = outbox / CACHE_FOLDER / "files"
    entries = sorted(p for p in folder.glob("*.json") if not p.name.endswith(".rows.json"))
    rows = sorted(folder.glob("*.rows.json"))
    copies = sorted(folder.glob("*.xlsx"))
    snapshot = outbox / CACHE_FOLDER / "snapshot"
    indicators = snapshot / "indicators.parquet"
    assert entries and rows and copies and indicators.exists()
    if damage == "garbage":
        for path in entries:
            path.write_bytes(b"\x80\x04not json")
    elif damage == "foreign":  # each entry under another's name
        texts = [p.read_text(encoding="utf-8") for p in entries]
        for path, text in zip(entries, [*texts[1:], texts[0]], strict=True):
            path.write_text(text, encoding="utf-8")
    elif damage == "wrong types":
        for path in entries:
            entry = json.loads(path.read_text(encoding="utf-8"))
            entry["result"]["issues"] = [[1, 2, 3]]
            path.write_text(json.dumps(entry), encoding="utf-8")
    elif damage == "rows wrong types":  # read only when the snapshot cannot give the rows: it is gone
        shutil.rmtree(snapshot)
        for path in rows:
            table = json.loads(path.read_text(encoding="utf-8"))
            for column in next(iter(table.values())).values():
                column[:] = [{"not": "a value"}] * len(column)
            path.write_text(json.dumps(table), encoding="utf-8")
    elif damage == "nested too deep":  # json gives up with a RecursionError, not a ValueError
        for path in entries:
            path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    elif damage == "snapshot garbage":
        indicators.write_bytes(b"PAR1 not parquet")
    elif damage == "snapshot altered":  # valid, but not the bytes the index recorded: a value changed
        frame = pl.read_parquet(indicators)
        frame.with_columns(pl.col("target").cast(pl.Float64) * 2).write_parquet(indicators)
    elif damage == "snapshot foreign":  # another table's file, hash and all, under this table's name
        index_path = outbox / CACHE_FOLDER / "index.json"
        index = json.loads(index_path.read_text(encoding="utf-8"))
        indicators.write_bytes((snapshot / "projects.parquet").read_bytes())
        index["snapshot"]["tables"]["indicators"] = index["snapshot"]["tables"]["projects"]
        index_path.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    elif damage == "copy altered":
        for path in copies:
            path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    elif damage == "index garbage":
        (outbox / CACHE_FOLDER / "index.json").write_text("[", encoding="utf-8")
    else:  # a planted pickle is never loaded: entries are JSON, read as JSON
        import pickle

        for path in entries:
            path.write_bytes(pickle.dumps({"format": 1}))
    cache.forget_run(outbox)  # the run must look at every entry, not stop at "nothing changed"
    hits = _hits(monkeypatch)
    api.merge_inbox(_settings(inbox, outbox))
    expected = {"index garbage": 0, "garbage": 0, "foreign": 0, "wrong types": 0, "pickle": 0, "rows wrong types": 0}
    expected["nested too deep"] = 0
    if damage.startswith("snapshot"):  # every file taken from the cache all the same, its rows from its entry
        assert len(hits) == len(_workbooks(inbox))
    elif damage in expected:
        assert len(hits) == expected[damage]
    else:  # only the files without a copy are taken from the cache (one copy is the rejected draft's, never a hit)
        assert len(hits) == len(_workbooks(inbox)) - (len(copies) - 1)

    cold = tmp_path / "cold"
    api.merge_inbox(_settings(inbox, cold), use_cache=False)
    assert _outputs(outbox) == _outputs(cold)
    hits.clear()
    cache.forget_run(outbox)
    api.merge_inbox(_settings(inbox, outbox))  # rebuilt by the run that ignored it
    assert len(hits) == len(_workbooks(inbox))


def test_results_survive_the_round_trip_through_an_entry() -> None:
    from pipeline.model import Code, FileResult, make_issue

    result = FileResult(
        "総務部/a.xlsx",
        "ab" * 32,
        1234,
        1_700_000_000.123456,
        "2016-04-01T09:00:00Z",
        (make_issue(Code.MISSING_ACTUAL, file="総務部/a.xlsx"),),
        {"fiscal_year": 2015, "stage": "最終", "division_code": None},
        rows={"indicators": {"target": [1.5, 3, None], "name": ["a", "b", "c"]}},
    )
    entry, rows = json.loads(json.dumps(cache.encode(result))), json.loads(json.dumps(result.rows))
    assert entry["rows"] is True
    assert cache.decode(entry, rows) == result
    assert cache.decode(entry) == replace(result, rows=None)


@pytest.mark.parametrize("flag", ["--no-cache", "--dry-run"])
def test_a_run_without_the_cache_says_nothing_but_its_report(inbox: Path, tmp_path: Path, flag: str) -> None:
    command = [*PIPELINE, "merge", "--inbox", str(inbox), "--outbox", str(tmp_path / "o")]
    done = subprocess.run([*command, flag], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 1, done.stderr  # the sample holds a 受理（要修正） and a 不受理 file
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr


def test_the_code_fingerprint_covers_every_file_of_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed rule anywhere in the package (not only beside the cache) makes every cached result stale."""
    import pipeline

    assert Path(pipeline.__file__).resolve().parent == cache.PACKAGE
    copied = tmp_path / "pipeline"
    shutil.copytree(cache.PACKAGE, copied, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", copied)
    cache.code_fingerprint.cache_clear()
    try:
        before = cache.code_fingerprint()
        rules = copied / "checks" / "rules.py"
        rules.write_text(rules.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        cache.code_fingerprint.cache_clear()
        assert cache.code_fingerprint() != before
    finally:
        cache.code_fingerprint.cache_clear()

"""Re-runs into the same outbox reuse unchanged files' results, and a run where nothing changed writes nothing;
the outputs are the same as a run without the cache, whatever state the cache is in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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


@pytest.mark.parametrize("damage", ["garbage", "foreign", "wrong types", "copy altered", "index garbage", "pickle"])
def test_a_damaged_or_foreign_cache_is_ignored_and_rebuilt(
    inbox: Path, tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox"
    api.merge_inbox(_settings(inbox, outbox))
    folder = outbox / CACHE_FOLDER / "files"
    entries = sorted(folder.glob("*.json"))
    copies = sorted(folder.glob("*.xlsx"))
    assert entries and copies
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
            if entry["result"]["rows"]:
                table = next(iter(entry["result"]["rows"].values()))
                for column in table.values():
                    column[:] = [{"not": "a value"}] * len(column)
            path.write_text(json.dumps(entry), encoding="utf-8")
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
    expected = {"index garbage": 0, "garbage": 0, "foreign": 0, "wrong types": 0, "pickle": 0}
    if damage in expected:
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
    assert cache.decode(json.loads(json.dumps(cache.encode(result)))) == result


@pytest.mark.parametrize("flag", ["--no-cache", "--dry-run"])
def test_a_run_without_the_cache_says_nothing_but_its_report(inbox: Path, tmp_path: Path, flag: str) -> None:
    command = [*PIPELINE, "merge", "--inbox", str(inbox), "--outbox", str(tmp_path / "o")]
    done = subprocess.run([*command, flag], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 1, done.stderr  # the sample holds a 受理（要修正） and a 不受理 file
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr

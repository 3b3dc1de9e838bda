"""The sample's second year (samples/2016, H28 最終) differs from inbox/ (H27 最終) exactly as documented, and merging
both years gives exactly the sample's three continuity warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.api import merge_inbox, validate_files
from pipeline.combine.merge import MergeResult
from pipeline.config import Settings
from pipeline.history import store
from pipeline.history.continuity import compare
from pipeline.history.lineage import read_lineage
from pipeline.history.prefill import prefill
from pipeline.model import FileResult
from scripts import make_history_sample as sample
from scripts.make_sample_inbox import DRAFT

ROOT = Path(__file__).resolve().parent.parent
INBOX = ROOT / "inbox"
SAMPLES = ROOT / "samples"
SECOND = SAMPLES / sample.FOLDER


def _books(folder: Path) -> list[Path]:
    """The divisions' workbooks (not the inbox's draft that cannot be placed: it has no second year)."""
    draft = INBOX.joinpath(*DRAFT)
    return sorted(p for p in folder.rglob("*.xlsx") if p != draft)


def _records_names(folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in _books(folder)]


def _records(folder: Path) -> dict[str, FileResult]:
    return {Path(r.display).relative_to(folder).as_posix(): r for r in validate_files(_books(folder))}


def _indicators(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for p in record["policies"] for i in p["indicators"]}


def _codes(results: dict[str, FileResult]) -> list[tuple[str, str]]:
    return sorted((name, issue.code) for name, result in results.items() for issue in result.issues)


@pytest.fixture(scope="module")
def years() -> tuple[dict[str, FileResult], dict[str, FileResult]]:
    return _records(INBOX), _records(SECOND)


def test_second_year_is_the_same_divisions_with_one_renamed(years: Any) -> None:
    first, second = years
    department, old, new = sample.RENAMED
    assert set(second) == {name.replace(f"{department}/{old}", f"{department}/{new}") for name in first}
    assert all(r.accepted for r in second.values())
    assert {r.record["fiscal_year"] for r in second.values() if r.record} == {2016}
    # the same warnings as last year (one qualitative target, one self-evaluation contradiction), nothing new
    renamed = {k.replace(f"{department}/{old}", f"{department}/{new}"): v for k, v in first.items()}
    # the note typed beside last year's actual (9市町村(=9/19市町村)) goes with it: this year's actual is a new number
    assert _codes(second) == [c for c in _codes(renamed) if c != ("福祉保健部/長寿社会課.xlsx", "value-note")]
    assert sample.lineage_rows() == [("2016", "", "総務部", "情報政策課", "", "総務部", "デジタル推進課", "改称")]
    assert [(r.fiscal_year, r.old.division, r.new.division, r.kind) for r in read_lineage(SAMPLES / "lineage.csv")] == [
        (2016, "情報政策課", "デジタル推進課", "改称")
    ]


def test_second_year_starts_from_last_years_actuals_but_once_and_drops_and_adds_one_indicator(years: Any) -> None:
    first, second = years
    department, old, new = sample.RENAMED
    starts_differing, dropped, added, continuing = [], [], [], 0
    for name, last in first.items():
        this = second[name.replace(f"{department}/{old}", f"{department}/{new}")]
        assert last.record is not None and this.record is not None
        division = last.record["division"]
        before, now = _indicators(last.record), _indicators(this.record)
        dropped += [(division, n) for n in before.keys() - now.keys()]
        added += [(this.record["division"], n) for n in now.keys() - before.keys()]
        for indicator_name in before.keys() & now.keys():
            was, is_ = before[indicator_name], now[indicator_name]
            continuing += 1
            if was["actual"] is not None and is_["start"] != was["actual"]:
                starts_differing.append((division, indicator_name, was["actual"], is_["start"]))
            for key in ("baseline", "baseline_as_of", "long_term_target", "long_term_as_of", "unit", "direction"):
                assert is_[key] == was[key], (division, indicator_name, key)
    assert starts_differing == [("企業立地課", "企業誘致・増設件数", 22, 21)]
    assert dropped == [sample.DROPPED]
    assert added == [(sample.NEW[0], sample.NEW[1]["name"])]
    assert continuing == 54


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MergeResult, MergeResult]:
    """Both years merged (dry run) and recorded into one history."""
    root = tmp_path_factory.mktemp("two-years")
    history = root / "history"
    merged = []
    for folder in (INBOX, SECOND):
        settings = Settings(inbox=folder, outbox=root / folder.name, divisions=folder / "所属名簿.csv")
        result = merge_inbox(settings, dry_run=True).result
        store.record_merge(history, result)
        merged.append(result)
    return history, merged[0], merged[1]


def test_two_years_merged_give_exactly_the_three_continuity_warnings(two_years: Any) -> None:
    history, _, second = two_years
    assert second.fiscal_year == 2016

    found = compare(
        store.load(history, "divisions"),
        store.load(history, "indicators"),
        second.tables["divisions"],
        second.tables["indicators"],
        2016,
        read_lineage(SAMPLES / "lineage.csv"),
    )

    assert [(w.file, w.sheet, w.cell, w.code) for w in found.warnings] == [
        ("商工労働部/企業立地課.xlsx", "政策1", "H27", "start-differs-from-last-actual"),
        ("総務部/人事企画課.xlsx", "政策1", "B28", "indicator-new"),
        ("商工労働部/就業支援課.xlsx", "基本情報", "C7", "indicator-dropped"),
    ]
    assert found.to_confirm == ()
    # the renamed division is one identity across the years
    renamed = found.divisions.filter(division="デジタル推進課")["division_id"].to_list()
    assert renamed == found.last_divisions.filter(division="情報政策課")["division_id"].to_list()


def test_prefill_after_two_years_gives_every_division_its_workbook_from_its_h28_actuals(
    two_years: Any, tmp_path: Path
) -> None:
    history, _, second = two_years

    done = prefill(history, fiscal_year=2017, lineage=read_lineage(SAMPLES / "lineage.csv"), outdir=tmp_path)

    names = sorted(p.relative_to(tmp_path).as_posix() for p in done.files)
    assert names == sorted(r.replace("情報政策課", "デジタル推進課") for r in _records_names(INBOX))
    assert done.skipped == ()
    results = {Path(r.display).relative_to(tmp_path).as_posix(): r for r in validate_files(list(done.files))}
    last = {(r["division"], r["name"]): r for r in second.tables["indicators"].iter_rows(named=True)}
    for name, result in results.items():
        assert result.record is not None
        for indicator in _indicators(result.record).values():
            was = last[(result.record["division"], indicator["name"])]
            expected = was["actual"] if was["actual"] is not None else was["actual_text"]
            assert indicator["start"] == expected, (name, indicator["name"])
    # expired long-term targets are the only errors: the division must set new ones, and prefill says so
    errors = sorted((k, i.cell, i.code) for k, r in results.items() for i in r.errors)
    assert {code for _, _, code in errors} <= {"long-term-before-fiscal-year"}
    assert len(done.notes) == len(errors)


def test_committed_samples_are_what_the_script_writes(tmp_path: Path) -> None:
    sample.write_samples(tmp_path)

    written = {k: r.record for k, r in _records(tmp_path / sample.FOLDER).items()}
    committed = {k: r.record for k, r in _records(SECOND).items()}
    assert written == committed
    for name in ("lineage.csv", f"{sample.FOLDER}/所属名簿.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes()

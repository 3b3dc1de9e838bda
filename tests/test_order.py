"""組織順 (design §7): the master's order (code order when it has codes), else pipeline.toml's departments, else
first appearance; never Unicode order. Unit cases, then the sample inbox with a roster that is not in Unicode order."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from pipeline import api
from pipeline.combine.merge import MergeResult
from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError
from pipeline.model import DivisionKey
from pipeline.outputs.order import arranged, organisation_order, roster_in_order

ROOT = Path(__file__).resolve().parent.parent
INBOX = ROOT / "inbox"


def _divisions(*rows: tuple[str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "file": [f"{d}/{v}.xlsx" for d, v, _ in rows],
            "department": [d for d, _, _ in rows],
            "division": [v for _, v, _ in rows],
            "division_code": [c for _, _, c in rows],
        }
    )


def _result(divisions: pl.DataFrame, roster: tuple[DivisionKey, ...] = ()) -> MergeResult:
    indicators = divisions.select("file", "department", "division", "division_code").with_columns(name=pl.col("file"))
    return MergeResult(2015, "最終", {"divisions": divisions, "indicators": indicators}, roster=roster)


def _order(result: MergeResult, departments: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    frame = arranged(result, departments).tables["indicators"]
    return list(zip(frame["department"].to_list(), frame["division"].to_list(), strict=True))


# Files in Unicode order, as discovery finds them: 商工労働部 < 教育委員会 < 総務部 < 農林水産部.
FILES = _divisions(
    ("商工労働部", "企業立地課", "3103"),
    ("商工労働部", "産業振興課", "3101"),
    ("教育委員会", "小中学校課", "6101"),
    ("総務部", "情報政策課", None),
    ("総務部", "人事企画課", "1102"),
    ("農林水産部", "水産課", "4104"),
)


def test_master_codes_decide_the_order_not_its_rows_nor_unicode() -> None:
    roster = (  # rows shuffled; the codes say 総務部 (11xx), 商工労働部 (31xx), 農林水産部, 教育委員会
        DivisionKey("6101", "教育委員会", "小中学校課"),
        DivisionKey("3103", "商工労働部", "企業立地課"),
        DivisionKey("1102", "総務部", "人事企画課"),
        DivisionKey("3101", "商工労働部", "産業振興課"),
        DivisionKey("4104", "農林水産部", "水産課"),
    )
    assert _order(_result(FILES, roster)) == [
        ("総務部", "人事企画課"),
        ("総務部", "情報政策課"),  # not in the master: after its department's listed divisions
        ("商工労働部", "産業振興課"),
        ("商工労働部", "企業立地課"),
        ("農林水産部", "水産課"),
        ("教育委員会", "小中学校課"),
    ]


def test_master_without_codes_is_read_in_its_row_order() -> None:
    roster = tuple(
        DivisionKey(None, d, v)
        for d, v in (
            ("総務部", "情報政策課"),
            ("総務部", "人事企画課"),
            ("農林水産部", "水産課"),
            ("商工労働部", "産業振興課"),
            ("商工労働部", "企業立地課"),
            ("教育委員会", "小中学校課"),
        )
    )
    assert _order(_result(FILES, roster)) == [(r.department, r.division) for r in roster]


def test_a_division_without_a_code_stays_after_the_row_above_it() -> None:
    roster = (
        DivisionKey("0101", "総務部", "秘書課"),
        DivisionKey(None, "総務部", "情報政策課"),
        DivisionKey("0100", "総務部", "総務課"),
        DivisionKey("102", "総務部", "人事企画課"),  # 102 after 0101: numbers by value
    )
    assert [d.division for d in roster_in_order(roster)] == ["総務課", "秘書課", "情報政策課", "人事企画課"]


def test_without_a_master_departments_from_the_configuration_then_first_appearance() -> None:
    order = _order(_result(FILES), departments=("総務部", "農林水産部"))
    assert [d for d, _ in order] == ["総務部", "総務部", "農林水産部", "商工労働部", "商工労働部", "教育委員会"]
    # nothing configured: as the divisions first appear (codes missing for one division, so not code order)
    assert [d for d, _ in _order(_result(FILES))] == ["商工労働部", "商工労働部", "教育委員会", "総務部", "総務部", "農林水産部"]  # fmt: skip
    # every division coded, no master: code order
    coded = FILES.with_columns(division_code=pl.col("division_code").fill_null("1101"))
    assert _order(_result(coded))[:2] == [("総務部", "情報政策課"), ("総務部", "人事企画課")]


def test_not_submitted_divisions_take_their_place_in_the_order() -> None:
    roster = (DivisionKey("2", "B部", "b課"), DivisionKey("1", "A部", "a課"))
    result = MergeResult(2015, "最終", {"divisions": _divisions(("B部", "b課", "2"))}, roster[:1], roster=roster)
    order = organisation_order(result)
    assert order.department_list(["B部", "A部"]) == ["A部", "B部"]
    assert arranged(result).not_submitted == roster[:1]


def test_departments_setting_is_read_from_pipeline_toml(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.toml"
    config.write_text(
        'departments = ["総務部", "福祉保健部"]\ngrade_basis = "進捗率"\nsignal_thresholds = [95, 60]\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert (settings.departments, settings.grade_basis, settings.signal_thresholds) == (
        ("総務部", "福祉保健部"),
        "進捗率",
        (95.0, 60.0),
    )
    config.write_text('grade_basis = "中央値"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="grade_basis"):
        load_settings(config)
    config.write_text('signal_thresholds = {"青" = 80, "黄" = 50}\n', encoding="utf-8")
    assert load_settings(config).signal_thresholds == (80.0, 50.0)
    config.write_text("signal_thresholds = [50, 70]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="signal_thresholds"):
        load_settings(config)


# The sample inbox's departments in an order that is neither Unicode order nor the repository roster's.
SHUFFLED = ["教育委員会", "県土整備部", "農林水産部", "福祉保健部", "商工労働部", "総務部"]


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The sample inbox merged with a roster of its divisions without codes (so its row order is the order),
    departments as SHUFFLED, each department's divisions in reverse."""
    folder = tmp_path_factory.mktemp("order")
    with (INBOX / "所属名簿.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows = [r for d in SHUFFLED for r in reversed(rows) if r["部局名"] == d]
    roster = folder / "名簿.csv"
    with roster.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["所属コード", "部局名", "所属名"])
        writer.writeheader()
        writer.writerows({**r, "所属コード": ""} for r in rows)
    outbox = folder / "outbox"
    api.merge_inbox(Settings(inbox=INBOX, outbox=outbox, divisions=roster))
    return outbox, SHUFFLED


def _first_seen(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v))


def test_every_output_follows_a_roster_that_is_not_in_unicode_order(shuffled: tuple[Path, list[str]]) -> None:
    outbox, expected = shuffled
    assert expected != sorted(expected)
    divisions = pl.read_csv(outbox / "tables" / "divisions.csv")
    assert divisions.height == 18  # every division merged
    welfare = divisions.filter(pl.col("department") == "福祉保健部")["division"].to_list()
    assert welfare == ["長寿社会課", "障がい福祉課", "健康政策課", "福祉保健課"]  # the roster's rows, reversed
    for table in ("divisions", "policies", "indicators", "projects"):
        frame = pl.read_csv(outbox / "tables" / f"{table}.csv")
        assert _first_seen(frame["department"].to_list()) == expected, table
    book = openpyxl.load_workbook(outbox / "consolidated.xlsx", read_only=True)
    overview = [row[0] for row in book["概要"].iter_rows(min_row=7, max_row=12, values_only=True)]
    assert overview == expected
    for sheet in ("目標未達指標", "指標一覧", "政策・評価", "主要事業", "所属一覧"):
        rows = list(book[sheet].iter_rows(min_row=4, values_only=True))
        departments = _first_seen([row[0] for row in rows])
        assert departments == [d for d in expected if d in departments], sheet
    markdown = (outbox / "behind_target.md").read_text(encoding="utf-8").splitlines()
    headings = [line[4:] for line in markdown if line.startswith("### ")]
    assert headings == [d for d in expected if d in headings]
    summary = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))
    listed = _first_seen([i["department"] for i in summary["behind_target_indicators"]])
    assert listed == [d for d in expected if d in listed]


def test_within_a_division_the_worst_indicator_comes_first(shuffled: tuple[Path, list[str]]) -> None:
    outbox, _ = shuffled
    book = openpyxl.load_workbook(outbox / "consolidated.xlsx", read_only=True)
    ws = book["目標未達指標"]
    header = next(ws.iter_rows(min_row=3, max_row=3, values_only=True))
    rows = [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=4, values_only=True)]
    fisheries = [r["達成率"] for r in rows if r["所属名"] == "水産課"]
    assert fisheries == sorted(fisheries) and len(fisheries) == 2


def test_arranging_a_result_it_consumes_gives_the_same_tables_and_hands_its_own_over() -> None:
    roster = (DivisionKey("6101", "教育委員会", "小中学校課"), DivisionKey("1102", "総務部", "人事企画課"))
    kept, consumed = _result(FILES, roster), _result(FILES, roster)
    expected = arranged(kept)
    got = arranged(consumed, consume=True)
    assert consumed.tables == {} and set(kept.tables) == {"divisions", "indicators"}
    for name, frame in expected.tables.items():
        assert got.tables[name].equals(frame)
    assert got.tables["indicators"]["division"].to_list()[:2] == ["人事企画課", "情報政策課"]  # code order


def test_a_table_already_in_order_is_not_copied() -> None:
    result = arranged(_result(FILES))  # first appearance: already in order
    again = arranged(result)
    assert all(again.tables[name] is result.tables[name] for name in result.tables)

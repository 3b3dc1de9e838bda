"""Continuity with last year: each warning's exact message and cell, through the history store."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.history import store
from pipeline.history.continuity import Comparison, compare
from pipeline.history.lineage import LineageRow
from pipeline.model import DivisionKey
from tests.history_tables import division, indicator, table

LAST = "平成27年度（2015年度）最終"


def _last_year() -> dict[str, pl.DataFrame]:
    return {
        "divisions": table(
            "divisions",
            [
                division(2015, "商工労働部", "企業立地課", "3103"),
                division(2015, "総務部", "情報政策課", "0101"),
                division(2015, "総務部", "秘書課", "0105"),
            ],
        ),
        "indicators": table(
            "indicators",
            [
                indicator(
                    2015,
                    "商工労働部",
                    "企業立地課",
                    "新規雇用創出数（累計）",
                    code="3103",
                    unit="人",
                    start=300.0,
                    target=600.0,
                    actual=650.0,
                    long_term_target=2000.0,
                    long_term_as_of="H30",
                    long_term_as_of_fiscal_year=2018,
                ),
                indicator(
                    2015,
                    "商工労働部",
                    "企業立地課",
                    "企業誘致・増設件数",
                    code="3103",
                    row=27,
                    unit="件",
                    start=18.0,
                    target=20.0,
                    actual=22.0,
                    long_term_target=24.0,
                    long_term_as_of="H30",
                    long_term_as_of_fiscal_year=2018,
                ),
                indicator(2015, "総務部", "情報政策課", "電子申請件数", code="0101", unit="件", actual=1200.0),
                indicator(2015, "総務部", "情報政策課", "研修受講者数", code="0101", row=27, unit="人", actual=80.0),
                indicator(2015, "総務部", "秘書課", "広報紙の発行回数", code="0105", actual_text="毎月発行"),
            ],
        ),
    }


def _this_year() -> dict[str, pl.DataFrame]:
    return {
        "divisions": table(
            "divisions",
            [
                division(2016, "商工労働部", "企業立地課", "3103", stage="当初"),
                division(2016, "総務部", "情報政策課", "0101", stage="当初"),
            ],
        ),
        "indicators": table(
            "indicators",
            [
                indicator(
                    2016,
                    "商工労働部",
                    "企業立地課",
                    "新規雇用創出数（累計）",
                    code="3103",
                    unit="人",
                    stage="当初",
                    start=650.0,
                    target=1000.0,
                    long_term_target=2000.0,
                    long_term_as_of="H30",
                    long_term_as_of_fiscal_year=2018,
                ),
                indicator(
                    2016,
                    "商工労働部",
                    "企業立地課",
                    "企業誘致・増設件数",
                    code="3103",
                    row=27,
                    unit="件",
                    stage="当初",
                    start=20.0,
                    target=24.0,
                    long_term_target=30.0,
                    long_term_as_of="R2",
                    long_term_as_of_fiscal_year=2020,
                ),
                indicator(
                    2016, "総務部", "情報政策課", "電子申請件数", code="0101", unit="件", stage="当初", start=1200.0
                ),
                indicator(
                    2016, "総務部", "情報政策課", "オープンデータ公開数", code="0101", row=27, unit="件", stage="当初"
                ),
            ],
            stage="当初",
        ),
    }


@pytest.fixture
def compared(tmp_path: Path) -> Comparison:
    store.record(tmp_path, _last_year(), 2015, "最終")
    this = _this_year()
    return compare(
        store.load(tmp_path, "divisions"),
        store.load(tmp_path, "indicators"),
        this["divisions"],
        this["indicators"],
        2016,
    )


def test_each_continuity_warning_with_its_message_and_cell(compared: Comparison) -> None:
    found = [(i.code, i.file, i.location, i.message) for i in compared.warnings]
    assert found == [
        (
            "start-differs-from-last-actual",
            "商工労働部/企業立地課.xlsx",
            "政策1!H27",
            f"政策1!H27「年度当初値」: 年度当初値（20件）が昨年度の実績値（22件、{LAST}、商工労働部/企業立地課.xlsx の"
            " 政策1!L27）と違います。訂正であればこのままで構いません。誤りであれば直してください",
        ),
        (
            "long-term-target-changed",
            "商工労働部/企業立地課.xlsx",
            "政策1!N27",
            f"政策1!N27「長期的目標値」: 長期的目標値（30件）が昨年度（24件、{LAST}、商工労働部/企業立地課.xlsx の"
            " 政策1!N27）から変わっています。計画の改定であればこのままで構いません。誤りであれば直してください",
        ),
        (
            "long-term-year-changed",
            "商工労働部/企業立地課.xlsx",
            "政策1!O27",
            f"政策1!O27「長期的目標値時点」: 長期的目標値の時点（R2）が昨年度（H30、{LAST}、商工労働部/企業立地課.xlsx の"
            " 政策1!O27）から変わっています。計画の改定であればこのままで構いません。誤りであれば直してください",
        ),
        (
            "indicator-new",
            "総務部/情報政策課.xlsx",
            "政策1!B27",
            "政策1!B27「指標名」: 指標「オープンデータ公開数」は昨年度（平成27年度（2015年度））の工程表にない指標です。"
            "昨年度の指標の名前を変えたものであれば、企画担当に知らせてください（indicator_renames.csv）",
        ),
        (
            "indicator-dropped",
            "総務部/情報政策課.xlsx",
            "基本情報!C7",
            f"基本情報!C7「測定指標」: 昨年度の指標「研修受講者数」（実績値: 80人、{LAST}、総務部/情報政策課.xlsx の"
            " 政策1!L27）が今年度の工程表にありません。廃止した指標であればこのままで構いません。"
            "名前を変えた場合は企画担当に知らせてください（indicator_renames.csv）",
        ),
        (
            "division-missing",
            "",
            "",
            f"「所属名」: 昨年度（{LAST}、総務部/秘書課.xlsx の 基本情報!C7）に提出した所属「総務部 秘書課（0105）」の"
            "工程表が今年度はありません。未提出でなく、改称・統合・分割・移管・廃止であれば lineage.csv に行を追加してください",
        ),
    ]
    assert {i.severity for i in compared.warnings} == {"warning"}
    assert compared.to_confirm == ()


def test_this_years_tables_carry_the_identity_keys(compared: Comparison) -> None:
    assert compared.indicators.select("division_id", "indicator_id").rows() == [
        ("2015:3103", "2015:3103|新規雇用創出数(累計)"),
        ("2015:3103", "2015:3103|企業誘致・増設件数"),
        ("2015:0101", "2015:0101|電子申請件数"),
        ("2015:0101", "2015:0101|オープンデータ公開数"),
    ]
    assert compared.last_indicators["fiscal_year"].unique().to_list() == [2015]


def test_a_renamed_division_continues_without_new_or_dropped_warnings(tmp_path: Path) -> None:
    last = _last_year()
    store.record(tmp_path, last, 2015, "最終")
    renamed = {name: frame.with_columns(division=pl.lit("デジタル推進課")) for name, frame in last.items()}
    renamed = {name: frame.filter(pl.col("division_code") == "0101") for name, frame in renamed.items()}
    renamed = {name: frame.with_columns(division_code=pl.lit(None, pl.String)) for name, frame in renamed.items()}
    lineage = [
        LineageRow(
            2016, DivisionKey("0101", "総務部", "情報政策課"), DivisionKey(None, "総務部", "デジタル推進課"), "改称"
        )
    ]
    result = compare(
        store.load(tmp_path, "divisions"),
        store.load(tmp_path, "indicators"),
        renamed["divisions"],
        renamed["indicators"],
        2016,
        lineage,
    )
    assert [(i.code, i.found) for i in result.warnings] == [
        ("division-missing", "商工労働部 企業立地課（3103）"),
        ("division-missing", "総務部 秘書課（0105）"),
    ]
    assert result.indicators["indicator_id"].to_list() == ["2015:0101|電子申請件数", "2015:0101|研修受講者数"]


def test_the_first_recorded_year_has_nothing_to_compare(tmp_path: Path) -> None:
    this = _this_year()
    result = compare(
        store.load(tmp_path, "divisions"),
        store.load(tmp_path, "indicators"),
        this["divisions"],
        this["indicators"],
        2016,
    )
    assert result.warnings == ()
    assert result.to_confirm == ()
    assert result.indicators["division_id"].to_list() == ["2016:3103", "2016:3103", "2016:0101", "2016:0101"]


def test_the_sample_merge_against_a_next_year_made_from_it(tmp_path: Path) -> None:
    """The real merged tables of the sample inbox as 2015, and a 2016 当初 made from them with one renamed
    division, one 年度当初値 that does not match, one new and one dropped indicator: exactly those warnings."""
    from pipeline.api import merge_inbox
    from pipeline.config import load_settings
    from pipeline.history.trend import trend

    inbox = Path(__file__).resolve().parent.parent / "inbox"
    run = merge_inbox(
        load_settings(None, inbox=inbox, outbox=tmp_path / "outbox", divisions=inbox / "所属名簿.csv"), dry_run=True
    )
    store.record_merge(tmp_path / "history", run.result)
    last = run.result.tables
    renamed = pl.when(pl.col("division") == "情報政策課").then(pl.lit("デジタル推進課")).otherwise(pl.col("division"))
    divisions = last["divisions"].with_columns(division=renamed, stage=pl.lit("当初"))
    indicators = (
        last["indicators"]
        .filter(pl.col("name") != "企業誘致・増設件数")  # dropped
        .with_columns(
            division=renamed,
            stage=pl.lit("当初"),
            start=pl.when(pl.col("name") == "UIJターンによる就職者数").then(1100.0).otherwise(pl.col("actual")),
            actual=pl.lit(None, pl.Float64),
        )
    )
    new = indicators.filter(pl.col("name") == "県内大学等卒業者の県内就職率").with_columns(
        name=pl.lit("県外大学生の県内就職者数"),
        row=pl.lit(29, pl.Int64),
        name_cell=pl.lit("B29"),
        start=pl.lit(None, pl.Float64),
    )
    indicators = pl.concat([indicators, new])
    lineage = [
        LineageRow(
            2016, DivisionKey(None, "総務部", "情報政策課"), DivisionKey(None, "総務部", "デジタル推進課"), "改称"
        )
    ]
    history = tmp_path / "history"
    result = compare(
        store.load(history, "divisions"), store.load(history, "indicators"), divisions, indicators, 2016, lineage
    )
    assert [(i.code, i.file, i.location, i.found) for i in result.warnings] == [
        ("start-differs-from-last-actual", "商工労働部/就業支援課.xlsx", "政策1!H27", "1,100人"),
        ("indicator-new", "商工労働部/就業支援課.xlsx", "政策1!B29", "県外大学生の県内就職者数"),
        ("indicator-dropped", "商工労働部/企業立地課.xlsx", "基本情報!C7", "企業誘致・増設件数"),
    ]
    assert result.to_confirm == ()

    store.record(history, {"divisions": divisions, "indicators": indicators}, 2016, "当初")
    view = trend(store.load(history, "indicators"), result.identity)
    renamed_rows = view.rows.filter(pl.col("division") == "デジタル推進課")
    assert renamed_rows.height == last["indicators"].filter(pl.col("division") == "情報政策課").height
    assert set(renamed_rows["continuity"]) == {"継続"}
    assert set(renamed_rows["former_names"]) == {"総務部 情報政策課（平成27年度（2015年度）まで）"}
    assert view.counts.continuing == 54 and view.counts.new == 1 and view.counts.dropped == 1

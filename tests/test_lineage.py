"""Reading lineage.csv and indicator_renames.csv, and the division and indicator identity they give (identity)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.contract.eras import fiscal_year_label as year_label
from pipeline.history.identity import normalised_name, resolve, to_confirm
from pipeline.history.lineage import IndicatorRename, LineageError, LineageRow, read_indicator_renames, read_lineage
from pipeline.model import DivisionKey
from tests.history_tables import division, indicator, table

HEADER = "年度,旧所属コード,旧部局名,旧所属名,新所属コード,新部局名,新所属名,種別\n"


def _divisions(*rows: tuple[int, str, str, str | None]) -> pl.DataFrame:
    return table("divisions", [division(year, dept, name, code) for year, dept, name, code in rows])


def _row(year: int, old: str, new: str, kind: str, dept: str = "総務部") -> LineageRow:
    return LineageRow(year, DivisionKey(None, dept, old), DivisionKey(None, dept, new), kind)


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_lineage_csv_is_read_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "lineage.csv"
    path.write_text(HEADER + "H28,0101,総務部,情報政策課,0101,総務部,デジタル推進課,改称\n", encoding=encoding)
    assert read_lineage(path) == (
        LineageRow(
            2016,
            DivisionKey("0101", "総務部", "情報政策課"),
            DivisionKey("0101", "総務部", "デジタル推進課"),
            "改称",
            2,
        ),
    )


def test_bad_lineage_rows_are_reported_with_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "lineage.csv"
    path.write_text(
        HEADER
        + "平成28年度,,総務部,情報政策課,,総務部,デジタル推進課,改称\n"
        + "来年,,総務部,人事課,,総務部,人事企画課,合併\n"
        + "\n"
        + "2016,,総務部,,,総務部,政策企画課,分割\n",
        encoding="utf-8",
    )
    with pytest.raises(LineageError) as caught:
        read_lineage(path)
    assert caught.value.problems == (
        "lineage.csv 3行目「年度」: 年度として読めません。2016、H28、平成28年度、R7 のように入力してください（入力値: 「来年」）",
        "lineage.csv 3行目「種別」: 改称・統合・分割・移管 のいずれかを入力してください（入力値: 「合併」）",
        "lineage.csv 5行目「旧所属名」: 旧所属コードか旧所属名を入力してください",
    )
    assert str(caught.value).startswith("lineage.csv に使えない行があります。\nlineage.csv 3行目「年度」")


def test_lineage_csv_without_its_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lineage.csv"
    path.write_text("年度,旧所属名,新所属名\n2016,a,b\n", encoding="utf-8")
    with pytest.raises(LineageError, match=r"lineage\.csv の見出しに 種別 がありません"):
        read_lineage(path)


def test_indicator_renames_csv(tmp_path: Path) -> None:
    path = tmp_path / "indicator_renames.csv"
    path.write_text(
        "年度,所属,旧指標名,新指標名\nR1,０１０１,電子申請件数,オンライン申請件数\n2020,情報政策課,,x\n",
        encoding="cp932",
    )
    with pytest.raises(LineageError) as caught:
        read_indicator_renames(path)
    assert caught.value.problems == ("indicator_renames.csv 3行目「旧指標名」: 入力が必要です",)
    path.write_text("年度,所属,旧指標名,新指標名\nR1,０１０１,電子申請件数,オンライン申請件数\n", encoding="cp932")
    assert read_indicator_renames(path) == (IndicatorRename(2019, "0101", "電子申請件数", "オンライン申請件数", 2),)


def test_names_are_compared_after_nfkc_without_blanks() -> None:
    assert normalised_name("ＩＣＴ　利活用 件数") == "ICT利活用件数"
    assert year_label(2015) == "平成27年度（2015年度）"
    assert year_label(2019) == "令和元年度（2019年度）"


# ---------------------------------------------------------------- division lines


def test_renamed_twice_is_one_line_with_its_former_names() -> None:
    divisions = _divisions(
        (2015, "総務部", "情報政策課", None),
        (2016, "総務部", "デジタル推進課", None),
        (2017, "総務部", "DX推進課", None),
    )
    identity = resolve(
        divisions,
        [_row(2016, "情報政策課", "デジタル推進課", "改称"), _row(2017, "デジタル推進課", "DX推進課", "改称")],
    )
    ids = identity.annotate(divisions)["division_id"].to_list()
    assert ids == ["2015:総務部/情報政策課"] * 3
    line = identity.lines["2015:総務部/情報政策課"]
    assert line.current == DivisionKey(None, "総務部", "DX推進課")
    assert [(key.division, year) for key, year in line.former_names()] == [
        ("情報政策課", 2015),
        ("デジタル推進課", 2016),
    ]
    assert identity.confirmations == ()


def test_two_renames_between_recorded_years_follow_the_chain() -> None:
    divisions = _divisions((2015, "総務部", "情報政策課", None), (2017, "総務部", "DX推進課", None))
    identity = resolve(
        divisions,
        [_row(2016, "情報政策課", "デジタル推進課", "改称"), _row(2017, "デジタル推進課", "DX推進課", "改称")],
    )
    assert identity.annotate(divisions)["division_id"].to_list() == ["2015:総務部/情報政策課"] * 2


def test_merger_of_two_continues_both_and_their_indicators() -> None:
    divisions = _divisions(
        (2015, "総務部", "人事課", "0102"),
        (2015, "総務部", "職員課", "0103"),
        (2016, "総務部", "人事企画課", "0104"),
    )
    lineage = [
        LineageRow(2016, DivisionKey("0102", "総務部", "人事課"), DivisionKey("0104", "総務部", "人事企画課"), "統合"),
        LineageRow(2016, DivisionKey("0103", "総務部", "職員課"), DivisionKey("0104", "総務部", "人事企画課"), "統合"),
    ]
    identity = resolve(divisions, lineage)
    assert identity.annotate(divisions)["division_id"].to_list() == ["2015:0102"] * 3
    indicators = table(
        "indicators",
        [
            indicator(2015, "総務部", "人事課", "研修受講者数", code="0102"),
            indicator(2015, "総務部", "職員課", "健康診断受診率", code="0103"),
            indicator(2016, "総務部", "人事企画課", "研修受講者数", code="0104"),
            indicator(2016, "総務部", "人事企画課", "健康診断受診率", code="0104", row=27),
        ],
    )
    assert identity.annotate(indicators)["indicator_id"].to_list() == [
        "2015:0102|研修受講者数",
        "2015:0102|健康診断受診率",
        "2015:0102|研修受講者数",
        "2015:0102|健康診断受診率",
    ]
    assert [key.division for _, key in identity.lines["2015:0102"].names] == ["人事課", "職員課", "人事企画課"]


def test_split_starts_new_lines_linked_to_the_predecessor() -> None:
    divisions = _divisions(
        (2015, "企画部", "企画課", None),
        (2016, "企画部", "政策企画課", None),
        (2016, "企画部", "総合計画課", None),
    )
    lineage = [
        _row(2016, "企画課", "政策企画課", "分割", "企画部"),
        _row(2016, "企画課", "総合計画課", "分割", "企画部"),
    ]
    identity = resolve(divisions, lineage)
    assert identity.annotate(divisions)["division_id"].to_list() == [
        "2015:企画部/企画課",
        "2016:企画部/政策企画課",
        "2016:企画部/総合計画課",
    ]
    assert identity.lines["2016:企画部/政策企画課"].predecessors == ("2015:企画部/企画課",)
    assert identity.lines["2016:企画部/総合計画課"].predecessors == ("2015:企画部/企画課",)
    assert identity.confirmations == ()

    # the predecessor's indicators end at the split; one continues only when a rename row says so
    rows = [
        indicator(2015, "企画部", "企画課", "計画の進捗率"),
        indicator(2016, "企画部", "政策企画課", "計画の進捗率"),
        indicator(2016, "企画部", "総合計画課", "総合計画の進捗率"),
        indicator(2017, "企画部", "総合計画課", "総合計画の進捗率"),
    ]
    divisions = pl.concat([divisions, _divisions((2017, "企画部", "総合計画課", None))])
    plain = resolve(divisions, lineage).annotate(table("indicators", rows))["indicator_id"].to_list()
    assert plain == [
        "2015:企画部/企画課|計画の進捗率",
        "2016:企画部/政策企画課|計画の進捗率",
        "2016:企画部/総合計画課|総合計画の進捗率",
        "2016:企画部/総合計画課|総合計画の進捗率",
    ]
    carried = resolve(divisions, lineage, [IndicatorRename(2016, "総合計画課", "計画の進捗率", "総合計画の進捗率")])
    assert carried.annotate(table("indicators", rows))["indicator_id"].to_list() == [
        "2015:企画部/企画課|計画の進捗率",
        "2016:企画部/政策企画課|計画の進捗率",
        "2015:企画部/企画課|計画の進捗率",
        "2015:企画部/企画課|計画の進捗率",
    ]


def test_indicator_renames_chain_back_to_the_first_name() -> None:
    divisions = _divisions(*[(year, "総務部", "情報政策課", "0101") for year in (2015, 2016, 2017)])
    renames = [
        IndicatorRename(2016, "0101", "電子申請件数", "オンライン申請件数"),
        IndicatorRename(2017, "情報政策課", "オンライン申請件数", "デジタル手続件数"),
    ]
    rows = [
        indicator(2015, "総務部", "情報政策課", "電子申請件数", code="0101"),
        indicator(2016, "総務部", "情報政策課", "オンライン 申請件数", code="0101"),
        indicator(2017, "総務部", "情報政策課", "デジタル手続件数", code="0101"),
    ]
    ids = resolve(divisions, renames=renames).annotate(table("indicators", rows))["indicator_id"].to_list()
    assert ids == ["2015:0101|電子申請件数"] * 3


def test_a_division_absent_for_a_year_keeps_its_line() -> None:
    divisions = _divisions((2015, "総務部", "情報政策課", "0101"), (2017, "総務部", "情報政策課", "0101"))
    assert resolve(divisions).annotate(divisions)["division_id"].to_list() == ["2015:0101", "2015:0101"]


# ---------------------------------------------------------------- to confirm


def test_what_to_confirm_between_two_years() -> None:
    divisions = _divisions(
        (2015, "総務部", "情報政策課", "0101"),
        (2015, "総務部", "人事課", None),
        (2016, "総務部", "デジタル推進課", "0101"),
        (2016, "総務部", "人事課", None),
        (2016, "総務部", "広報課", None),
    )
    lineage = [
        LineageRow(2016, DivisionKey(None, "総務部", "秘書課"), DivisionKey(None, "総務部", "広報室"), "改称", 4)
    ]
    renames = [IndicatorRename(2016, "企画課", "a", "b", line=2)]
    identity = resolve(divisions, lineage, renames)
    last = identity.annotate(
        table(
            "indicators",
            [
                indicator(2015, "総務部", "人事課", "職員研修の受講者数"),
                indicator(2015, "総務部", "人事課", "職員満足度", row=27),
            ],
        )
    )
    this = identity.annotate(
        table(
            "indicators",
            [
                indicator(2016, "総務部", "人事課", "職員研修受講者数"),
                indicator(2016, "総務部", "人事課", "時間外勤務時間", row=27),
                indicator(2016, "総務部", "人事課", "時間外勤務時間", row=28),
            ],
        )
    )
    found = [(i.code, i.location, i.message) for i in to_confirm(identity, 2016, last, this)]
    assert found == [
        (
            "lineage-row-unmatched",
            "",
            "「旧所属名」: lineage.csv 4行目の旧所属「総務部 秘書課」に当たる所属が履歴にないため、この行を使えませんでした。"
            "所属コード・部局名・所属名を工程表の表記どおりに入力してください",
        ),
        (
            "division-renamed-without-lineage",
            "",
            "「所属名」: 所属コードが同じため、前年度の「総務部 情報政策課（0101）」と同じ所属として扱いました"
            "（平成28年度（2016年度）は「総務部 デジタル推進課（0101）」）。改称・移管であれば lineage.csv に行を追加してください。"
            "別の所属であれば所属コードを確かめてください",
        ),
        (
            "division-appeared",
            "",
            "「所属名」: 平成28年度（2016年度）に初めて現れた所属です（総務部 広報課）。前年度の所属の改称・統合・分割・移管であれば"
            " lineage.csv に行を追加してください。新設の所属であればこのままで構いません",
        ),
        (
            "rename-row-unmatched",
            "",
            "「所属」: indicator_renames.csv 2行目の所属「企画課」に当たる所属が平成28年度（2016年度）の履歴に見つからないため、"
            "この行を使えませんでした。所属コードか、工程表の表記どおりの所属名を入力してください",
        ),
        (
            "indicator-name-similar",
            "政策1!B26",
            "政策1!B26「指標名」: 指標名「職員研修受講者数」は昨年度の「職員研修の受講者数」（平成27年度（2015年度）最終、"
            "総務部/人事課.xlsx の 政策1!B26）と似ていますが同じではないため、別の指標として扱いました。"
            "同じ指標であれば indicator_renames.csv に行を追加してください",
        ),
        (
            "indicator-identity-duplicate",
            "政策1!B28",
            "政策1!B28「指標名」: 同じ所属に同じ名前の指標「時間外勤務時間」が複数あるため、年度間では表の順番で対応付けました。"
            "別の指標であれば指標名を区別してください",
        ),
    ]
    assert this["indicator_id"].to_list() == [
        "2015:総務部/人事課|職員研修受講者数",
        "2015:総務部/人事課|時間外勤務時間",
        "2015:総務部/人事課|時間外勤務時間#2",
    ]


def test_other_tables_get_the_division_id_only() -> None:
    divisions = _divisions((2015, "総務部", "情報政策課", "0101"))
    projects = table("projects", [{"file": "f.xlsx", "department": "総務部", "division": "情報政策課",
                                   "division_code": "0101", "name": "電子県庁推進事業", "item_no": 1}])  # fmt: skip
    annotated = resolve(divisions).annotate(projects, fiscal_year=2015)
    assert annotated.columns[-1] == "division_id"
    assert annotated["division_id"].to_list() == ["2015:0101"]


def test_merged_predecessors_with_the_same_indicator_name_are_listed() -> None:
    divisions = _divisions(
        (2015, "総務部", "人事課", None), (2015, "総務部", "職員課", None), (2016, "総務部", "人事企画課", None)
    )
    identity = resolve(
        divisions, [_row(2016, "人事課", "人事企画課", "統合"), _row(2016, "職員課", "人事企画課", "統合")]
    )
    last = identity.annotate(
        table(
            "indicators",
            [indicator(2015, "総務部", "人事課", "研修受講者数"), indicator(2015, "総務部", "職員課", "研修受講者数")],
        )
    )
    this = identity.annotate(table("indicators", [indicator(2016, "総務部", "人事企画課", "研修受講者数")]))
    assert last["indicator_id"].to_list() == ["2015:総務部/人事課|研修受講者数", "2015:総務部/人事課|研修受講者数#2"]
    assert this["indicator_id"].to_list() == ["2015:総務部/人事課|研修受講者数"]
    assert [(i.code, i.file, i.location) for i in to_confirm(identity, 2016, last, this)] == [
        ("indicator-identity-duplicate", "総務部/職員課.xlsx", "政策1!B26")
    ]

"""Tests for pipeline.checks.normalise: hand-typed Japanese cell text to typed values."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.checks.normalise import (
    NA_MARKERS,
    AsOf,
    Invalid,
    NotAnAsOf,
    NotAnInteger,
    NotANumber,
    Number,
    OutOfRange,
    Qualitative,
    clean_code,
    clean_text,
    parse_as_of,
    parse_budget,
    parse_choice,
    parse_fiscal_year,
    parse_mark,
    parse_phone,
    parse_progress,
    parse_score,
    parse_stage,
    parse_value,
    unit_matches,
)
from pipeline.contract.layout import CATEGORIES, DIRECTIONS, PLAN_MARKS, PROGRESS_CHOICES, STAGE_LABELS

VALUE_HINT = "「{}」のように数値だけを入力し、説明は「計画指標の選定理由」などに書いてください"
BUDGET_HINT = "「{}」のように千円単位の数値だけを入力し、説明は「事業概要・スケジュール」に書いてください"
COMMA_HINT = "桁区切りのカンマは3桁ごとに付けるか、付けずに入力してください（例: 1,234 または 1234）"
KANJI_HINT = "算用数字で入力してください（例: {}）"
DATE_HINT = "日付として保存されています（Excel は 3/16 や 3-16 のような入力を日付に変えます）。"

# ---------------------------------------------------------------- text and codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("\u3000\u3000", None),
        ("\n\t", None),
        ("  情報政策課\u3000", "情報政策課"),
        ("\n総務部\n", "総務部"),
        ("\ufeff田中健一\u200b", "田中健一"),
        ("①システム共同化", "①システム共同化"),
        ("第Ⅲ期計画", "第Ⅲ期計画"),
        ("〇マイナンバー制度の円滑な導入。", "〇マイナンバー制度の円滑な導入。"),
        ("ＡＢＣ　１２３", "ＡＢＣ　１２３"),  # inner full-width characters stay as typed
        ("1行目\n2行目", "1行目\n2行目"),
        ("－", None),
        (" なし ", None),
        ("該当　なし", None),
        ("ｰ", None),  # half-width prolonged sound mark
        ("なし崩し", "なし崩し"),
        ("--", "--"),
    ],
)
def test_clean_text(raw: str | None, expected: str | None) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize("marker", sorted(NA_MARKERS))
def test_na_markers_mean_blank_everywhere(marker: str) -> None:
    assert clean_text(marker) is None
    assert clean_text(f"\u3000{marker} ") is None
    assert clean_code(marker) is None
    assert parse_value(marker) is None
    assert parse_budget(marker) is None
    assert parse_fiscal_year(marker) is None
    assert parse_as_of(marker) is None
    assert parse_stage(marker) is None
    assert parse_choice(marker, CATEGORIES) is None
    assert parse_progress(marker) is None
    assert parse_mark(marker) is False
    assert parse_score(marker) is None
    assert parse_phone(marker) is None


def test_na_markers_include_the_design_list() -> None:
    assert {"-", "－", "―", "ー", "—", "なし", "該当なし"} <= NA_MARKERS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("  ", None),
        ("１２３４", "1234"),
        ("1.0", "1"),
        ("12.00", "12"),
        ("1.5", "1.5"),
        ("　ＡＢ－１２　", "AB-12"),
        ("０８５７－２６－７６４２", "0857-26-7642"),
        ("0012", "0012"),
        ("ー", None),
    ],
)
def test_clean_code(raw: str | None, expected: str | None) -> None:
    assert clean_code(raw) == expected


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("628", 628, ""),
        ("628.0", 628, ""),
        ("0", 0, ""),
        ("0.1", 0.1, ""),
        ("1234.5", 1234.5, ""),
        ("６２８", 628, ""),
        ("1,234", 1234, ""),
        ("１，２３４", 1234, ""),
        ("1,234,567", 1234567, ""),
        ("1,234.5", 1234.5, ""),
        ("１２．５", 12.5, ""),
        (".5", 0.5, ""),
        ("▲100", -100, ""),
        ("△100", -100, ""),
        ("▲ 100", -100, ""),
        ("-100", -100, ""),
        ("−100", -100, ""),  # U+2212 minus sign
        ("－100", -100, ""),  # full-width hyphen-minus
        ("+5", 5, ""),
        ("＋５", 5, ""),
        ("▲1,234千円", -1234, "千円"),
        ("6件", 6, "件"),
        ("6 件", 6, "件"),
        ("628千円", 628, "千円"),
        ("６２８千円", 628, "千円"),
        ("12.5%", 12.5, "%"),
        ("12.5％", 12.5, "%"),
        ("６部会", 6, "部会"),
        ("3システム", 3, "システム"),
        ("100㎡", 100, "m2"),
        ("12km", 12, "km"),
        ("1.2万人", 1.2, "万人"),
        ("1e-05", 0.00001, ""),
        ("  6\u3000", 6, ""),
    ],
)
def test_parse_value_reads_numbers(raw: str, value: int | float, unit: str) -> None:
    result = parse_value(raw)
    assert result == Number(value, unit)
    assert isinstance(result, Number)
    assert type(result.value) is type(value)


@pytest.mark.parametrize(
    "raw",
    ["全て達成する", "未定", "一部達成", "十分に達成", "万全の体制", "概ね達成", "○", "達成", "百パーセント"],
)
def test_parse_value_keeps_text_without_digits_as_qualitative(raw: str) -> None:
    assert parse_value(raw) == Qualitative(raw)


def test_parse_value_qualitative_keeps_the_typed_characters() -> None:
    assert parse_value("\u3000全て達成する\n") == Qualitative("全て達成する")
    assert parse_value("ＡＢＣ") == Qualitative("ＡＢＣ")


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("18%(=3/16施設)", VALUE_HINT.format("18")),
        ("18％（＝3／16施設）", VALUE_HINT.format("18")),
        ("約6", VALUE_HINT.format("6")),
        ("6以上", VALUE_HINT.format("6")),
        ("6件程度", VALUE_HINT.format("6")),
        ("3/16", VALUE_HINT.format("3")),
        ("1.2.3", VALUE_HINT.format("1.2")),
        ("6件(見込み)", VALUE_HINT.format("6")),
        ("H27:6", VALUE_HINT.format("27")),
        ("1 234", VALUE_HINT.format("1")),
        ("ー6", VALUE_HINT.format("6")),
        ("6,,0", COMMA_HINT),
        ("12,34", COMMA_HINT),
        ("1234,5", COMMA_HINT),
        ("六", KANJI_HINT.format("6")),
        ("十二", KANJI_HINT.format("12")),
        ("十二件", KANJI_HINT.format("12")),
        ("二千五百", KANJI_HINT.format("2500")),
        ("三万二千", KANJI_HINT.format("32000")),
        ("二〇二〇", KANJI_HINT.format("2020")),
        ("〇", KANJI_HINT.format("0")),
        ("零", KANJI_HINT.format("0")),
        ("六部会", KANJI_HINT.format("6")),
        ("六か所", KANJI_HINT.format("6")),
        ("▲六", KANJI_HINT.format("-6")),
        ("　六　", KANJI_HINT.format("6")),
        ("1" * 40 + "件と" + "2", VALUE_HINT.format("18")),
        # 3/16 typed into a General cell: Excel stores a date, calamine gives it as below
        (
            "2026-03-16 00:00:00",
            DATE_HINT + "数値だけを入力し、分数などの説明は「計画指標の選定理由」などに書いてください",
        ),
        ("2026-03-16", DATE_HINT + "数値だけを入力し、分数などの説明は「計画指標の選定理由」などに書いてください"),
    ],
)
def test_parse_value_rejects_digits_that_are_not_a_number(raw: str, hint: str) -> None:
    assert parse_value(raw) == NotANumber(hint)


@pytest.mark.parametrize("raw", [None, "", " ", "\u3000"])
def test_parse_value_blank_is_none(raw: str | None) -> None:
    assert parse_value(raw) is None


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_value_reads_any_integer_with_or_without_separators(n: int) -> None:
    assert parse_value(str(n)) == Number(n, "")
    assert parse_value(f"{n:,}") == Number(n, "")
    full_width = str(abs(n)).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_value(("▲" if n < 0 else "") + full_width + "件") == Number(n, "件")


@given(st.text(max_size=40))
def test_parse_value_never_raises_and_never_invents_a_value(raw: str) -> None:
    result = parse_value(raw)
    if result is None:
        assert clean_text(raw) is None
    elif isinstance(result, Qualitative):
        assert not any(ch.isascii() and ch.isdigit() for ch in unicodedata.normalize("NFKC", raw))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("628", Number(628, "")),
        ("６２８千円", Number(628, "千円")),
        ("1,500", Number(1500, "")),
        ("628.0", Number(628, "")),
        ("▲100", Number(-100, "")),
        ("628000円", Number(628000, "円")),  # the caller reports the unit
        (None, None),
        ("－", None),
        ("未定", NotANumber("千円単位の数値で入力してください（例: 628）")),
        ("六百", NotANumber(KANJI_HINT.format("600"))),
        ("628千円(H27)", NotANumber(BUDGET_HINT.format("628"))),
        ("予算額(事業費)628千円", NotANumber(BUDGET_HINT.format("628"))),
        ("6,,28", NotANumber(COMMA_HINT)),
        ("2026-03-16 00:00:00", NotANumber(DATE_HINT + "千円単位の数値だけを入力してください")),
    ],
)
def test_parse_budget(raw: str | None, expected: Number | NotANumber | None) -> None:
    assert parse_budget(raw) == expected


@pytest.mark.parametrize(
    ("value_unit", "indicator_unit", "expected"),
    [
        ("", "件", True),
        ("", None, True),
        ("件", "件", True),
        ("%", "％", True),
        ("％", "%", True),
        ("KM", "km", True),
        ("m2", "㎡", True),
        ("千円", " 千円 ", True),
        ("件", None, False),
        ("件", "", False),
        ("千円", "円", False),
        ("部会", "会", False),
        ("人", "万人", False),
    ],
)
def test_unit_matches(value_unit: str, indicator_unit: str | None, expected: bool) -> None:
    assert unit_matches(value_unit, indicator_unit) is expected


# ---------------------------------------------------------------- fiscal years and 時点


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2015", 2015),
        ("2015.0", 2015),
        ("２０１５", 2015),
        ("2015年度", 2015),
        ("2015年", 2015),
        ("FY2015", 2015),
        ("fy 2015", 2015),
        ("H27", 2015),
        ("h27", 2015),
        ("Ｈ２７", 2015),
        ("H.27", 2015),
        ("H27年度", 2015),
        ("H 27 年度", 2015),
        ("平成27年度", 2015),
        ("平成２７年度", 2015),
        ("平成27", 2015),
        ("H31", 2019),
        ("平成31年度", 2019),
        ("R1", 2019),
        ("R元", 2019),
        ("R元年度", 2019),
        ("令和元年度", 2019),
        ("R7", 2025),
        ("令和7年度", 2025),
        ("S64", 1989),
        ("昭和64年度", 1989),
        ("H32", 2020),  # written before the era changed; still means FY2020
        ("2019年度(令和元年度)", 2019),
        ("2019年度（令和元年度）", 2019),
        ("令和元年度(2019年度)", 2019),
        ("H27(2015)年度", 2015),
        ("2015(H27)", 2015),
        ("\u30002015 ", 2015),
    ],
)
def test_parse_fiscal_year(raw: str, expected: int) -> None:
    assert parse_fiscal_year(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "－",
        "27",
        "1900",
        "2101",
        "20150",
        "2015.5",
        "H0",
        "S65",
        "平成",
        "今年度",
        "H27(2016)",
        "H30.4",
        "二〇一五",
        "H27年度末",
    ],
)
def test_parse_fiscal_year_rejects(raw: str | None) -> None:
    assert parse_fiscal_year(raw) is None


@pytest.mark.parametrize(
    ("raw", "normalised", "fiscal_year"),
    [
        ("H27", "2015", 2015),
        ("Ｈ２７", "2015", 2015),
        ("平成27年度", "2015", 2015),
        ("2015年度", "2015", 2015),
        ("2015", "2015", 2015),
        ("2015.0", "2015", 2015),
        ("R1", "2019", 2019),
        ("令和元年度", "2019", 2019),
        ("H29年度", "2017", 2017),
        ("H27年度時点", "2015", 2015),
        ("H27年度末", "2016-03", 2015),
        ("平成27年度末時点", "2016-03", 2015),
        ("H27年度当初", "2015-04", 2015),
        ("R2年度初め", "2020-04", 2020),
        ("H30.4", "2018-04", 2018),
        ("Ｈ３０．４", "2018-04", 2018),
        ("R2.3", "2020-03", 2019),
        ("H30.4.1", "2018-04", 2018),
        ("H30.4.1現在", "2018-04", 2018),
        ("H30/4", "2018-04", 2018),
        ("H31.4.30", "2019-04", 2019),
        ("R元.5", "2019-05", 2019),
        ("2020年3月", "2020-03", 2019),
        ("2020年3月末", "2020-03", 2019),
        ("2020年3月31日", "2020-03", 2019),
        ("H30年4月", "2018-04", 2018),
        ("平成30年4月", "2018-04", 2018),
        ("令和2年3月末時点", "2020-03", 2019),
        ("2020/3", "2020-03", 2019),
        ("2020-03", "2020-03", 2019),
        ("2020.3", "2020-03", 2019),
        ("2020.10", "2020-10", 2020),
        ("2020/3/31", "2020-03", 2019),
        ("2018-04-01", "2018-04", 2018),
        ("2020-03-01 00:00:00", "2020-03", 2019),
        ("2020-03-01T00:00:00", "2020-03", 2019),
        ("43922", "2020-04", 2020),
        ("43921.0", "2020-03", 2019),
        ("42460", "2016-03", 2015),
    ],
)
def test_parse_as_of(raw: str, normalised: str, fiscal_year: int) -> None:
    assert parse_as_of(raw) == AsOf(raw.strip(), normalised, fiscal_year)


def test_parse_as_of_keeps_the_original_text() -> None:
    assert parse_as_of("\u3000Ｈ３０．４\n") == AsOf("Ｈ３０．４", "2018-04", 2018)


@pytest.mark.parametrize(
    "raw",
    [
        "H30.13",
        "2020/2/30",
        "2020年13月",
        "4月",
        "3月末",
        "19999",
        "80001",
        "27",
        "H27頃",
        "今年度",
        "未定",
        "2020/3-31",
    ],
)
def test_parse_as_of_rejects(raw: str) -> None:
    assert parse_as_of(raw) == NotAnAsOf()


@pytest.mark.parametrize("raw", [None, "", "\u3000", "-", "なし"])
def test_parse_as_of_blank_is_none(raw: str | None) -> None:
    assert parse_as_of(raw) is None


# ---------------------------------------------------------------- choices and marks


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("当初", "当初"),
        ("中間", "中間"),
        ("最終", "最終"),
        (" 最 終 ", "最終"),
        ("最終評価", "最終"),
        ("最終時点", "最終"),
        ("中間評価", "中間"),
        ("最終（年度末）", "最終"),
        ("最終(年度末)", "最終"),
        ("当初（計画）", "当初"),
        ("中間（上半期）", "中間"),
        ("最終評価(年度末時点)", "最終"),
        ("■最終評価(年度末時点)", "最終"),
        *((label, stage) for stage, label in STAGE_LABELS.items()),
        (None, None),
        ("", None),
        ("最終(上半期)", Invalid()),
        ("当初(年度末)", Invalid()),
        ("年度末", Invalid()),
        ("最後", Invalid()),
        ("final", Invalid()),
        ("当初・中間", Invalid()),
    ],
)
def test_parse_stage(raw: str | None, expected: str | Invalid | None) -> None:
    assert parse_stage(raw) == expected


@pytest.mark.parametrize(
    ("raw", "choices", "expected"),
    [
        ("活動指標", CATEGORIES, "活動指標"),
        ("成果指標", CATEGORIES, "成果指標"),
        (" 成果 指標\u3000", CATEGORIES, "成果指標"),
        ("活動", CATEGORIES, Invalid()),
        ("成果目標", CATEGORIES, Invalid()),
        ("増加", DIRECTIONS, "増加"),
        ("減少", DIRECTIONS, "減少"),
        ("減", DIRECTIONS, Invalid()),
        ("↑", DIRECTIONS, Invalid()),
        ("ＡＢ", ("ab",), "ab"),
        (None, DIRECTIONS, None),
        ("―", DIRECTIONS, None),
    ],
)
def test_parse_choice(raw: str | None, choices: tuple[str, ...], expected: str | Invalid | None) -> None:
    assert parse_choice(raw, choices) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("◎", "◎"),
        ("○", "○"),  # U+25CB
        ("〇", "○"),  # U+3007
        ("◯", "○"),  # U+25EF
        ("△", "△"),
        ("▲", "△"),
        ("×", "×"),
        ("✕", "×"),
        ("✖", "×"),
        ("x", "×"),
        ("X", "×"),
        ("ｘ", "×"),
        ("Ｘ", "×"),
        (" ◎ ", "◎"),
        ("◎（予定以上）", "◎"),
        ("◎(予定以上)", "◎"),
        ("◎ 予定以上", "◎"),
        ("◎予定以上", "◎"),
        ("◎：予定以上", "◎"),
        ("〇（予定通り）", "○"),
        ("▲(やや遅れ)", "△"),
        ("x 大幅遅れ", "×"),
        ("予定以上", "◎"),
        ("予定通り", "○"),
        ("やや遅れ", "△"),
        ("大幅遅れ", "×"),
        ("（やや遅れ）", "△"),
        *((choice, choice[0]) for choice in PROGRESS_CHOICES),
        (None, None),
        ("", None),
        ("◎×", Invalid()),
        ("○(大幅遅れ)", Invalid()),
        ("◎ 予定通り", Invalid()),
        ("良い", Invalid()),
        ("●", Invalid()),
        ("◎◎", Invalid()),
        ("xyz", Invalid()),
        ("予定以上(◎)", Invalid()),
        ("A", Invalid()),
        ("1", Invalid()),
    ],
)
def test_parse_progress(raw: str | None, expected: str | Invalid | None) -> None:
    assert parse_progress(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *((mark, True) for mark in PLAN_MARKS),
        ("○", True),
        ("〇", True),
        ("◯", True),
        ("●", True),
        ("✓", True),
        ("レ", True),
        ("ﾚ", True),
        ("1", True),
        ("１", True),
        ("1.0", True),
        (" ○\u3000", True),
        ("true", True),  # a TRUE cell (a check box), as calamine gives it
        ("TRUE", True),
        ("false", False),
        (None, False),
        ("", False),
        ("\u3000", False),
        ("-", False),
        ("なし", False),
        ("該当なし", False),
        ("×", Invalid()),
        ("0", Invalid()),
        ("2", Invalid()),
        ("◎", Invalid()),
        ("はい", Invalid()),
        ("○○", Invalid()),
    ],
)
def test_parse_mark(raw: str | None, expected: bool | Invalid) -> None:
    assert parse_mark(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9", 9),
        ("９", 9),
        ("9.0", 9),
        ("9点", 9),
        ("９点", 9),
        (" 9 点 ", 9),
        ("0", 0),
        ("10", 10),
        ("+7", 7),
        (None, None),
        ("", None),
        ("－", None),
        ("9.5", NotAnInteger()),
        ("9/10", NotAnInteger()),
        ("10点中9点", NotAnInteger()),
        ("9件", NotAnInteger()),
        ("約9", NotAnInteger()),
        ("六", NotAnInteger()),
        ("高い", NotAnInteger()),
        ("11", OutOfRange()),
        ("100", OutOfRange()),
        ("-1", OutOfRange()),
        ("▲1", OutOfRange()),
    ],
)
def test_parse_score(raw: str | None, expected: int | NotAnInteger | OutOfRange | None) -> None:
    assert parse_score(raw) == expected


# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0857-26-7642", "0857-26-7642"),
        ("０８５７－２６－７６４２", "0857-26-7642"),
        ("0857ー26ー7642", "0857-26-7642"),
        ("0857−26−7642", "0857-26-7642"),
        ("0857‐26‐7642", "0857-26-7642"),
        ("0857267642", "0857267642"),
        ("(0857)26-7642", "(0857)26-7642"),
        ("（０８５７）２６－７６４２", "(0857)26-7642"),
        ("(0857) 26-7642", "(0857) 26-7642"),
        ("0857(26)7642", "0857(26)7642"),
        ("0857 26 7642", "0857 26 7642"),
        ("03-1234-5678", "03-1234-5678"),
        ("090-1234-5678", "090-1234-5678"),
        ("0120-123-456", "0120-123-456"),
        ("0800-123-4567", "0800-123-4567"),
        ("0857-26-7642（内線1234）", "0857-26-7642(内線1234)"),
        ("0857-26-7642(内線:1234)", "0857-26-7642(内線:1234)"),
        ("0857-26-7642 内線1234", "0857-26-7642 内線1234"),
        ("0857-26-7642内線１２３４", "0857-26-7642内線1234"),
        ("\u30000857-26-7642\n", "0857-26-7642"),
        (None, None),
        ("", None),
        ("－", None),
    ],
)
def test_parse_phone_accepts(raw: str | None, expected: str | None) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "857267642",  # a numeric cell that lost its leading 0
        "857267642.0",
        "0857-26-764",
        "0857-26-76420000",
        "00-1234-5678",
        "1857-26-7642",
        "0857--26-7642",
        "-0857-26-7642",
        "0857-26-7642-",
        "0857-26-7642)",
        "(0857-26-7642",
        "0857)26(7642",
        "(0857)(26)7642",
        "+81-857-26-7642",
        "0857-26-7642 内線",
        "0857-26-7642/7643",
        "電話",
        "内線1234",
    ],
)
def test_parse_phone_rejects(raw: str) -> None:
    assert parse_phone(raw) == Invalid()

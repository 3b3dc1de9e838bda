"""Tests for pipeline.checks.normalise: hand-typed Japanese cell text to typed values."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.checks.normalise import (
    NA_MARKERS,
    QUALITATIVE_REASONS,
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
    convert,
    format_number,
    json_number,
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
    says_no_indicators,
    split_unit_words,
    unit_factor,
    unit_matches,
)
from pipeline.contract.layout import CATEGORIES, DIRECTIONS, PLAN_MARKS, PROGRESS_CHOICES, STAGE_LABELS

COMMA_HINT = "桁区切りのカンマは3桁ごとに付けるか、付けずに入力してください（例: 1,234 または 1234）"
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


def N(exact: str | int, unit: str = "", note: str | None = None, approximate: bool = False) -> Number:
    """The Number a value cell must read as (exact, as a Decimal)."""
    return Number(Decimal(exact), unit, note, approximate)


def Q(reason: str, example: str | None = None) -> tuple[str, str | None]:
    """A qualitative value of this reason (the text is the cell's, as typed)."""
    return (reason, example)


DATE_VALUE_HINT = DATE_HINT + "数値を入力し直してください（分数は割合か件数で。例: 18.8%、3件）"

# Cell text as divisions type it -> what a careful reader reads: a Number, a qualitative reason, or a mistyped number.
VALUES: list[tuple[str, Number | tuple[str, str | None] | NotANumber]] = [
    # plain numbers, full-width digits, separators
    ("628", N(628)),
    ("628.0", N(628)),
    ("0", N(0)),
    ("0.1", N("0.1")),
    ("６２８", N(628)),
    ("1,234", N(1234)),
    ("１，２３４", N(1234)),
    ("1,234,567", N(1234567)),
    ("1,234.5", N("1234.5")),
    ("１２．５", N("12.5")),
    (".5", N("0.5")),
    ("1e-05", N("0.00001")),
    ("  6\u3000", N(6)),
    # signs: ▲ and △ are minus in Japanese accounting
    ("▲100", N(-100)),
    ("△100", N(-100)),
    ("▲ 100", N(-100)),
    ("-100", N(-100)),
    ("−100", N(-100)),  # U+2212 minus sign
    ("－100", N(-100)),  # full-width hyphen-minus
    ("+5", N(5)),
    ("＋５", N(5)),
    ("▲1,234千円", N(-1234, "千円")),
    # units typed with the value
    ("25.9km", N("25.9", "km")),
    ("0km", N(0, "km")),
    ("97.1%", N("97.1", "%")),
    ("97.1％", N("97.1", "%")),
    ("764億円", N(764, "億円")),
    ("16施設", N(16, "施設")),
    ("19市町村", N(19, "市町村")),
    ("6件", N(6, "件")),
    ("6 件", N(6, "件")),
    ("628千円", N(628, "千円")),
    ("６部会", N(6, "部会")),
    ("3システム", N(3, "システム")),
    ("100㎡", N(100, "m2")),
    ("1.2万人", N("1.2", "万人")),
    ("12回/年", N(12, "回/年")),
    ("5箇所", N(5, "箇所")),
    ("５か所", N(5, "か所")),
    ("15団体", N(15, "団体")),
    ("3か月", N(3, "か月")),
    # notes in brackets and words around the number
    ("18%(=3/16施設)", N(18, "%", "=3/16施設")),
    ("18％（＝3／16施設）", N(18, "%", "=3/16施設")),
    ("75%(=12/16施設)", N(75, "%", "=12/16施設")),
    ("30名(累計)", N(30, "名", "累計")),
    ("1,200人（見込み）", N(1200, "人", "見込み")),
    ("6件(見込み)", N(6, "件", "見込み")),
    ("6件 ※見込み", N(6, "件", "※見込み")),
    ("【見込み】1,200人", N(1200, "人", "見込み")),
    ("100人以上", N(100, "人", "以上")),
    ("6以上", N(6, "", "以上")),
    ("累計30名", N(30, "名", "累計")),
    ("延べ1,200人", N(1200, "人", "延べ")),
    ("年間 1,200人", N(1200, "人", "年間")),
    ("1,200人見込み", N(1200, "人", "見込み")),
    ("95%(H26実績)", N(95, "%", "H26実績")),
    # approximations: read, flagged
    ("約6", N(6, "", "約", True)),
    ("概ね6", N(6, "", "概ね", True)),
    ("おおむね６件", N(6, "件", "おおむね", True)),
    ("6件程度", N(6, "件", "程度", True)),
    ("約1,200人（見込み）", N(1200, "人", "約、見込み", True)),
    ("ほぼ100%", N(100, "%", "ほぼ", True)),
    # Japanese large numbers, exactly
    ("1兆7,319億円", N(17319, "億円")),
    ("3万5千人", N(35000, "人")),
    ("2億5千万円", N(25000, "万円")),
    ("1億円", N(1, "億円")),
    ("5,000万円", N(5000, "万円")),
    ("12億3,456万円", N(123456, "万円")),
    ("1万2千件", N(12000, "件")),
    ("1.5億円", N("1.5", "億円")),
    # kanji numerals
    ("六", N(6)),
    ("十二", N(12)),
    ("十二件", N(12, "件")),
    ("二千五百", N(2500)),
    ("三万二千", N(32000)),
    ("二〇二〇", N(2020)),
    ("零", N(0)),
    ("六部会", N(6, "部会")),
    ("六か所", N(6, "か所")),
    ("▲六", N(-6)),
    ("　六　", N(6)),
    ("百二十人", N(120, "人")),
    ("三十市町村", N(30, "市町村")),
    # qualitative: kept as typed, 判定不可
    ("全て達成する", Q("words")),
    ("未定", Q("words")),
    ("一部達成", Q("words")),
    ("十分に達成", Q("words")),
    ("万全の体制", Q("words")),
    ("概ね達成", Q("words")),
    ("○", Q("words")),
    ("〇", Q("words")),  # a mark, not zero
    ("〇〇件", Q("words")),  # a placeholder
    ("〇件", N(0, "件")),
    ("達成", Q("words")),
    ("百パーセント", Q("words")),
    ("限りなく100%に近付ける。", Q("text", "100%")),
    ("H27:6", Q("text", "6")),
    ("全市町村で実施（19市町村）", Q("words")),  # a number only in the note
    ("集計中（R4.6判明）", Q("words")),
    ("R2年度末68%", Q("text", "68%")),
    ("700億円の増", Q("relative", "700億円")),
    ("前年比10%増", Q("relative", "10%増")),
    ("前年度比10%削減", Q("relative", "10%削減")),
    ("住宅耐震化率68% 耐震義務付け対象建築物の耐震化48%", Q("several")),
    ("住宅:68%\n建築物:48%", Q("several")),
    ("男性30%・女性40%", Q("several")),
    ("3/16", Q("fraction", "18.8%")),
    ("12/16施設", Q("fraction", "75%")),
    # mistyped numbers: errors, with what to type
    ("6,,0", NotANumber(COMMA_HINT)),
    ("12,34", NotANumber(COMMA_HINT)),
    ("1234,5", NotANumber(COMMA_HINT)),
    ("1.2.3", NotANumber("「1.2」のように数値を入力してください")),
    ("1 234", NotANumber("数字の間に空白があります。「1234」のように続けて入力してください")),
    ("ー6", NotANumber("マイナスの値は「-6」または「▲6」と入力してください")),
    # 3/16 typed into a General cell: Excel stores a date, calamine gives it as below
    ("2026-03-16 00:00:00", NotANumber(DATE_VALUE_HINT)),
    ("2026-03-16", NotANumber(DATE_VALUE_HINT)),
]


def test_the_value_table_covers_every_class() -> None:
    assert len(VALUES) >= 80
    assert len({raw for raw, _ in VALUES}) == len(VALUES)
    reasons = {expected[0] for _, expected in VALUES if isinstance(expected, tuple)}
    assert reasons == set(QUALITATIVE_REASONS)


@pytest.mark.parametrize(("raw", "expected"), VALUES)
def test_parse_value_reads_what_a_careful_reader_reads(
    raw: str, expected: Number | tuple[str, str | None] | NotANumber
) -> None:
    result = parse_value(raw)
    if isinstance(expected, tuple):
        assert result == Qualitative(raw.strip(), *expected)
    else:
        assert result == expected
    if isinstance(expected, Number):  # exact: the Decimal's digits, not a float near them
        assert isinstance(result, Number)
        assert (result.exact, result.unit, result.note, result.approximate) == (
            expected.exact,
            expected.unit,
            expected.note,
            expected.approximate,
        )


def test_number_value_is_an_int_when_whole_and_a_float_otherwise() -> None:
    assert [type(parse_value(raw).value) for raw in ("628.0", "1兆7,319億円", "0.1", "1.2万人")] == [  # type: ignore[union-attr]
        int,
        int,
        float,
        float,
    ]
    assert json_number(Decimal("17319")) == 17319
    assert json_number(Decimal("25.9")) == 25.9


def test_parse_value_qualitative_keeps_the_typed_characters() -> None:
    assert parse_value("\u3000全て達成する\n") == Qualitative("全て達成する")
    assert parse_value("ＡＢＣ") == Qualitative("ＡＢＣ")
    assert parse_value("限りなく１００％に近付ける。") == Qualitative("限りなく１００％に近付ける。", "text", "100%")


@pytest.mark.parametrize("raw", [None, "", " ", "\u3000"])
def test_parse_value_blank_is_none(raw: str | None) -> None:
    assert parse_value(raw) is None


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_value_reads_any_integer_with_or_without_separators(n: int) -> None:
    assert parse_value(str(n)) == Number(Decimal(n), "")
    assert parse_value(f"{n:,}") == Number(Decimal(n), "")
    full_width = str(abs(n)).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_value(("▲" if n < 0 else "") + full_width + "件") == Number(Decimal(n), "件")


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=0, max_value=9999))
def test_large_numbers_are_exact(oku: int, man: int) -> None:
    assert parse_value(f"{oku:,}億{man:,}万円") == (
        Number(Decimal(oku * 10**4 + man), "万円") if man else Number(Decimal(oku * 10**4), "万円")
    )


VALUE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet="0123456789０１２３,.，．%％▲△-−+ 億万千百十兆一二三六〇円人件()（）約見込み以上※:/\n", max_size=25
    ),
)


@given(VALUE_TEXT)
def test_any_text_in_a_value_cell_reads_as_a_value_a_text_or_a_mistyped_number(raw: str) -> None:
    for result in (parse_value(raw), parse_budget(raw)):
        if result is None:
            assert clean_text(raw) is None
        elif isinstance(result, Qualitative):
            assert result.text == clean_text(raw)
            assert result.reason in QUALITATIVE_REASONS
            if result.reason != "words":  # a number is what makes it more than words
                assert any(ch.isascii() and ch.isdigit() for ch in unicodedata.normalize("NFKC", raw))
        elif isinstance(result, Number):
            assert result.exact.is_finite()
            assert isinstance(result.value, int | float)
            format_number(result.exact)
        else:
            assert isinstance(result, NotANumber) and result.hint


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("628", N(628)),
        ("６２８千円", N(628, "千円")),
        ("1,500", N(1500)),
        ("628.0", N(628)),
        ("▲100", N(-100)),
        ("628000円", N(628000, "円")),  # the caller converts the unit
        ("1億円", N(1, "億円")),
        ("六百", N(600)),
        ("628千円(H27)", N(628, "千円", "H27")),
        ("約600", N(600, "", "約", True)),
        (None, None),
        ("－", None),
        ("未定", Qualitative("未定")),
        ("予算額(事業費)628千円", Qualitative("予算額(事業費)628千円", "text", "628千円")),
        ("6,,28", NotANumber(COMMA_HINT)),
        ("1.2.3", NotANumber("「1.2」のように千円単位の数値を入力してください")),
        ("2026-03-16 00:00:00", NotANumber(DATE_HINT + "千円単位の数値だけを入力してください")),
    ],
)
def test_parse_budget(raw: str | None, expected: Number | Qualitative | NotANumber | None) -> None:
    assert parse_budget(raw) == expected


@pytest.mark.parametrize(
    ("value_unit", "indicator_unit", "expected"),
    [
        ("", "件", True),
        ("", None, True),
        ("件", "件", True),
        ("%", "％", True),
        ("％", "%", True),
        ("%", "(%)", True),
        ("KM", "km", True),
        ("m2", "㎡", True),
        ("千円", " 千円 ", True),
        ("か所", "箇所", True),
        ("ヶ所", "か所", True),
        ("名", "人", True),
        ("件", None, False),
        ("件", "", False),
        ("千円", "円", False),
        ("部会", "会", False),
        ("人", "万人", False),
        ("施設", "%", False),
    ],
)
def test_unit_matches(value_unit: str, indicator_unit: str | None, expected: bool) -> None:
    assert unit_matches(value_unit, indicator_unit) is expected


@pytest.mark.parametrize(
    ("value_unit", "indicator_unit", "factor"),
    [
        ("千円", "千円", Decimal(1)),
        ("億円", "千円", Decimal(100000)),
        ("兆円", "億円", Decimal(10000)),
        ("百万円", "千円", Decimal(1000)),
        ("円", "千円", Decimal("0.001")),
        ("万円", "億円", Decimal("0.0001")),
        ("万人", "人", Decimal(10000)),
        ("人", "千人", Decimal("0.001")),
        ("名", "万人", Decimal("0.0001")),
        ("施設", "%", None),
        ("千円", "人", None),
        ("km", "m", None),  # only Japanese magnitudes convert
    ],
)
def test_unit_factor_is_exact_within_a_family(value_unit: str, indicator_unit: str, factor: Decimal | None) -> None:
    assert unit_factor(value_unit, indicator_unit) == factor


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("100%達成", "%", N(100, "%", "達成")),
        ("6件実施", "件", N(6, "件", "実施")),
        ("100％達成(見込み)", "％", N(100, "％", "達成、見込み")),
        ("12件/年", "件", None),  # a rate is another unit
        ("6m2", "m", None),
        ("16施設", "%", None),
    ],
)
def test_words_after_the_rows_unit_are_a_note(raw: str, unit: str, expected: Number | None) -> None:
    number = parse_value(raw)
    assert isinstance(number, Number)
    assert split_unit_words(number, unit) == expected


def test_convert_reads_a_value_in_its_rows_unit_exactly() -> None:
    assert convert(N(1, "億円"), "千円") == Decimal(100000)
    assert convert(N(17319, "億円"), "兆円") == Decimal("1.7319")
    assert convert(N("1.2", "万人"), "人") == Decimal(12000)
    assert convert(N(628000, "円"), "千円") == Decimal(628)
    assert convert(N(6), "件") == Decimal(6)
    assert convert(N(16, "施設"), "%") is None


def test_format_number_groups_digits_and_drops_trailing_zeros() -> None:
    assert [format_number(Decimal(x)) for x in ("100000", "1E+5", "1234.50", "0.001", "-6")] == [
        "100,000",
        "100,000",
        "1,234.5",
        "0.001",
        "-6",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("測定指標なし", True),
        ("　測定指標なし。", True),
        ("測定指標無し", True),
        ("指標なし", True),
        ("測定指標", False),
        ("なし", False),  # not applicable: a blank name, not a statement about the policy
        (None, False),
    ],
)
def test_says_no_indicators(raw: str | None, expected: bool) -> None:
    assert says_no_indicators(raw) is expected


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


# 時点 without an era, read in the era of the file's fiscal year (stepping back when that is in the future; a
# long-term target's year is expected ahead): (text, file's fiscal year, long-term?) -> (normalised, year, read as).
ERA_LESS: list[tuple[str, int, bool, tuple[str, int, str]]] = [
    ("23年度当初", 2014, False, ("2011-04", 2011, "平成23年度当初")),
    ("26年度末", 2014, False, ("2015-03", 2014, "平成26年度末")),
    ("２６年度", 2014, False, ("2014", 2014, "平成26年度")),
    ("30年度", 2021, False, ("2018", 2018, "平成30年度")),
    ("2年度", 2021, False, ("2020", 2020, "令和2年度")),
    ("元年度", 2021, False, ("2019", 2019, "令和元年度")),
    ("30年4月", 2021, False, ("2018-04", 2018, "平成30年4月")),
    ("7年度", 2021, True, ("2025", 2025, "令和7年度")),
    ("32年度", 2019, True, ("2020", 2020, "平成32年度")),  # written before the era changed
    ("29年度", 2015, True, ("2017", 2017, "平成29年度")),
    ("60年度", 2015, False, ("1985", 1985, "昭和60年度")),
]


@pytest.mark.parametrize(("raw", "fiscal_year", "future", "expected"), ERA_LESS)
def test_era_less_years_take_the_files_era(
    raw: str, fiscal_year: int, future: bool, expected: tuple[str, int, str]
) -> None:
    normalised, year, read_as = expected
    assert parse_as_of(raw, fiscal_year=fiscal_year, future=future) == AsOf(raw, normalised, year, read_as)


def test_era_less_years_need_the_files_fiscal_year() -> None:
    assert parse_as_of("23年度当初") == NotAnAsOf()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("住宅:R2年度\n耐震義務付け対象建築物:R2年度", AsOf("", "2020", 2020, None, ("2020", "2020"))),
        ("住宅：Ｒ２年度\n建築物：Ｒ３年度", AsOf("", None, None, None, ("2020", "2021"))),
        ("H27、H28", AsOf("", None, None, None, ("2015", "2016"))),
        ("住宅:R2年度", AsOf("", "2020", 2020)),
        ("R2年度\n26年度末", AsOf("", None, None, None, ("2020", "2015-03"))),
    ],
)
def test_several_as_of_in_one_cell_keep_each(raw: str, expected: AsOf) -> None:
    assert parse_as_of(raw, fiscal_year=2021) == replace(expected, text=raw)


@given(
    st.one_of(st.text(max_size=30), st.text(alphabet="HRS平成令和元年度月末当初.:/-0123456789 \n、住宅", max_size=20))
)
def test_any_text_in_an_as_of_cell_reads_as_a_time_or_not(raw: str) -> None:
    result = parse_as_of(raw, fiscal_year=2021)
    if result is None:
        assert clean_text(raw) is None
    elif isinstance(result, AsOf):
        assert result.text == clean_text(raw)
        assert (result.normalised is None) is (result.fiscal_year is None)
    else:
        assert result == NotAnAsOf()


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
        ("○(予定どおり)", "○"),
        ("○ 予定どおり", "○"),
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

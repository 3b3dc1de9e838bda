"""Turn hand-typed Japanese cell text into typed values, keeping what cannot be read as data, not exceptions.

Every function takes the cell content as text (None for a blank cell) and is pure.
A value that cannot be read comes back as a small sentinel (`Invalid`, `NotANumber`
with a Japanese hint, ...) so that the validator can report it with the original
text; nothing is ever silently turned into 0 or None.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pipeline.contract.layout import (
    ACHIEVEMENT_MAX,
    ACHIEVEMENT_MIN,
    PLAN_MARKS,
    PROGRESS,
    PROGRESS_MARKS,
    STAGE_LABELS,
    STAGES,
    label_of,
)

# Dashes and words that mean "not applicable"; a cell holding only one of them is blank.
NA_MARKERS: frozenset[str] = frozenset(
    {
        "-",  # hyphen-minus
        "－",  # U+FF0D fullwidth hyphen-minus
        "―",  # U+2015 horizontal bar
        "ー",  # U+30FC katakana prolonged sound mark, typed as a dash by IME users
        "—",  # U+2014 em dash
        "–",  # U+2013 en dash
        "‐",  # U+2010 hyphen
        "−",  # U+2212 minus sign
        "─",  # U+2500 box drawing, offered by IME for "ー"
        "なし",
        "無し",
        "該当なし",
        "該当無し",
    }
)


@dataclass(frozen=True)
class Number:
    """A number read from a cell, with the unit typed after it ('' if none)."""

    value: int | float
    unit: str


@dataclass(frozen=True)
class Qualitative:
    """Text without any digit in a value field, kept as typed (e.g. 全て達成する)."""

    text: str


@dataclass(frozen=True)
class NotANumber:
    """Text with digits (or kanji numerals) that is not a number; `hint` says in Japanese what to type."""

    hint: str


@dataclass(frozen=True)
class AsOf:
    """A 時点: the cleaned text, its normalised form ('2015' or '2018-04') and its fiscal year."""

    text: str
    normalised: str
    fiscal_year: int


@dataclass(frozen=True)
class Invalid:
    """The text is not one of the accepted forms."""


@dataclass(frozen=True)
class NotAnInteger:
    """The text is not a whole number."""


@dataclass(frozen=True)
class OutOfRange:
    """The whole number is outside the allowed range."""


@dataclass(frozen=True)
class NotAnAsOf:
    """The text is neither a fiscal year nor a year and month."""


# ---------------------------------------------------------------- text and codes

_EDGE_BLANKS = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]+|[\s\u200b\u200c\u200d\u2060\ufeff]+$")
_SPACES = re.compile(r"\s+")
_INTEGRAL_FLOAT = re.compile(r"(-?[0-9]+)\.0+")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _squeeze(text: str) -> str:
    """NFKC, no whitespace at all, ASCII letters upper-cased: the form used to compare short entries."""
    return _SPACES.sub("", _nfkc(text)).upper()


_NA_MAX = max(map(len, NA_MARKERS)) if NA_MARKERS else 0
# str.strip() with no argument strips exactly the characters for which str.isspace() is true, as \s does
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _is_na(text: str) -> bool:
    if text in NA_MARKERS:
        return True
    # only short text can be a marker once blanks are squeezed out; skip the NFKC pass for the rest
    return len(text) <= 3 * _NA_MAX and _is_squeezed_na(text)


@functools.lru_cache(maxsize=4096)
def _is_squeezed_na(text: str) -> bool:
    """Memoised: short entries (units, marks, choices, small numbers) repeat across every file."""
    return _SPACES.sub("", _nfkc(text)) in NA_MARKERS


def clean_text(raw: str | None) -> str | None:
    """Strip surrounding blanks (including U+3000 and newlines); a blank or not-applicable marker becomes None."""
    if raw is None:
        return None
    text = raw.strip()
    if text[:1] in _ZERO_WIDTH or text[-1:] in _ZERO_WIDTH:  # rare: fall back to the full pattern
        text = _EDGE_BLANKS.sub("", text)
    if not text or _is_na(text):
        return None
    return text


def clean_code(raw: str | None) -> str | None:
    """Clean a code, phone or number-as-text and fold it to half-width (NFKC); '1.0' from a numeric cell becomes '1'."""
    text = clean_text(raw)
    if text is None:
        return None
    code = _EDGE_BLANKS.sub("", _nfkc(text))
    integral = _INTEGRAL_FLOAT.fullmatch(code)
    if integral:
        return integral.group(1)
    return code or None


# ---------------------------------------------------------------- numbers

_NUMBER = re.compile(
    r"(?P<sign>[+\-−▲△])?\s*"
    r"(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?(?:[eE][+\-]?[0-9]+)?|\.[0-9]+)"
    r"\s*(?P<unit>.*)",
    re.DOTALL,
)
# ▲ and △ before a number mean minus in Japanese accounting.
_MINUS_SIGNS = ("-", "−", "▲", "△")
_ASCII_DIGIT = re.compile(r"[0-9]")
_FIRST_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_UNIT_MAX_CHARS = 10
# A unit is a plain suffix: no digits (except a square/cube exponent such as m2 from ㎡),
# no brackets, separators, formulas or ranges.
_UNIT_FORBIDDEN = re.compile(r"[0-9\s()\[\]{}「」『』【】〔〕<>=/\\~〜,、.。:;+\-−±×*]")
_UNIT_EXPONENT = re.compile(r"(?<=[A-Za-z])[23]$")
# Words that turn a number into an estimate or a bound: the cell is then not a value.
_UNIT_QUALIFIERS = (
    "以上",
    "以下",
    "未満",
    "以内",
    "超",
    "程度",
    "前後",
    "見込",
    "予定",
    "くらい",
    "ぐらい",
    "ほど",
    "余り",
)
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_LARGE_UNITS = {"万": 10**4, "億": 10**8}
_KANJI_NUMERAL = re.compile(
    r"(?P<sign>[+\-−▲△])?(?P<numeral>[" + "".join([*_KANJI_DIGITS, *_KANJI_SMALL_UNITS, *_KANJI_LARGE_UNITS]) + r"]+)"
    r"(?P<rest>.*)",
    re.DOTALL,
)
_KANJI_UNIT_MAX_CHARS = 4
_HIRAGANA = re.compile(r"[ぁ-ゖ]")
# Ordinary words that begin with a kanji numeral: 一部達成 is a qualitative value, not "1".
_NUMERAL_WORDS = (
    "一部",
    "一定",
    "一層",
    "一般",
    "一体",
    "一致",
    "一斉",
    "一括",
    "一貫",
    "一環",
    "一律",
    "一応",
    "一旦",
    "一番",
    "一新",
    "一元",
    "一連",
    "一方",
    "一時",
    "一切",
    "一段",
    "一次",
    "二次",
    "十分",
    "万全",
    "万一",
    "三位一体",
    "千差万別",
)
_EXPLAIN_VALUE_IN = label_of("indicators.selection_reason")
_EXPLAIN_BUDGET_IN = label_of("projects.summary")
_EXAMPLE_MAX_CHARS = 12  # longer numbers in a hint would only repeat the junk back
_COMMA_HINT = "桁区切りのカンマは3桁ごとに付けるか、付けずに入力してください（例: 1,234 または 1234）"
# A date cell, as calamine gives it: what Excel makes of 3/16 or 3-16 typed into a value.
_DATE_CELL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)?")
_DATE_HINT = "日付として保存されています（Excel は 3/16 や 3-16 のような入力を日付に変えます）。"
_DATE_VALUE_HINT = f"数値だけを入力し、分数などの説明は「{_EXPLAIN_VALUE_IN}」などに書いてください"


def _is_unit(unit: str) -> bool:
    if not unit:
        return True
    if len(unit) > _UNIT_MAX_CHARS or _UNIT_FORBIDDEN.search(_UNIT_EXPONENT.sub("", unit)):
        return False
    return not any(word in unit for word in _UNIT_QUALIFIERS)


def _read_number(text: str) -> Number | None:
    """The number in NFKC `text` if the whole text is a number with an optional unit suffix."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    unit = match["unit"].strip()
    if not _is_unit(unit):
        return None
    try:
        exact = Decimal(match["digits"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None
    if not exact.is_finite() or abs(exact.adjusted()) > 300:
        return None
    if match["sign"] in _MINUS_SIGNS:
        exact = -exact
    value: int | float = int(exact) if exact == exact.to_integral_value() else float(exact)
    return Number(value=value, unit=unit)


def _kanji_to_int(numeral: str) -> int | None:
    """The value of a kanji numeral (六, 十二, 二千五百, 二〇二〇), or None if it is not well formed."""
    if len(numeral) > _EXAMPLE_MAX_CHARS:
        return None
    if all(ch in _KANJI_DIGITS for ch in numeral):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in numeral))
    total = section = 0
    digit: int | None = None
    for ch in numeral:
        if ch in _KANJI_DIGITS:
            if digit is not None:
                return None
            digit = _KANJI_DIGITS[ch]
        elif ch in _KANJI_SMALL_UNITS:
            section += (1 if digit is None else digit) * _KANJI_SMALL_UNITS[ch]
            digit = None
        else:
            section += digit or 0
            digit = None
            if section == 0:
                return None
            total += section * _KANJI_LARGE_UNITS[ch]
            section = 0
    return total + section + (digit or 0)


def _kanji_number_hint(text: str) -> str | None:
    """A hint when NFKC `text` is a number written in kanji numerals (六, 十二件), else None."""
    if text.startswith(_NUMERAL_WORDS):
        return None
    match = _KANJI_NUMERAL.fullmatch(text)
    if match is None:
        return None
    rest = match["rest"].strip()
    if len(rest) > _KANJI_UNIT_MAX_CHARS or not _is_unit(rest) or _HIRAGANA.search(rest.replace("か", "")):
        return None
    value = _kanji_to_int(match["numeral"])
    example = "6" if value is None else str(value)
    if value is not None and match["sign"] in _MINUS_SIGNS:
        example = f"-{example}"
    return f"算用数字で入力してください（例: {example}）"


def _not_a_number_hint(text: str, *, budget: bool) -> str:
    """What to type instead of NFKC `text`, which has digits but is not a number."""
    if _DATE_CELL.fullmatch(text):
        return _DATE_HINT + ("千円単位の数値だけを入力してください" if budget else _DATE_VALUE_HINT)
    if "," in text and _read_number(text.replace(",", "")) is not None:
        return _COMMA_HINT
    first = _FIRST_NUMBER.search(text)
    if first and len(first.group(0)) > _EXAMPLE_MAX_CHARS:
        first = None
    if budget:
        example = first.group(0) if first else "628"
        return f"「{example}」のように千円単位の数値だけを入力し、説明は「{_EXPLAIN_BUDGET_IN}」に書いてください"
    example = first.group(0) if first else "18"
    return f"「{example}」のように数値だけを入力し、説明は「{_EXPLAIN_VALUE_IN}」などに書いてください"


def parse_value(raw: str | None) -> Number | Qualitative | NotANumber | None:
    """Read an indicator value: a number with an optional unit, qualitative text without digits, or NotANumber."""
    text = clean_text(raw)
    if text is None:
        return None
    folded = _nfkc(text).strip()
    number = _read_number(folded)
    if number is not None:
        return number
    if not _ASCII_DIGIT.search(folded):
        kanji_hint = _kanji_number_hint(folded)
        return Qualitative(text) if kanji_hint is None else NotANumber(kanji_hint)
    return NotANumber(_not_a_number_hint(folded, budget=False))


def parse_budget(raw: str | None) -> Number | NotANumber | None:
    """Read a budget: like parse_value, but text without digits is NotANumber; the caller checks the unit (千円)."""
    text = clean_text(raw)
    if text is None:
        return None
    folded = _nfkc(text).strip()
    number = _read_number(folded)
    if number is not None:
        return number
    if not _ASCII_DIGIT.search(folded):
        kanji_hint = _kanji_number_hint(folded)
        return NotANumber(kanji_hint or "千円単位の数値で入力してください（例: 628）")
    return NotANumber(_not_a_number_hint(folded, budget=True))


def unit_matches(value_unit: str, indicator_unit: str | None) -> bool:
    """Whether a value's unit agrees with the indicator's 単位: '' always does, otherwise equal after NFKC."""
    if not value_unit.strip():
        return True
    return _SPACES.sub("", _nfkc(value_unit)).casefold() == _SPACES.sub("", _nfkc(indicator_unit or "")).casefold()


# ---------------------------------------------------------------- fiscal years and 時点

# Western year = era base + era year.
_ERA_BASE = {"S": 1925, "昭和": 1925, "H": 1988, "平成": 1988, "R": 2018, "令和": 2018}
_SHOWA_LAST_YEAR = 64
_MIN_YEAR = 1926  # the first year of Shōwa: older 時点 are not plausible in a 工程表
_MAX_YEAR = 2100
_YEAR = r"(?:(?P<era>S|H|R|昭和|平成|令和)\.?(?P<era_year>[0-9]{1,2}|元)|(?P<western>[0-9]{4}))"
_FISCAL_YEAR = re.compile(rf"(?:FY)?{_YEAR}(?:\.0+)?(?:年度|年)?")
_TWO_FORMS = re.compile(r"(?P<outer>[^()]+)\((?P<inner>[^()]+)\)(?P<suffix>年度|年)?")
_FISCAL_YEAR_EDGE = re.compile(rf"{_YEAR}年度(?P<edge>末|当初|初め|初)")
_YEAR_MONTH_KANJI = re.compile(rf"{_YEAR}年(?P<month>[0-9]{{1,2}})月(?:(?P<day>[0-9]{{1,2}})日)?(?:末|初め|初)?")
_YEAR_MONTH_SEP = re.compile(rf"{_YEAR}(?P<sep>[./\-])(?P<month>[0-9]{{1,2}})(?:(?P=sep)(?P<day>[0-9]{{1,2}}))?")
_TIME_OF_DAY = re.compile(r"[\sT][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?$")
_AS_OF_SUFFIX = re.compile(r"(?:時点|現在)$")
_EXCEL_SERIAL = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
_EXCEL_SERIAL_MIN = 20000
_EXCEL_SERIAL_MAX = 80000
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # 1900 date system, past the fictitious 1900-02-29
_FIRST_MONTH_OF_FISCAL_YEAR = 4


def _year(match: re.Match[str]) -> int | None:
    """The Western year of a `_YEAR` match, or None when it is not plausible."""
    if match["western"]:
        year = int(match["western"])
    else:
        era_year = 1 if match["era_year"] == "元" else int(match["era_year"])
        if era_year < 1 or (_ERA_BASE[match["era"]] == _ERA_BASE["S"] and era_year > _SHOWA_LAST_YEAR):
            return None
        year = _ERA_BASE[match["era"]] + era_year
    return year if _MIN_YEAR <= year <= _MAX_YEAR else None


def _fiscal_year(squeezed: str) -> int | None:
    """The fiscal year of squeezed text such as 'H27', '2015年度', '令和元年度(2019年度)'."""
    match = _FISCAL_YEAR.fullmatch(squeezed)
    if match:
        return _year(match)
    both = _TWO_FORMS.fullmatch(squeezed)
    if both is None:
        return None
    suffix = both["suffix"] or ""
    outer = _FISCAL_YEAR.fullmatch(both["outer"] + suffix)
    inner = _FISCAL_YEAR.fullmatch(both["inner"])
    if outer is None or inner is None:
        return None
    year = _year(outer)
    return year if year is not None and year == _year(inner) else None


def parse_fiscal_year(raw: str | None) -> int | None:
    """The Western fiscal year of '2015', 'H27', '平成27年度', 'R元', 'FY2015'...; None when it is not one."""
    text = clean_text(raw)
    if text is None:
        return None
    return _fiscal_year(_squeeze(text))


def _month_as_of(text: str, year: int | None, month: int, day: int | None = None) -> AsOf | None:
    if year is None or not 1 <= month <= 12:
        return None
    if day is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            return None
    fiscal_year = year if month >= _FIRST_MONTH_OF_FISCAL_YEAR else year - 1
    return AsOf(text=text, normalised=f"{year:04d}-{month:02d}", fiscal_year=fiscal_year)


def _read_as_of(text: str) -> AsOf | None:
    squeezed = _AS_OF_SUFFIX.sub("", _squeeze(_TIME_OF_DAY.sub("", _nfkc(text).strip())))
    fiscal_year = _fiscal_year(squeezed)
    if fiscal_year is not None:
        return AsOf(text=text, normalised=str(fiscal_year), fiscal_year=fiscal_year)
    edge = _FISCAL_YEAR_EDGE.fullmatch(squeezed)
    if edge:
        year = _year(edge)
        if year is None:
            return None
        if edge["edge"] == "末":  # the end of fiscal year N is March of N + 1
            return _month_as_of(text, year + 1, _FIRST_MONTH_OF_FISCAL_YEAR - 1)
        return _month_as_of(text, year, _FIRST_MONTH_OF_FISCAL_YEAR)
    for pattern in (_YEAR_MONTH_KANJI, _YEAR_MONTH_SEP):
        match = pattern.fullmatch(squeezed)
        if match:
            day = int(match["day"]) if match["day"] else None
            return _month_as_of(text, _year(match), int(match["month"]), day)
    if _EXCEL_SERIAL.fullmatch(squeezed) and _EXCEL_SERIAL_MIN <= float(squeezed) <= _EXCEL_SERIAL_MAX:
        date = _EXCEL_EPOCH + dt.timedelta(days=int(float(squeezed)))
        year = date.year if _MIN_YEAR <= date.year <= _MAX_YEAR else None
        return _month_as_of(text, year, date.month)
    return None


def parse_as_of(raw: str | None) -> AsOf | NotAnAsOf | None:
    """Read a 時点: a fiscal year ('H27', '2015年度', 'H27年度末') or a year and month ('H30.4', '2020年3月', a date)."""
    text = clean_text(raw)
    if text is None:
        return None
    as_of = _read_as_of(text)
    return NotAnAsOf() if as_of is None else as_of


# ---------------------------------------------------------------- choices and marks

_PARENTHESISED = re.compile(r"\((?P<inner>[^()]+)\)")
_STAGE_FORM = re.compile(r"[■□◆◇●・]?(?P<stage>[^()]+?)(?:評価|時点)?(?:\((?P<note>[^()]+)\))?")


def _stage_notes(stage: str) -> frozenset[str]:
    """The notes accepted in brackets after a stage: the template label's own note, with or without 時点."""
    label = _PARENTHESISED.search(_squeeze(STAGE_LABELS[stage]))
    if label is None:
        return frozenset()
    return frozenset({label["inner"], label["inner"] + "時点"})


_STAGE_NOTES = {stage: _stage_notes(stage) for stage in STAGES}


def parse_stage(raw: str | None) -> str | Invalid | None:
    """The canonical 評価時点 (当初, 中間, 最終) of a cell such as '最終', '最終評価(年度末時点)' or '当初（計画）'."""
    text = clean_text(raw)
    if text is None:
        return None
    match = _STAGE_FORM.fullmatch(_squeeze(text))
    if match is None or match["stage"] not in STAGES:
        return Invalid()
    stage = match["stage"]
    if match["note"] is not None and match["note"] not in _STAGE_NOTES[stage]:
        return Invalid()
    return stage


def _choice_key(text: str) -> str:
    return _SPACES.sub("", _nfkc(text)).casefold()


def parse_choice(raw: str | None, choices: tuple[str, ...]) -> str | Invalid | None:
    """The entry of `choices` that the cell names, compared after NFKC without blanks; Invalid if none does."""
    text = clean_text(raw)
    if text is None:
        return None
    key = _choice_key(text)
    for choice in choices:
        if _choice_key(choice) == key:
            return choice
    return Invalid()


_EXCELLENT, _ON_SCHEDULE, _SLIGHTLY_BEHIND, _FAR_BEHIND = PROGRESS_MARKS
# Look-alike characters for the progress marks, after _squeeze (so 'x', 'ｘ' and 'Ｘ' arrive as 'X').
_PROGRESS_ALIASES = {mark: mark for mark in PROGRESS_MARKS} | {
    "〇": _ON_SCHEDULE,  # U+3007 ideographic number zero
    "◯": _ON_SCHEDULE,  # U+25EF large circle
    "▲": _SLIGHTLY_BEHIND,
    "✕": _FAR_BEHIND,
    "✖": _FAR_BEHIND,
    "✗": _FAR_BEHIND,
    "X": _FAR_BEHIND,
}
_PROGRESS_BY_MEANING = {meaning: mark for mark, meaning in PROGRESS}
_PROGRESS_FORM = re.compile(r"(?P<mark>.)[:・]?(?:\((?P<bracketed>[^()]+)\)|(?P<plain>[^()]+))")


def parse_progress(raw: str | None) -> str | Invalid | None:
    """The canonical 進捗評価 mark (◎ ○ △ ×) of a mark, its look-alike, '◎（予定以上）' or the meaning alone."""
    text = clean_text(raw)
    if text is None:
        return None
    squeezed = _squeeze(text)
    bracketed = _PARENTHESISED.fullmatch(squeezed)
    alone = bracketed["inner"] if bracketed else squeezed
    if alone in _PROGRESS_ALIASES:
        return _PROGRESS_ALIASES[alone]
    if alone in _PROGRESS_BY_MEANING:
        return _PROGRESS_BY_MEANING[alone]
    match = _PROGRESS_FORM.fullmatch(squeezed)
    if match is None or match["mark"] not in _PROGRESS_ALIASES:
        return Invalid()
    mark = _PROGRESS_ALIASES[match["mark"]]
    meaning = match["bracketed"] or match["plain"]
    return mark if _PROGRESS_BY_MEANING.get(meaning) == mark else Invalid()


_PLAN_MARKS = frozenset(_squeeze(mark) for mark in PLAN_MARKS)


# A TRUE/FALSE cell, as calamine gives it: an Excel check box linked to the cell, or TRUE typed (stored as a boolean).
_CHECK_BOX = {"true": True, "false": False}


def parse_mark(raw: str | None) -> bool | Invalid:
    """Whether a related-plan row is ticked: blank or not-applicable is False, a plan mark (○ 〇 ◯ ● ✓ レ 1) True;
    a check box's TRUE/FALSE as ticked or not."""
    code = clean_code(raw)
    if code is None:
        return False
    squeezed = _squeeze(code)
    if squeezed in _PLAN_MARKS:
        return True
    return _CHECK_BOX.get(squeezed.casefold(), Invalid())


def parse_score(raw: str | None) -> int | NotAnInteger | OutOfRange | None:
    """Read 達成度の評価, a whole number from 0 to 10 ('9', '９', '9.0', '9点')."""
    text = clean_text(raw)
    if text is None:
        return None
    number = _read_number(_nfkc(text).strip())
    if number is None or number.unit not in ("", "点") or not isinstance(number.value, int):
        return NotAnInteger()
    if not ACHIEVEMENT_MIN <= number.value <= ACHIEVEMENT_MAX:
        return OutOfRange()
    return number.value


# ---------------------------------------------------------------- phone numbers

# Dashes that Japanese typists use between the parts of a phone number; all become '-'.
_PHONE_DASHES = re.compile(r"[‐‑‒–—―−ー─]")
_PHONE_EXTENSION = re.compile(r"(?P<number>.+?)\s*(?P<extension>\(内線:?\s*[0-9]+\)|内線:?\s*[0-9]+)")
# Digit runs with exactly one separator between them, so that matching never backtracks.
_PHONE_NUMBER = re.compile(r"\(?[0-9]+(?:(?:[- ]|\)[- ]?|\()[0-9]+)*")
_PHONE_DIGITS = (10, 11)


def parse_phone(raw: str | None) -> str | Invalid | None:
    """A Japanese phone number (10 or 11 digits from 0, '-' or brackets between parts, optional 内線), NFKC-folded."""
    text = clean_text(raw)
    if text is None:
        return None
    phone = _PHONE_DASHES.sub("-", _nfkc(text).strip())
    extension = _PHONE_EXTENSION.fullmatch(phone)
    number = extension["number"] if extension else phone
    digits = re.sub(r"[^0-9]", "", number)
    if (
        not _PHONE_NUMBER.fullmatch(number)
        or len(digits) not in _PHONE_DIGITS
        or not digits.startswith("0")
        or digits.startswith("00")
        or number.count("(") != number.count(")")
        or number.count("(") > 1
        or number.find("(") > number.find(")")
    ):
        return Invalid()
    return phone

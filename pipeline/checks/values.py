"""Indicator values and budgets read as a careful reader reads them (design §3): a number with its unit, note and
whether it is approximate, exact (Decimal) through Japanese large numbers and unit families; or the text kept as
typed with why it is qualitative; or a hint for a mistyped number."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from pipeline.checks.text import _SPACES, _nfkc, clean_text

_ARABIC = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_ARABIC_AT = re.compile(_ARABIC)
_PLAIN_NUMBER = re.compile(
    rf"(?P<sign>[+\-−▲△])?\s*(?P<digits>{_ARABIC}(?:[eE][+\-]?[0-9]+)?)\s*(?P<unit>.*)",
    re.DOTALL,
)
# ▲ and △ before a number mean minus in Japanese accounting.
_MINUS_SIGNS = ("-", "−", "▲", "△")
_SIGN = re.compile(r"(?P<sign>[+\-−▲△])?\s*(?P<rest>.*)", re.DOTALL)
_ASCII_DIGIT = re.compile(r"[0-9]")
_UNIT_MAX_CHARS = 10
# A unit is a plain suffix: no digits (except a square/cube exponent such as m2 from ㎡), no brackets, separators,
# formulas or ranges; a rate such as 件/年 may name its period after a slash.
_UNIT_FORBIDDEN = re.compile(r"[0-9\s()\[\]{}「」『』【】〔〕<>=\\~〜,、.。:;+\-−±×*※]")
_UNIT_EXPONENT = re.compile(r"(?<=[A-Za-z])[23]$")
# Hiragana in a unit only as a counter's own kana: か所, か月, 3つ.
_UNIT_KANA_OK = frozenset("かつ")
# A number followed by one of these words is a change, not a level (700億円の増, 10%削減).
_RELATIVE_WORDS = (
    "増加",
    "減少",
    "増",
    "減",
    "アップ",
    "ダウン",
    "向上",
    "上昇",
    "低下",
    "削減",
    "改善",
    "拡大",
    "縮小",
)
_RELATIVE_LEAD = re.compile(r"(?:対?前年度?比?|前年度?から|前回比|現状から|当初から|基準値から)")
_RELATIVE_TAIL = re.compile(r"(?:の)?(?:" + "|".join(_RELATIVE_WORDS) + r")(?:させる|する|を図る)?[。.]?$")
# Words around a number that a careful reader keeps as a note: 100人以上, 累計30名, 1,200人見込み.
_TRAILING_NOTES = ("以上", "以下", "未満", "以内", "超", "見込み", "見込", "予定", "累計", "目標", "実績")
_LEADING_NOTES = ("累計", "延べ", "延", "合計", "年間", "通算", "計")
# Words that make a number an estimate: read, but flagged (約6, 概ね6, 6件程度).
_LEADING_APPROX = ("約", "概ね", "おおむね", "およそ", "凡そ", "ほぼ")
_TRAILING_APPROX = ("程度", "前後", "くらい", "ぐらい", "ほど")
_BRACKETS = {"(": ")", "[": "]", "【": "】", "〔": "〕", "<": ">", "≪": "≫", "《": "》"}
_OPENERS = {close: open_ for open_, close in _BRACKETS.items()}
_BRACKET_CHARS = frozenset(_BRACKETS) | frozenset(_OPENERS)
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_DIGIT_RUN = re.compile("[" + "".join(_KANJI_DIGITS) + "]+")
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_LARGE_UNITS = {"万": 10**4, "億": 10**8, "兆": 10**12}
_KANJI_UNIT_MAX_CHARS = 4
_KANJI_RUN_MAX_CHARS = 12  # 二〇二〇 is a number; a longer run of digits is not something anyone types
_MAX_EXPONENT = 300  # larger or smaller numbers are junk, and would not survive a float
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
# Unit spellings that mean the same thing, after NFKC and casefolding.
_UNIT_ALIASES = {
    **dict.fromkeys(("か所", "カ所", "ヵ所", "ヶ所", "ケ所", "個所"), "箇所"),
    **dict.fromkeys(("か月", "カ月", "ヵ月", "ヶ月", "ケ月"), "箇月"),
    "名": "人",
    "パーセント": "%",
}
# Japanese magnitude prefixes of a unit (千円, 万人, 億円): longest first, so that 百万 is not read as 万.
_UNIT_SCALES = (
    ("千万", 10**7),
    ("百万", 10**6),
    ("十万", 10**5),
    ("兆", 10**12),
    ("億", 10**8),
    ("万", 10**4),
    ("千", 10**3),
)
_SEGMENT_SEPARATORS = re.compile(r"[\s、;・]+")
_EXAMPLE_NUMBER = re.compile(rf"{_ARABIC}(?:[%A-Za-z\u30a1-\u30fa\u30fc\u4e00-\u9fff]{{0,5}})")
_EXAMPLE_MAX_CHARS = 12  # longer numbers in a hint would only repeat the junk back
_FRACTION = re.compile(r"(?P<numerator>[0-9]{1,15})\s*/\s*(?P<denominator>[0-9]{1,15})\s*(?P<unit>.*)", re.DOTALL)
# Digits, separators and blanks with at most a unit after them: a number mistyped, not a sentence.
_MALFORMED = re.compile(r"(?P<sign>[+\-−▲△ー])?\s*[0-9.,][0-9.,\s]*(?P<unit>[^0-9.,\s][^0-9]*)?", re.DOTALL)
_COMMA_HINT = "桁区切りのカンマは3桁ごとに付けるか、付けずに入力してください（例: 1,234 または 1234）"
# A date cell, as calamine gives it: what Excel makes of 3/16 or 3-16 typed into a value.
_DATE_CELL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)?")
_DATE_HINT = "日付として保存されています（Excel は 3/16 や 3-16 のような入力を日付に変えます）。"
_DATE_VALUE_HINT = "数値を入力し直してください（分数は割合か件数で。例: 18.8%、3件）"
_DATE_BUDGET_HINT = "千円単位の数値だけを入力してください"
_NOTES_MAX = 8  # words and brackets around one number; more is a sentence, not a value
_PRECISION = 80  # digits: every product and quotient below stays exact


def _is_unit(unit: str) -> bool:
    """Whether NFKC `unit` can be a unit suffix ('' is none)."""
    if not unit:
        return True
    if len(unit) > _UNIT_MAX_CHARS or _UNIT_FORBIDDEN.search(_UNIT_EXPONENT.sub("", unit)):
        return False
    if unit.startswith("/") or unit.endswith("/"):
        return False
    if any("ぁ" <= ch <= "ゖ" and ch not in _UNIT_KANA_OK for ch in unit):
        return False
    return not any(word in unit for word in (*_RELATIVE_WORDS, *_TRAILING_NOTES, *_TRAILING_APPROX))


def _plain_number(text: str) -> tuple[Decimal, str] | None:
    """An arabic number with an optional unit suffix ('6', '▲1,234千円', '12.5%'), the whole of NFKC `text`."""
    match = _PLAIN_NUMBER.fullmatch(text)
    if match is None:
        return None
    unit = match["unit"].strip()
    if not _is_unit(unit):
        return None
    try:
        exact = Decimal(match["digits"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None
    if not exact.is_finite() or abs(exact.adjusted()) > _MAX_EXPONENT:
        return None
    return (-exact if match["sign"] in _MINUS_SIGNS else exact), unit


def _kanji_coefficient(text: str, pos: int) -> tuple[int, int] | None:
    """A run of kanji digits at `pos`: its value and end ('六', '二〇二〇'); None when there is none."""
    run = _KANJI_DIGIT_RUN.match(text, pos)
    if run is None or run.end() - pos > _KANJI_RUN_MAX_CHARS:
        return None
    return int("".join(str(_KANJI_DIGITS[ch]) for ch in run.group())), run.end()


def _read_group(text: str, pos: int, *, first: bool) -> tuple[Decimal, int] | None:
    """One group below 万 at `pos` ('7,319', '5千', '三千五百', '2千5百'): its value and end, or None."""
    value = Decimal(0)
    last_small = 10**9
    start = pos
    while pos < len(text):
        coefficient: Decimal | None = None
        arabic = _ARABIC_AT.match(text, pos)
        if arabic:
            digits = arabic.group().replace(",", "")
            if "." in digits and not (first and pos == start):
                return None  # a decimal only leads the number (1.2万), never follows a part of it
            coefficient, after = Decimal(digits), arabic.end()
        elif (kanji := _kanji_coefficient(text, pos)) is not None:
            number, after = kanji
            if after - pos > 1 and after < len(text) and text[after] in _SMALL_UNITS:
                return None  # 二三千: digits in a row are positional (二〇二〇), never a coefficient
            coefficient = Decimal(number)
        else:
            after = pos
        if after < len(text) and text[after] in _SMALL_UNITS:
            small = _SMALL_UNITS[text[after]]
            if small >= last_small:
                return None
            value += (Decimal(1) if coefficient is None else coefficient) * small
            last_small, pos = small, after + 1
            continue
        if coefficient is None:
            break
        value += coefficient
        pos = after
        break
    return (value, pos) if pos > start else None


def _japanese_number(text: str) -> tuple[Decimal, str] | None:
    """A number in Japanese notation with its unit ('1兆7,319億円' → 17319 億円, '3万5千人' → 35000 人, '十二件')."""
    if text.startswith(_NUMERAL_WORDS):
        return None
    signed = _SIGN.fullmatch(text)
    body = signed["rest"] if signed else text
    total, pos, groups = Decimal(0), 0, 0
    last_large: int | None = None
    ends_on_large = False
    while pos < len(body):
        group = _read_group(body, pos, first=groups == 0)
        if group is None:
            break
        value, after = group
        groups += 1
        if after < len(body) and body[after] in _LARGE_UNITS:
            large = _LARGE_UNITS[body[after]]
            if last_large is not None and large >= last_large:
                return None
            total += value * large
            last_large, pos, ends_on_large = large, after + 1, True
            continue
        total += value
        pos, ends_on_large = after, False
        break
    if groups == 0:
        return None
    numeral, unit = body[:pos], body[pos:].strip()
    arabic = bool(_ASCII_DIGIT.search(numeral))
    if not arabic:
        if set(numeral) <= {"〇"} and (len(numeral) > 1 or not unit):
            return None  # 〇 alone is a mark and 〇〇件 a placeholder; 〇件 is zero
        if len(unit) > _KANJI_UNIT_MAX_CHARS:
            return None
    elif last_large is None:
        return None  # an arabic number without 万/億/兆 is a plain number, read by _plain_number
    if not _is_unit(unit) or (total and abs(total.adjusted()) > _MAX_EXPONENT):
        return None
    if ends_on_large and last_large is not None:
        # keep the magnitude the division wrote as part of the unit: 1兆7,319億円 is 17319 億円
        with localcontext() as context:
            context.prec = _PRECISION
            total /= last_large
        unit = next(name for name, size in _LARGE_UNITS.items() if size == last_large) + unit
    if signed and signed["sign"] in _MINUS_SIGNS:
        total = -total
    return total, unit


def _number_in(text: str) -> tuple[Decimal, str] | None:
    return _plain_number(text) or _japanese_number(text)


@dataclass(frozen=True)
class _Notes:
    """A cell split into the number part and the words around it."""

    core: str
    notes: tuple[str, ...]
    approximate: bool


def _trailing_bracket(text: str) -> tuple[str, str] | None:
    """('18%', '=3/16施設') for '18%(=3/16施設)': the text before a closing bracket group and the group's inside."""
    if not text or text[-1] not in _OPENERS:
        return None
    start = text.rfind(_OPENERS[text[-1]])
    inner = text[start + 1 : -1]
    if start <= 0 or any(ch in _BRACKET_CHARS for ch in inner):
        return None
    return text[:start].rstrip(), inner


def _leading_bracket(text: str) -> tuple[str, str] | None:
    """('6件', '見込み') for '(見込み)6件'."""
    if not text or text[0] not in _BRACKETS:
        return None
    end = text.find(_BRACKETS[text[0]])
    inner = text[1:end]
    rest = text[end + 1 :].lstrip()
    if end < 0 or not rest or any(ch in _BRACKET_CHARS for ch in inner):
        return None
    return rest, inner


def _strip_word(text: str, words: tuple[str, ...], *, leading: bool) -> str | None:
    for word in words:
        if len(text) > len(word) and (text.startswith(word) if leading else text.endswith(word)):
            return word
    return None


def _strip_notes(text: str) -> _Notes:
    """Split NFKC `text` into its core and the notes around it: brackets, ※, 約, 以上, 累計, 見込み."""
    core, _, remark = text.partition("※")
    leading: list[str] = []
    trailing: list[str] = [f"※{remark.strip()}"] if remark.strip() else []
    approximate = False
    core = core.strip()
    for _ in range(_NOTES_MAX):
        if not core:
            break
        if (bracket := _trailing_bracket(core)) is not None:
            core, inner = bracket
            trailing.insert(0, inner.strip())
        elif (bracket := _leading_bracket(core)) is not None:
            core, inner = bracket
            leading.append(inner.strip())
        elif word := _strip_word(core, _TRAILING_APPROX, leading=False):
            trailing.insert(0, word)
            core, approximate = core[: -len(word)].rstrip(), True
        elif word := _strip_word(core, _TRAILING_NOTES, leading=False):
            trailing.insert(0, word)
            core = core[: -len(word)].rstrip()
        elif word := _strip_word(core, _LEADING_APPROX, leading=True):
            leading.append(word)
            core, approximate = core[len(word) :].lstrip(" :"), True
        elif word := _strip_word(core, _LEADING_NOTES, leading=True):
            leading.append(word)
            core = core[len(word) :].lstrip(" :")
        else:
            break
    return _Notes(core, tuple(n for n in (*leading, *trailing) if n), approximate)


@dataclass(frozen=True)
class Number:
    """A number read from a value cell: its exact value, the unit typed with it, a note, whether it is approximate."""

    exact: Decimal
    unit: str = ""
    note: str | None = None
    approximate: bool = False

    @property
    def value(self) -> int | float:
        """The value as JSON writes it: an int when whole, else the nearest float."""
        return json_number(self.exact)


@dataclass(frozen=True)
class Qualitative:
    """Text kept as typed in a value field, not evaluable (判定不可); `reason` is one of QUALITATIVE_REASONS.

    `example` is a number and unit found in the text, to show what could be typed instead.
    """

    text: str
    reason: str = "words"
    example: str | None = None


# words: no number at all (全て達成する); text: a number inside a sentence (限りなく100%に近付ける。);
# relative: a change, not a level (700億円の増); several: two measures in one cell; fraction: 3/16.
QUALITATIVE_REASONS = ("words", "text", "relative", "several", "fraction")


@dataclass(frozen=True)
class NotANumber:
    """A number mistyped so that it cannot be read (6,,0, 1.2.3, a date); `hint` says in Japanese what to type."""

    hint: str


def json_number(exact: Decimal) -> int | float:
    """An exact number as JSON writes it: an int when whole, else the nearest float."""
    if exact == exact.to_integral_value():
        return int(exact)
    return float(exact)


def format_number(exact: Decimal) -> str:
    """A number for a Japanese message: digits grouped by three, no trailing zeros ('100,000', '1,234.5')."""
    if exact == exact.to_integral_value():
        return f"{int(exact):,}"
    text = f"{exact:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _example(text: str, *, last: bool = False) -> str | None:
    """A number with its unit found in `text` (the first, or the last), to show what could be typed."""
    found = _EXAMPLE_NUMBER.findall(text)
    if not found:
        return None
    example = str(found[-1] if last else found[0])
    return example if len(example) <= _EXAMPLE_MAX_CHARS else None


def _is_several(text: str) -> bool:
    """Two or more measures in one cell: segments that each hold a number, not just one number split by a blank."""
    segments = [s for s in _SEGMENT_SEPARATORS.split(text) if s]
    numbered = [s for s in segments if _ASCII_DIGIT.search(s)]
    return len(numbered) >= 2 and any(not re.fullmatch(r"[0-9.,+\-]+", s) for s in numbered)


def _is_relative(core: str) -> bool:
    return bool(_ASCII_DIGIT.search(core) or _japanese_number(core)) and bool(
        _RELATIVE_LEAD.match(core) or _RELATIVE_TAIL.search(core)
    )


def _not_readable(text: str, notes: _Notes, *, budget: bool) -> Qualitative | NotANumber:
    """What NFKC `text`, which is not one number, is: qualitative text (a warning) or a mistyped number (an error)."""
    if _DATE_CELL.fullmatch(text):
        return NotANumber(_DATE_HINT + (_DATE_BUDGET_HINT if budget else _DATE_VALUE_HINT))
    core = notes.core
    if _is_several(text):
        return Qualitative(text, "several")
    if _is_relative(core):
        return Qualitative(text, "relative", _example(core))
    fraction = _FRACTION.fullmatch(core)
    if fraction and int(fraction["denominator"]) > 0 and _is_unit(fraction["unit"].strip()):
        with localcontext() as context:
            context.prec = _PRECISION
            share = Decimal(fraction["numerator"]) / Decimal(fraction["denominator"]) * 100
        percent = format_number(share.quantize(Decimal("0.1")))
        return Qualitative(text, "fraction", f"{percent}%")
    malformed = _MALFORMED.fullmatch(core)
    if malformed and _is_unit((malformed["unit"] or "").strip()):
        return NotANumber(_mistyped_hint(core, malformed["sign"], budget=budget))
    if _ASCII_DIGIT.search(core):
        return Qualitative(text, "text", _example(core, last=True))
    return Qualitative(text, "words")  # digits, if any, only in a note: 集計中（R4.6判明）


def _mistyped_hint(core: str, sign: str | None, *, budget: bool) -> str:
    """What to type instead of a mistyped number (digits, separators, blanks and a unit)."""
    if "," in core and _number_in(core.replace(",", "")) is not None:
        return _COMMA_HINT
    joined = _SPACES.sub("", core)
    if joined != core and _number_in(joined) is not None:
        return f"数字の間に空白があります。「{joined}」のように続けて入力してください"
    example = _example(core) or ("628" if budget else "6")
    if sign == "ー":  # the prolonged sound mark, typed for a minus
        return f"マイナスの値は「-{example}」または「▲{example}」と入力してください"
    what = "千円単位の数値" if budget else "数値"
    return f"「{example}」のように{what}を入力してください"


@functools.lru_cache(maxsize=8192)
def _read_value(text: str, *, budget: bool) -> Number | Qualitative | NotANumber:
    """Memoised: short entries (6, 0, 100%) repeat across every file."""
    folded = _nfkc(text).strip()
    plain = _plain_number(folded)
    if plain is not None:
        return Number(*plain)
    notes = _strip_notes(folded)
    number = _number_in(notes.core) if notes.core else None
    if number is None:
        result = _not_readable(folded, notes, budget=budget)
        return Qualitative(text, result.reason, result.example) if isinstance(result, Qualitative) else result
    exact, unit = number
    return Number(exact, unit, "、".join(notes.notes) or None, notes.approximate)


def parse_value(raw: str | None) -> Number | Qualitative | NotANumber | None:
    """Read an indicator value as a careful reader does: a number with its unit and note, or text kept as typed.

    `25.9km`, `18%(=3/16施設)`, `約6`, `1兆7,319億円`, `3万5千人`, `十二件`, `▲100` are numbers; `全て達成する`,
    `700億円の増` and two measures in one cell are Qualitative; only a mistyped number (`6,,0`) is NotANumber.
    """
    text = clean_text(raw)
    if text is None:
        return None
    return _read_value(text, budget=False)


def parse_budget(raw: str | None) -> Number | Qualitative | NotANumber | None:
    """Read a budget like a value; the caller converts its unit to 千円 (unit_factor) and checks its sign."""
    text = clean_text(raw)
    if text is None:
        return None
    return _read_value(text, budget=True)


# An indicator name that says the policy has no indicators on purpose.
NO_INDICATOR_MARKERS = frozenset({"測定指標なし", "測定指標無し", "指標なし", "指標無し", "測定指標は設定しない"})


def says_no_indicators(raw: str | None) -> bool:
    """Whether an indicator name is 測定指標なし (or 指標なし): the policy has no indicators on purpose."""
    text = clean_text(raw)
    return text is not None and _SPACES.sub("", _nfkc(text)).rstrip("。.") in NO_INDICATOR_MARKERS


def _unit_key(unit: str) -> str:
    key = _SPACES.sub("", _nfkc(unit)).casefold()
    if len(key) > 2 and key[0] in _BRACKETS and key[-1] == _BRACKETS[key[0]]:
        key = key[1:-1]  # a 単位 cell written as (%)
    return _UNIT_ALIASES.get(key, key)


def _unit_scale(key: str) -> tuple[int, str]:
    """A unit key split into its Japanese magnitude and the base unit ('千円' → 1000, '円')."""
    for prefix, size in _UNIT_SCALES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return size, _UNIT_ALIASES.get(key[len(prefix) :], key[len(prefix) :])
    return 1, key


def unit_matches(value_unit: str, indicator_unit: str | None) -> bool:
    """Whether a value's unit is the indicator's 単位: '' always is; otherwise the same after NFKC and aliases."""
    if not value_unit.strip():
        return True
    return _unit_key(value_unit) == _unit_key(indicator_unit or "")


def unit_factor(value_unit: str, indicator_unit: str) -> Decimal | None:
    """The exact factor that turns a value in `value_unit` into `indicator_unit`, None when they are not one family.

    Same unit: 1. One family of Japanese magnitudes (円/千円/万円/百万円/億円/兆円, 人/千人/万人): the ratio,
    exactly (億円 → 千円 is 100000). Anything else (% and 施設): None.
    """
    if unit_matches(value_unit, indicator_unit):
        return Decimal(1)
    from_size, from_base = _unit_scale(_unit_key(value_unit))
    to_size, to_base = _unit_scale(_unit_key(indicator_unit))
    if from_base != to_base or not from_base:
        return None
    with localcontext() as context:
        context.prec = _PRECISION
        return Decimal(from_size) / Decimal(to_size)


_WORDS_AFTER_UNIT = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff]")


def split_unit_words(number: Number, unit: str) -> Number | None:
    """The number in the row's `unit` with the words typed after it as a note ('100%達成' in a % row: 100 %, '達成');
    None when its unit does not begin with the row's unit followed by words."""
    wanted = _SPACES.sub("", _nfkc(unit)).casefold()
    rest = number.unit[len(wanted) :]  # a typed unit is NFKC already, without blanks
    if not wanted or not number.unit.casefold().startswith(wanted) or not _WORDS_AFTER_UNIT.match(rest):
        return None
    note = "、".join(n for n in (rest, number.note) if n)
    return Number(number.exact, unit, note, number.approximate)


def convert(number: Number, unit: str) -> Decimal | None:
    """The number's exact value in `unit` (the row's unit), None when its unit is of another family."""
    if not number.unit:
        return number.exact
    factor = unit_factor(number.unit, unit)
    if factor is None:
        return None
    with localcontext() as context:
        context.prec = _PRECISION
        return number.exact * factor

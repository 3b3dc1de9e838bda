"""Turn hand-typed Japanese cell text into typed values, keeping what cannot be read as data, not exceptions.

Every function takes the cell content as text (None for a blank cell) and is pure. Values are read as a careful
human reads them (design §3): numbers and units in checks.values, years and 時点 in checks.dates, text cleaning in
checks.text; here the choices, marks, scores and phone numbers, and the one namespace the validator reads from."""

from __future__ import annotations

import re

from pipeline.checks.dates import describe_as_of, parse_as_of, parse_fiscal_year
from pipeline.checks.text import (
    _SPACES,
    NA_MARKERS,
    AsOf,
    Invalid,
    NotAnAsOf,
    NotAnInteger,
    OutOfRange,
    _nfkc,
    _squeeze,
    clean_code,
    clean_text,
)
from pipeline.checks.values import (
    NO_INDICATOR_MARKERS,
    QUALITATIVE_REASONS,
    NotANumber,
    Number,
    Qualitative,
    _plain_number,
    convert,
    format_number,
    json_number,
    parse_budget,
    parse_value,
    says_no_indicators,
    split_unit_words,
    unit_factor,
    unit_matches,
)
from pipeline.contract.layout import (
    ACHIEVEMENT_MAX,
    ACHIEVEMENT_MIN,
    PLAN_MARKS,
    PROGRESS,
    PROGRESS_MARKS,
    STAGE_LABELS,
    STAGES,
)

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
    squeezed = _squeeze(text).replace("どおり", "通り")  # 予定どおり and 予定通り are one word
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
    number = _plain_number(_nfkc(text).strip())
    if number is None or number[1] not in ("", "点") or number[0] != number[0].to_integral_value():
        return NotAnInteger()
    score = int(number[0])
    if not ACHIEVEMENT_MIN <= score <= ACHIEVEMENT_MAX:
        return OutOfRange()
    return score


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


# The one namespace the validator and the tools read from: the readers of every kind of cell.
__all__ = [
    "NA_MARKERS",
    "NO_INDICATOR_MARKERS",
    "QUALITATIVE_REASONS",
    "AsOf",
    "Invalid",
    "NotANumber",
    "NotAnAsOf",
    "NotAnInteger",
    "Number",
    "OutOfRange",
    "Qualitative",
    "clean_code",
    "clean_text",
    "convert",
    "describe_as_of",
    "format_number",
    "json_number",
    "parse_as_of",
    "parse_budget",
    "parse_choice",
    "parse_fiscal_year",
    "parse_mark",
    "parse_phone",
    "parse_progress",
    "parse_score",
    "parse_stage",
    "parse_value",
    "says_no_indicators",
    "split_unit_words",
    "unit_factor",
    "unit_matches",
]

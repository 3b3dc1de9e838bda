"""Fiscal years and 時点 in 和暦 or 西暦, era-less years read in the file's era (stepping back when that would be in the
future), year-and-month and date forms; the original kept beside the normalised form."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from pipeline.checks.text import AsOf, NotAnAsOf, _nfkc, _squeeze, clean_text

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


# Eras by their first Western year, and how an era-less year is written: 23年度当初, 26年度末, 30年4月.
_ERAS = ((1926, "S", "昭和"), (1989, "H", "平成"), (2019, "R", "令和"))
_ERA_LESS = re.compile(r"(?:[0-9]{1,2}|元)年")
_AS_OF_LINES = re.compile(r"[\n\r、,;]+")
_AS_OF_BLANKS = re.compile(r"\s+")


def _eras_around(fiscal_year: int) -> list[tuple[str, str]]:
    """The era of `fiscal_year` and the one before it, as (letter, name)."""
    current = max((i for i, (first, _, _) in enumerate(_ERAS) if first <= fiscal_year), default=0)
    return [(letter, name) for _, letter, name in _ERAS[max(0, current - 1) : current + 1]]


def _read_era_less(text: str, fiscal_year: int, *, future: bool) -> AsOf | None:
    """An era-less year ('23年度当初') in the era of the file's fiscal year, or the era before when that would put it
    in the future; a long-term target's year (`future`) is expected to lie ahead, so it takes the nearest era that
    does not put it in the past."""
    squeezed = _squeeze(text)
    if not _ERA_LESS.match(squeezed):
        return None
    candidates = [
        (as_of, name) for letter, name in _eras_around(fiscal_year) if (as_of := _read_as_of(letter + squeezed))
    ]
    years = [(as_of.fiscal_year or 0, i) for i, (as_of, _) in enumerate(candidates)]
    if not years:
        return None
    if future:
        ahead = [y for y in years if y[0] >= fiscal_year]
        _, chosen = min(ahead) if ahead else max(years)
    else:
        behind = [y for y in years if y[0] <= fiscal_year]
        _, chosen = max(behind) if behind else min(years)
    as_of, name = candidates[chosen]
    return replace(as_of, text=text, read_as=name + squeezed)


def _read_one_as_of(text: str, fiscal_year: int | None, *, future: bool) -> AsOf | None:
    """One 時点, with or without a label before a colon ('住宅:R2年度'), with or without its era."""
    as_of = _read_as_of(text)
    if as_of is None and fiscal_year is not None:
        as_of = _read_era_less(text, fiscal_year, future=future)
    if as_of is None:
        label, colon, rest = _nfkc(text).strip().partition(":")
        if colon and label.strip() and not label.strip().isdigit() and rest.strip() and ":" not in rest:
            inner = _read_one_as_of(rest.strip(), fiscal_year, future=future)
            as_of = None if inner is None else replace(inner, text=text)
    return as_of


def _read_several_as_of(text: str, fiscal_year: int | None, *, future: bool) -> AsOf | None:
    """Several 時点 in one cell (one per line, or separated by 、 or blanks): their common 時点, or None and None."""
    folded = _nfkc(text).strip()
    for separator in (_AS_OF_LINES, _AS_OF_BLANKS):
        pieces = [p.strip() for p in separator.split(folded) if p.strip()]
        if len(pieces) < 2:
            continue
        read = [_read_one_as_of(p, fiscal_year, future=future) for p in pieces]
        if not all(read):
            continue
        parts = tuple(as_of.normalised or "" for as_of in read if as_of)
        first = read[0]
        assert first is not None
        if len(set(parts)) == 1:
            return AsOf(text, first.normalised, first.fiscal_year, first.read_as, parts)
        return AsOf(text, None, None, None, parts)
    return None


def describe_as_of(normalised: str) -> str:
    """A normalised 時点 for a Japanese message: '2015' → '2015年度', '2016-03' → '2016年3月'."""
    year, _, month = normalised.partition("-")
    return f"{year}年{int(month)}月" if month else f"{year}年度"


def parse_as_of(raw: str | None, *, fiscal_year: int | None = None, future: bool = False) -> AsOf | NotAnAsOf | None:
    """Read a 時点: a fiscal year ('H27', '2015年度', 'H27年度末'), a year and month ('H30.4', '2020年3月', a date).

    With the file's `fiscal_year`, an era-less year ('23年度当初') is read in its era (`read_as` says which);
    `future` for a long-term target's year. A cell with several 時点 ('住宅:R2年度' and a second line) keeps each.
    """
    text = clean_text(raw)
    if text is None:
        return None
    as_of = _read_one_as_of(text, fiscal_year, future=future) or _read_several_as_of(text, fiscal_year, future=future)
    return NotAnAsOf() if as_of is None else as_of

"""Text cleaning shared by every reader of hand-typed cells: blanks, NFKC, not-applicable marks, and the small
sentinels a reader returns instead of an exception."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

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
class AsOf:
    """A 時点: the cleaned text, its normalised form ('2015' or '2018-04') and its fiscal year.

    `read_as` names the era an era-less year was read in ('平成23年度当初' for '23年度当初'); `parts` holds the
    normalised form of each 時点 when one cell names several, and normalised and fiscal_year are None when they differ.
    """

    text: str
    normalised: str | None
    fiscal_year: int | None
    read_as: str | None = None
    parts: tuple[str, ...] = ()


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

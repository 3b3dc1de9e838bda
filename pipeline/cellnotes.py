"""What calamine does not say about a cell, read from the parts preflight has already inflated.

Percentages. Typing ``80%`` into a General cell makes Excel (and LibreOffice) store 0.8 and give
the cell a percent number format; calamine hands back 0.8 and says nothing of the format. Read as
it is, an indicator in % would silently be 0.8 % instead of 80 %. So this module finds the cell
styles whose number format is a percentage (styles.xml) and the numeric cells that carry one
(each worksheet), and the reader turns their value back into the text the division saw (``80%``):
normalisation then reads 80 in the unit %, exactly as if it had been typed as text, and the unit
check applies as usual.

Formula errors. A formula whose cached result is an error (``#DIV/0!``, ``#REF!``) reaches the
reader as a blank cell; it is found here (cells of type ``e``) so that validation can say so
instead of taking the value as missing.

Everything here scans bytes with regexes (no XML tree), in time linear in the part's size.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pipeline import xmlscan

# Number formats 9 (0%) and 10 (0.00%) are built in: a file uses them without defining them.
_BUILTIN_PERCENT = frozenset({9, 10})

_NUM_FMT = xmlscan.tag(rb"numFmt")
_CELL_XFS = xmlscan.tag(rb"cellXfs")
_CELL_XFS_END = re.compile(xmlscan.END_PREFIX + rb"cellXfs\s*>")
_XF = xmlscan.tag(rb"xf")
_CELL = xmlscan.tag(rb"c")
_BUILTIN_ID = re.compile(rb"numFmtId\s*=\s*[\"'](?:9|10)[\"']")
# Led by a literal, so that a sheet without errors is cleared fast (writers put no blanks around '=').
_ERROR_TYPE = re.compile(rb"t=[\"']e[\"']")
# Within one cell: its cached value, or else where it ends (its end tag, or the next cell or row).
_VALUE_OR_END = re.compile(
    xmlscan.PREFIX + rb"v>([^<]{0,40})<|" + xmlscan.END_PREFIX + rb"c\s*>|" + xmlscan.PREFIX + rb"(?:c|row)[\s/>]"
)
_UNKNOWN_ERROR = "#エラー"
_MAX_ID_DIGITS = 6

# Excel keeps 15 significant digits: 0.1 + 0.2 is shown (and typed) as 30%, not 30.000000000000004%.
_SIGNIFICANT_DIGITS = 15


@dataclass(frozen=True)
class CellNotes:
    """Per sheet name: the cells shown as percentages and the cells holding a formula error (A1 references)."""

    percent: dict[str, frozenset[str]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # reference -> the error, e.g. #DIV/0!


@dataclass(frozen=True)
class _Tag:
    attributes: dict[bytes, bytes]
    empty: bool  # <c .../>: no content
    end: int  # offset just after the start tag


def _tags(data: bytes, start_tag: re.Pattern[bytes], begin: int = 0, end: int | None = None) -> Iterator[_Tag]:
    """The well-formed start tags that ``start_tag`` finds between ``begin`` and ``end`` (others are skipped: the
    reader refuses them anyway)."""
    for start in start_tag.finditer(data, begin, len(data) if end is None else end):
        text = xmlscan.rest_of_tag(data, start)
        if text is not None:
            yield _Tag(dict(xmlscan.attributes(text)), text.rstrip().endswith(b"/"), start.end() + len(text) + 1)


def _reference(ref: bytes) -> str:
    return ref.decode("ascii", "replace").strip().replace("$", "").upper()


def _number(value: bytes | None, default: int | None = None) -> int | None:
    if value is None:
        return default
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= _MAX_ID_DIGITS else None


def is_percent_format(code: str) -> bool:
    """Whether a number format code shows values times 100: a ``%`` that is not quoted, escaped or in brackets."""
    literal_next = False
    closing = ""  # the character that ends the quoted or bracketed run we are in
    for ch in code:
        if literal_next:
            literal_next = False
        elif closing:
            if ch == closing:
                closing = ""
        elif ch == '"':
            closing = '"'
        elif ch == "[":
            closing = "]"
        elif ch in "\\_*":  # \x shows x; _x leaves x's width; *x repeats x
            literal_next = True
        elif ch == "%":
            return True
    return False


def percent_styles(styles: bytes) -> frozenset[int]:
    """Indexes of the cell styles (cellXfs) whose number format is a percentage."""
    if b"%" not in styles and _BUILTIN_ID.search(styles) is None:
        return frozenset()  # no format shows a percentage: the usual case, decided without a scan
    percent = set(_BUILTIN_PERCENT)
    for tag in _tags(styles, _NUM_FMT):
        number = _number(tag.attributes.get(b"numFmtId"))
        code = tag.attributes.get(b"formatCode")
        if number is None or code is None:
            continue
        if is_percent_format(html.unescape(code.decode("utf-8", "replace"))):
            percent.add(number)
        else:
            percent.discard(number)  # a file may redefine a built-in number
    table = _CELL_XFS.search(styles)
    if table is None:
        return frozenset()
    closing = _CELL_XFS_END.search(styles, table.end())
    xfs = _tags(styles, _XF, table.end(), closing.start() if closing else None)
    return frozenset(i for i, xf in enumerate(xfs) if _number(xf.attributes.get(b"numFmtId"), 0) in percent)


def percent_cells(sheet: bytes, styles: frozenset[int]) -> frozenset[str]:
    """A1 references of the sheet's numeric cells whose style is one of ``styles``."""
    if not styles:
        return frozenset()
    found: set[str] = set()
    for cell in _tags(sheet, _CELL):
        ref = cell.attributes.get(b"r")
        kind = cell.attributes.get(b"t", b"n").strip()
        if kind == b"n" and ref is not None and _number(cell.attributes.get(b"s"), 0) in styles:
            found.add(_reference(ref))
    return frozenset(found)


def error_cells(sheet: bytes) -> dict[str, str]:
    """The sheet's cells whose value is an error (type ``e``), by A1 reference, with the error shown."""
    if _ERROR_TYPE.search(sheet) is None:
        return {}  # no error anywhere: the usual case, decided by one search
    found: dict[str, str] = {}
    for cell in _tags(sheet, _CELL):
        ref = cell.attributes.get(b"r")
        if cell.attributes.get(b"t", b"").strip() != b"e" or ref is None:
            continue
        value = None if cell.empty else _VALUE_OR_END.search(sheet, cell.end)
        shown = value.group(1) if value is not None and value.group(1) is not None else b""
        found[_reference(ref)] = shown.decode("utf-8", "replace").strip() or _UNKNOWN_ERROR
    return found


def as_percent(text: str) -> str:
    """A stored fraction as the percentage Excel shows for it (``0.8`` → ``80%``); other text unchanged."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    scaled = number.scaleb(2)
    if not scaled:
        return "0%"
    scaled = round(scaled, _SIGNIFICANT_DIGITS - 1 - scaled.adjusted())
    return f"{scaled.normalize():f}%"

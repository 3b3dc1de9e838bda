"""What calamine does not say about a cell, read from the parts preflight has already inflated.

Scaled numbers. Typing ``80%`` into a General cell makes Excel (and LibreOffice) store 0.8 and give
the cell a percent number format; a budget kept in yen under the format ``#,##0,`` is shown in
thousands. calamine hands back the stored number and says nothing of the format: read as it is, an
indicator in % would silently be 0.8 % instead of 80 %, a budget 628,000 千円 instead of 628. So this
module finds the cell styles whose number format scales what is shown (styles.xml) and the numeric
cells that carry one (each worksheet), and the reader reads those values as shown: ``80%`` (then
normalised to 80 in the unit %, exactly as if typed as text, and unit-checked as usual) or 628.

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

from pipeline.intake import xmlscan

# Number formats 9 (0%) and 10 (0.00%) are built in: a file uses them without defining them.
_BUILTIN_PERCENT = frozenset({9, 10})
_DIGIT_PLACEHOLDERS = "0#?"

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
class Scale:
    """How a number format changes the number shown: times 100 with a % sign, divided by 1,000 per trailing comma."""

    percent: bool = False
    thousands: int = 0

    def __bool__(self) -> bool:
        return self.percent or self.thousands > 0


@dataclass(frozen=True)
class CellNotes:
    """Per sheet name, by A1 reference: the numbers shown scaled, and the cells holding a formula error."""

    scaled: dict[str, dict[str, Scale]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # the error shown, e.g. #DIV/0!


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


def number_scale(code: str) -> Scale:
    """How a number format code scales what it shows: a ``%`` (not quoted, escaped or in brackets) shows times 100;
    commas right after the last digit placeholder divide by 1,000 each (``#,##0,`` shows thousands). The first
    section (positive numbers) decides."""
    literal_next = False
    closing = ""  # the character that ends the quoted or bracketed run we are in
    kept: list[str] = []  # the section's characters that are format symbols
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
        elif ch == ";":
            break
        else:
            kept.append(ch)
    symbols = "".join(kept)
    last = max(symbols.rfind(ch) for ch in _DIGIT_PLACEHOLDERS)
    thousands = 0
    if last >= 0:
        while symbols.startswith(",", last + 1 + thousands):
            thousands += 1
    return Scale("%" in symbols, thousands)


def scaled_styles(styles: bytes) -> dict[int, Scale]:
    """The cell styles (cellXfs indexes) whose number format scales what is shown, with how."""
    if b"%" not in styles and b"," not in styles and _BUILTIN_ID.search(styles) is None:
        return {}  # no format shows a percentage or thousands: the usual case, decided without a scan
    formats = dict.fromkeys(_BUILTIN_PERCENT, Scale(percent=True))
    for tag in _tags(styles, _NUM_FMT):
        number = _number(tag.attributes.get(b"numFmtId"))
        code = tag.attributes.get(b"formatCode")
        if number is None or code is None:
            continue
        scale = number_scale(html.unescape(code.decode("utf-8", "replace")))
        if scale:
            formats[number] = scale
        else:
            formats.pop(number, None)  # a file may redefine a built-in number
    table = _CELL_XFS.search(styles)
    if table is None:
        return {}
    closing = _CELL_XFS_END.search(styles, table.end())
    xfs = _tags(styles, _XF, table.end(), closing.start() if closing else None)
    found: dict[int, Scale] = {}
    for i, xf in enumerate(xfs):
        shown = formats.get(_number(xf.attributes.get(b"numFmtId"), 0) or 0)
        if shown is not None:
            found[i] = shown
    return found


def sheet_notes(sheet: bytes, styles: dict[int, Scale]) -> tuple[dict[str, Scale], dict[str, str]]:
    """In one pass over the sheet's cells, by A1 reference: the numbers (not empty) whose style is one of
    ``styles``, with how they are shown, and the cells whose value is an error (type ``e``), with the error."""
    errors_here = _ERROR_TYPE.search(sheet) is not None  # no error anywhere: the usual case, one search
    scaled: dict[str, Scale] = {}
    errors: dict[str, str] = {}
    if not styles and not errors_here:
        return scaled, errors
    for cell in _tags(sheet, _CELL):
        ref = cell.attributes.get(b"r")
        if ref is None:
            continue
        kind = cell.attributes.get(b"t", b"n").strip()
        if kind == b"n" and styles and not cell.empty:
            scale = styles.get(_number(cell.attributes.get(b"s"), 0) or 0)
            if scale is not None:
                scaled[_reference(ref)] = scale
        elif kind == b"e":
            value = None if cell.empty else _VALUE_OR_END.search(sheet, cell.end)
            shown = value.group(1) if value is not None and value.group(1) is not None else b""
            errors[_reference(ref)] = shown.decode("utf-8", "replace").strip() or _UNKNOWN_ERROR
    return scaled, errors


def as_shown(text: str, scale: Scale) -> str:
    """A stored number as its format shows it: ``0.8`` → ``80%``, 628400 under ``#,##0,`` → ``628.4`` (exact, not
    rounded as the cell shows it); other text unchanged."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    shown = number.scaleb((2 if scale.percent else 0) - 3 * scale.thousands)
    sign = "%" if scale.percent else ""
    if not shown:
        return f"0{sign}"
    shown = round(shown, _SIGNIFICANT_DIGITS - 1 - shown.adjusted())
    return f"{shown.normalize():f}{sign}"

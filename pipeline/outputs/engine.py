"""The workbook engine: columns, rows, formats, widths, row heights and print plans of xlsxwriter sheets.

User text reaches a cell only through ``write_string``: nothing a division typed can become a formula or a link."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from pipeline.checks.status import BEHIND, INPUT_ERROR, MET, MISSING_ACTUAL, NOT_EVALUABLE
from pipeline.combine.merge import FATES
from pipeline.constants import DEFAULT_GRADE_BANDS, LOWEST_GRADE
from pipeline.outputs.labels import NONE_LINE, NOT_SUBMITTED, number_text, text_width
from pipeline.outputs.legend import BACKWARDS, CALC_DECIMALS, NO_SIGNAL, PERCENT_UNITS, SIGNALS
from pipeline.outputs.report import SEVERITY_JA

FONT_NAME = "Meiryo UI"


FONT_SIZE = 10
EXCEL_MAX_DATA_ROWS = 1_048_576 - 2  # below the title and header rows
# Excel's own good / bad / neutral cell styles, and two quieter ones.
_GOOD = {"bg_color": "#C6EFCE", "font_color": "#006100"}
_BAD = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
_NEUTRAL = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
_GREY = {"bg_color": "#D9D9D9", "font_color": "#404040"}
_BLUE = {"bg_color": "#DDEBF7", "font_color": "#1F4E78"}
# 信号: strong fills with the word in the cell, so that a black-and-white print still says it.
SIGNAL_COLOURS = {
    SIGNALS[0]: {"bg_color": "#00B050", "font_color": "#FFFFFF", "align": "center"},
    SIGNALS[1]: {"bg_color": "#FFC000", "font_color": "#000000", "align": "center"},
    SIGNALS[2]: {"bg_color": "#C00000", "font_color": "#FFFFFF", "align": "center"},
    NO_SIGNAL: _GREY,
}
ANY_VALUE = "*"  # palette key: every value that is not blank gets this colour
PALETTES: dict[str, dict[str, dict[str, str]]] = {
    "status": {BEHIND: _BAD, MISSING_ACTUAL: _NEUTRAL, NOT_EVALUABLE: _GREY, MET: _GOOD, INPUT_ERROR: _BAD},
    "signal": SIGNAL_COLOURS,
    "mark": {"◎": _GOOD, "○": _BLUE, "△": _NEUTRAL, "×": _BAD},
    "fate": {
        FATES["accepted"]: _GOOD,
        FATES["rejected"]: _BAD,
        FATES["superseded"]: _GREY,
        FATES["out-of-scope"]: _GREY,
        FATES["unsupported"]: _BAD,
        FATES["skipped"]: _GREY,
        FATES["in-transit"]: _NEUTRAL,
    },
    "severity": {SEVERITY_JA["blocking"]: _BAD, SEVERITY_JA["error"]: _BAD, SEVERITY_JA["warning"]: _NEUTRAL},
    "grade": {DEFAULT_GRADE_BANDS[0][0]: _GOOD, LOWEST_GRADE: _BAD},
    "flag": {ANY_VALUE: _BAD},
    "warning": {ANY_VALUE: _NEUTRAL},
    "submitted": {NOT_SUBMITTED: _BAD},
}
_BASE_FORMAT: dict[str, Any] = {
    "font_name": FONT_NAME,
    "font_size": FONT_SIZE,
    "valign": "top",
    "border": 1,
    "border_color": "#BFBFBF",
}
# What each kind of column looks like: cell format, and the (min, max) width in characters.
_KIND_FORMAT: dict[str, dict[str, Any]] = {
    "key": {"text_wrap": True},
    "text": {"text_wrap": True},
    "long": {"text_wrap": True},
    "note": {"text_wrap": True},
    "code": {"text_wrap": True},
    "value": {"num_format": "#,##0"},
    "calc": {"num_format": "#,##0"},
    "int": {"num_format": "#,##0"},
    "rate": {"num_format": '#,##0.0"%"'},
    "progress": {"num_format": '#,##0.0"%"', "text_wrap": True},
    "budget": {"num_format": "#,##0"},
    "mark": {"align": "center"},
    "score": {"num_format": "0", "align": "center"},
    "year": {"num_format": "0", "align": "center"},
    "hash": {},  # not wrapped: a 64-digit hash would make its row five lines tall
    "era": {},  # 平成27年度（2015年度）: on one line
    "file": {"text_wrap": True},  # a file's path in the inbox: wide enough for 部局/所属.xlsx on one line
}
# Decimals a non-integral number shows: a typed value (kind "value") as typed, up to this many places, else in
# General format; a computed one (kind "calc") rounded to at most this many places.
_TYPED_DECIMALS = 6
_CALC_DECIMALS = CALC_DECIMALS
PERCENT_FORMAT = "#,##0.0"  # a value in % shows one decimal
# Caps keep a table printable one page wide on A4; long text wraps instead of widening its column.
_WIDTHS: dict[str, tuple[int, int]] = {
    "key": (8, 14),
    "text": (6, 22),
    "long": (20, 36),
    "note": (16, 24),  # a remark that is usually blank: narrower than a sentence column
    "code": (6, 16),
    "value": (7, 12),
    "calc": (7, 12),
    "int": (5, 8),
    "rate": (7, 8),
    "progress": (8, 10),  # 当初値から後退 wraps on two lines
    "budget": (9, 17),  # wide enough for 予算額合計(千円) on one line
    "mark": (4, 8),
    "score": (5, 8),
    "year": (6, 8),
    "hash": (12, 18),
    "era": (22, 23),
    "file": (12, 28),
}
_WRAPPED_KINDS = frozenset({"key", "text", "long", "note", "code", "file"})
_NARROW_HEADERS = frozenset({"value", "calc", "int", "rate", "progress", "mark", "score"})
LINE_HEIGHT = 14.0  # points per line of 10-point Meiryo UI
MAX_ROW_LINES = 28  # Excel's row height limit is 409 points
_WIDTH_SAMPLE = 300
# A header up to SHORT_HEADER wide (4 full-width characters) is kept on one line, up to HEADER_ONE_LINE wide
# (8 characters) if its column may be that wide; a longer one takes two lines or more.
SHORT_HEADER = 8
HEADER_ONE_LINE = 16
DEFAULT_ROW_HEIGHT = 15.0  # points: xlsxwriter's default row height


@dataclass(frozen=True)
class Col:
    """One output column: header, source column, kind (format and width) and optional palette."""

    header: str
    source: str
    kind: str = "text"
    text: str | None = None  # the text to show when the number is null (qualitative values)
    palette: str | None = None
    # Which printed page (across) the column goes on when the table is too wide for one; None: not printed
    # (technical columns, kept last, for the screen only).
    page: int | None = 0
    unit: str | None = None  # the column holding the row's unit: a value in % shows one decimal

    def on(self, page: int | None) -> Col:
        """The same column, printed on this page across (None: not printed)."""
        return replace(self, page=page)


@dataclass(frozen=True)
class Rows:
    """A sheet's rows: a frame and the order to show them in (row indices; None: as they are).

    A sheet reads its rows a chunk at a time in that order, only the columns it shows, so that a large table is
    never copied whole to be sorted or filtered.
    """

    frame: pl.DataFrame
    order: pl.Series | None = None

    @classmethod
    def sorted(cls, frame: pl.DataFrame, by: Sequence[str | pl.Expr] | None = None, *, nulls_last: bool = True) -> Rows:
        """The rows sorted by ``by``, ties in frame order; by default as they are (the tables come in 組織順)."""
        keys = [] if by is None else list(by)
        if not keys or not frame.height:
            return cls(frame)
        order = pl.arg_sort_by(keys, nulls_last=nulls_last, maintain_order=True)
        return cls(frame, frame.select(order).to_series())

    @property
    def height(self) -> int:
        return self.frame.height if self.order is None else self.order.len()

    def where(self, condition: pl.Expr) -> Rows:
        """The rows that meet the condition, in the same order."""
        keep = self.frame.select(condition.fill_null(False)).to_series()
        if self.order is None:
            return Rows(self.frame, keep.arg_true())
        return Rows(self.frame, self.order.filter(keep.gather(self.order)))

    def head(self, n: int) -> Rows:
        if self.height <= n:
            return self
        return Rows(self.frame.head(n)) if self.order is None else Rows(self.frame, self.order.head(n))

    def chunks(self, names: Sequence[str], size: int) -> Iterator[pl.DataFrame]:
        """The rows in order, ``size`` at a time, with these columns only."""
        data = self.frame.select(names)
        for start in range(0, self.height, size):
            yield data.slice(start, size) if self.order is None else data[self.order.slice(start, size)]

    def sample(self, n: int) -> pl.DataFrame:
        """The first ``n`` rows in order, every column."""
        if self.order is None:
            return self.frame.head(n)
        return self.frame[self.order.head(n)]


class Styles:
    """The workbook's formats, each created once and shared by every cell that uses it."""

    def __init__(self, book: Any) -> None:
        self._book = book
        self._cache: dict[tuple[tuple[str, Any], ...], Any] = {}
        self.title = self.plain(bold=True, font_size=14)
        self.scope = self.plain(bold=True, font_size=11, font_color="#404040")
        self.title_cell = self.plain(text_wrap=True, valign="bottom")
        self.subtitle = self.plain(font_color="#404040")
        self.none_line = self.plain(italic=True, font_color="#7F7F7F")
        self.note = self.plain(text_wrap=True, valign="top", font_size=9, font_color="#404040")
        self.header = self.get(bold=True, bg_color="#D9E1F2", text_wrap=True, valign="vcenter", align="center")
        self.grid = book.add_format({"border": _BASE_FORMAT["border"], "border_color": _BASE_FORMAT["border_color"]})

    def get(self, **props: Any) -> Any:
        """A bordered cell format with the Japanese font and these properties."""
        return self._make({**_BASE_FORMAT, **props})

    def plain(self, **props: Any) -> Any:
        """A format without borders, for titles and notes."""
        return self._make({"font_name": FONT_NAME, "font_size": FONT_SIZE, **props})

    def _make(self, props: dict[str, Any]) -> Any:
        key = tuple(sorted(props.items()))
        found = self._cache.get(key)
        if found is None:
            found = self._book.add_format(props)
            self._cache[key] = found
        return found

    def cell(self, kind: str, colour: dict[str, str] | None = None, **extra: Any) -> Any:
        """The format of a data cell of this kind, optionally coloured."""
        return self.get(**{**_KIND_FORMAT[kind], **(colour or {}), **extra})


def _decimals(value: float, most: int) -> int | None:
    """The fewest decimal places (1 to ``most``) that show this value exactly; None if it needs more."""
    for places in range(1, most + 1):
        if abs(round(value, places) - value) <= 1e-9 * max(1.0, abs(value)):
            return places
    return None


def _fraction_format(kind: str, value: float) -> str:
    """The number format of a non-integral value: thousands separators and the decimals it needs."""
    if kind == "calc":
        return "#,##0." + "0" * (_decimals(value, _CALC_DECIMALS) or _CALC_DECIMALS)
    places = _decimals(value, _TYPED_DECIMALS)
    return "General" if places is None else "#,##0." + "0" * places  # General: shown as typed, never rounded


# How a column's data cells are written, chosen once per column from its dtype: the hot path of the largest
# sheets decides per cell only between a null and a value.
_GENERIC, _STRING, _PALETTE, _NUMBER, _FRACTION, _BOOL = range(6)
_ROW_CHUNK = 2048  # rows gathered in the sheet's order at a time
_BOOL_TEXT = {True: "はい", False: "いいえ"}


def _fraction_formats(styles: Styles, kind: str, colour: dict[str, str] | None) -> Callable[[float], Any]:
    """The format of a non-integral number of a typed or computed value column, each made once."""
    made: dict[str, Any] = {}

    def format_of(value: float) -> Any:
        num_format = _fraction_format(kind, value)
        found = made.get(num_format)
        if found is None:
            found = made[num_format] = styles.cell(kind, colour, num_format=num_format)
        return found

    return format_of


def _cell_mode(col: Col, dtype: pl.DataType) -> int:
    if dtype == pl.String or dtype == pl.Null:
        return _PALETTE if col.palette else _STRING
    if dtype == pl.Boolean:
        return _BOOL
    if dtype.is_float():
        return _FRACTION if col.kind in ("value", "calc") else _NUMBER
    if dtype.is_integer():
        return _NUMBER
    return _GENERIC  # decided per value


_CellPlan = tuple[int, int, int | None, int, Any, dict[Any, Any], Any, Callable[[float], Any] | None, int | None, Any]


def _cell_plans(styles: Styles, cols: Sequence[Col], frame: pl.DataFrame) -> tuple[list[str], list[_CellPlan]]:
    """The frame columns to read, and for each sheet column: its index, where its value (and fallback text) is in a
    row of them, how it is written, its plain, per-value and text formats, and its fraction formats."""
    names: list[str] = []

    def at(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    plans: list[_CellPlan] = []
    for c, col in enumerate(cols):
        palette = PALETTES.get(col.palette or "", {})
        anything = palette.get(ANY_VALUE)
        by_value = {value: styles.cell(col.kind, colour) for value, colour in palette.items() if value != ANY_VALUE}
        fractions = _fraction_formats(styles, col.kind, anything) if col.kind in ("value", "calc") else None
        unit = at(col.unit) if col.unit and col.unit in frame.columns else None
        special = None  # the format of a % value, or of 当初値から後退
        if unit is not None:
            special = styles.cell(col.kind, anything, num_format=PERCENT_FORMAT)
        elif col.kind == "progress":
            special = styles.cell("text", anything, align="right")
        plans.append(
            (
                c,
                at(col.source),
                at(col.text) if col.text else None,
                _cell_mode(col, frame.schema[col.source]),
                styles.cell(col.kind, anything),
                by_value,
                styles.cell("text", anything),
                fractions,
                unit,
                special,
            )
        )
    return names, plans


def _write_rows(ws: Any, styles: Styles, cols: Sequence[Col], rows: Rows, first: int, widths: Sequence[float]) -> float:
    """Write the data rows top to bottom, a chunk of rows at a time, each row's height before its cells, into
    ``ws`` (an xlsxwriter worksheet, or a sheetxml.SheetRows): numbers as numbers, every text with write_string,
    blanks left unwritten (framed by the table's rule). Returns the rows' height in points."""
    names, plans = _cell_plans(styles, cols, rows.frame)
    write_string, write_number, set_row = ws.write_string, ws.write_number, ws.set_row
    isfinite = math.isfinite
    height = 0.0
    r = first - 1
    for chunk in rows.chunks(names, _ROW_CHUNK):
        for row, lines in zip(chunk.rows(), _row_heights(chunk, cols, widths), strict=True):
            r += 1
            if lines > 1:
                points = _row_height(lines)
                set_row(r, points)
                height += points
            else:
                height += DEFAULT_ROW_HEIGHT
            for c, v, t, mode, plain, by_value, text_format, fractions, unit, special in plans:
                value = row[v]
                if value is None:
                    text = None if t is None else row[t]
                    if text is not None:  # a blank stays unwritten: the table's blanks rule frames it
                        write_string(r, c, text, text_format)
                elif mode == _STRING:
                    write_string(r, c, value, plain)
                elif mode == _PALETTE:
                    write_string(r, c, value, by_value.get(value, plain))
                elif special is not None and isinstance(value, float):
                    if unit is not None and row[unit] in PERCENT_UNITS and isfinite(value):
                        write_number(r, c, value, special)
                    elif unit is None and value < 0:  # a negative 進捗率 in words, never a bare negative
                        write_string(r, c, BACKWARDS, special)
                    elif fractions is not None and isfinite(value) and not value.is_integer():
                        write_number(r, c, value, fractions(value))
                    else:
                        write_number(r, c, value, plain)
                elif mode == _NUMBER:
                    write_number(r, c, value, plain)
                elif mode == _FRACTION:
                    if fractions is None or value.is_integer() or not isfinite(value):
                        write_number(r, c, value, plain)
                    else:
                        write_number(r, c, value, fractions(value))
                elif mode == _BOOL or isinstance(value, bool):
                    write_string(r, c, _BOOL_TEXT[bool(value)], plain)
                elif isinstance(value, str):
                    write_string(r, c, value, by_value.get(value, plain))
                elif fractions is not None and isinstance(value, float) and isfinite(value) and not value.is_integer():
                    write_number(r, c, value, fractions(value))
                else:
                    write_number(r, c, value, plain)
    return height


def _column_width(col: Col, frame: pl.DataFrame) -> float:
    """A width that fits the header (wrapped on up to two lines) and a sample of the values, within the kind's caps."""
    low, high = _WIDTHS[col.kind]
    header = text_width(col.header)
    if col.kind in _NARROW_HEADERS and header > SHORT_HEADER:
        # a number or a mark under a long header: the header wraps (up to three lines) rather than widen the column
        header_need = math.ceil(header / (3 if header > 2 * HEADER_ONE_LINE - 4 else 2)) + 1
    elif header <= SHORT_HEADER or header <= min(HEADER_ONE_LINE, high):
        header_need = header + 1  # on one line: a full-width character is a little under 2 units wide
    else:  # on two lines: half the header and a little for the padding, so that it breaks in the middle
        header_need = math.ceil(header / 2) + 1
    sample = frame.get_column(col.source).head(_WIDTH_SAMPLE).drop_nulls().to_list() if frame.height else []
    if col.text and frame.height:
        sample += frame.get_column(col.text).head(_WIDTH_SAMPLE).drop_nulls().to_list()
    need = 0  # the widest value and its padding: 2, or 1 for Japanese text (a full-width character is under 2)
    for value in sample:
        if isinstance(value, str):
            need = max(need, text_width(value) + (2 if value.isascii() else 1))
        elif isinstance(value, int | float):
            need = max(need, len(number_text(float(value))) + 2)
    return float(max(low, min(high, max(header_need, need))))


# Half-width columns of text a line of a column holds, per unit of width: a full-width character of Meiryo UI is
# about 1.8 units wide, not 2, in Excel and in LibreOffice alike.
FILL = 1.1


def text_lines(text: str, width: float) -> int:
    """Lines that wrapped text takes in a column of this width."""
    per_line = max((width - 1.0) * FILL, 1.0)
    return sum(max(1, math.ceil(text_width(line) / per_line)) for line in text.split("\n"))


def _row_heights(frame: pl.DataFrame, cols: Sequence[Col], widths: Sequence[float]) -> list[int]:
    """Estimated lines per data row for wrapped text, line by line, vectorised: full-width characters
    (3 UTF-8 bytes) count 2.

    Row heights are set explicitly because not every client (LibreOffice, printing) fits them to wrapped text.
    """
    estimates = []
    for col, width in zip(cols, widths, strict=True):
        if col.kind == "progress" and frame.schema.get(col.source, pl.Null).is_float():
            backwards = math.ceil(text_width(BACKWARDS) / max(width - 1.0, 1.0))
            estimates.append(pl.when(pl.col(col.source) < 0).then(backwards).otherwise(1).cast(pl.Float64))
            continue
        source = col.text if col.kind == "value" else col.source if col.kind in _WRAPPED_KINDS else None
        if source is None or frame.schema.get(source) != pl.String:
            continue
        line = pl.element()
        chars = line.str.len_chars()
        display = (chars + (line.str.len_bytes() - chars) // 2).cast(pl.Float64)
        per_line = max((width - 1.0) * FILL, 1.0)
        wrapped = (display / per_line).ceil().clip(1)
        estimates.append(pl.col(source).str.split("\n").list.eval(wrapped).list.sum())
    if not estimates or not frame.height:
        return [1] * frame.height
    lines = pl.max_horizontal(estimates).fill_null(1).clip(1, MAX_ROW_LINES).cast(pl.Int64)
    return frame.select(lines).to_series().to_list()


def _row_height(lines: int) -> float:
    """Points of a row with this many lines of text."""
    return min(lines, MAX_ROW_LINES) * LINE_HEIGHT + 3 if lines > 1 else DEFAULT_ROW_HEIGHT


def set_height(ws: Any, row: int, lines: int) -> float:
    """Set a row's height for its lines of text; return the height in points."""
    if lines > 1:
        ws.set_row(row, _row_height(lines))
    return _row_height(lines)


@dataclass(frozen=True)
class _Written:
    """What write_table wrote: the last row, the column widths and the height of header and data rows."""

    last: int
    widths: list[float]
    height: float


def table_widths(cols: Sequence[Col], rows: Rows, min_widths: Sequence[float] = ()) -> list[float]:
    """The columns' widths, from the headers and the first rows, at least ``min_widths``; set before writing."""
    sample = rows.sample(_WIDTH_SAMPLE)
    return [
        max(min_widths[c] if c < len(min_widths) else 0.0, _column_width(col, sample)) for c, col in enumerate(cols)
    ]


def set_widths(ws: Any, widths: Sequence[float]) -> None:
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)


def write_table(
    ws: Any,
    styles: Styles,
    cols: Sequence[Col],
    rows: Rows,
    header_row: int,
    freeze_cols: int,
    widths: Sequence[float],
    *,
    data: Any = None,
) -> _Written:
    """Header, data, row heights, filter and frozen panes of one table, row by row below every row written so far;
    the data rows into ``data`` when given (a sheetxml.SheetRows for this sheet: nothing may be written below the
    table then)."""
    height = set_height(ws, header_row, max(text_lines(col.header, w) for col, w in zip(cols, widths, strict=True)))
    for c, col in enumerate(cols):
        ws.write_string(header_row, c, col.header, styles.header)
    first = header_row + 1
    if rows.height:
        height += _write_rows(ws if data is None else data, styles, cols, rows, first, widths)
        # Empty cells get the table's grid from one rule rather than a formatted blank cell each (~10% of cells).
        blanks = {"type": "blanks", "format": styles.grid}
        ws.conditional_format(first, 0, header_row + rows.height, len(cols) - 1, blanks)
    else:
        ws.write_string(first, 0, NONE_LINE, styles.none_line)
        height += DEFAULT_ROW_HEIGHT
    last = header_row + rows.height
    ws.autofilter(header_row, 0, max(last, header_row), len(cols) - 1)
    ws.freeze_panes(first, freeze_cols)
    return _Written(last, list(widths), height)

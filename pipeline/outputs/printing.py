"""Printing: A4 landscape page setup, and how a table is printed across (one page wide, or split with its key
columns repeated) at a readable scale."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.outputs.engine import Col

# Printing: A4 landscape within these margins (inches).
MARGIN_SIDE = 0.4
MARGIN_TOP = 0.6
PRINTABLE_WIDTH = (297 / 25.4 - 2 * MARGIN_SIDE) * 72  # points
PRINTABLE_HEIGHT = (210 / 25.4 - 2 * MARGIN_TOP) * 72
# Points per unit of column width as printed. Taken from the widest renderer seen (LibreOffice, whose stand-in
# for Meiryo UI has wide digits); Excel's own Meiryo UI is narrower, so a page planned with it never overflows.
POINTS_PER_WIDTH = 6.4
WIDTH_PADDING = 0.71  # what xlsxwriter adds to each column width for the cell padding
MIN_PRINT_SCALE = 0.7  # below this, 10-point text is too small to read on paper: the table is split across pages
PIXELS_PER_POINT = 96 / 72


def page_setup(ws: Any, scope: str, header_row: int | None) -> None:
    """A4 landscape, margins, the scope and sheet name above and page numbers below; the header row (if any)
    repeated at the top of every page."""
    ws.set_paper(9)
    ws.set_landscape()
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_TOP)
    ws.set_header(f"&L{scope.replace('&', '&&')}&R&A", {"margin": 0.25})
    ws.set_footer("&C&P / &N", {"margin": 0.25})


@dataclass(frozen=True)
class PrintPlan:
    """How a table is printed across: its printed columns, where pages break and at what scale."""

    last_col: int  # the last printed column; those after it are for the screen only
    breaks: tuple[int, ...] = ()  # columns that start a new page across
    repeat: int = 0  # leading columns printed again at the left of every page across
    scale: int | None = None  # percent; None: fitted to one page wide by the printing program


def print_plan(cols: Sequence[Col], widths: Sequence[float], repeat: int = 0) -> PrintPlan:
    """One page wide when the printed columns fit at ``MIN_PRINT_SCALE`` or more; else split at the columns'
    pages across, the first ``repeat`` columns printed on each, at the scale that fits the widest page."""
    printed = [c for c, col in enumerate(cols) if col.page is not None]
    if printed != list(range(len(printed))):
        raise ValueError("printed columns must come first")
    last = printed[-1] if printed else len(cols) - 1
    if PRINTABLE_WIDTH / printed_width(widths[: last + 1]) >= MIN_PRINT_SCALE:
        return PrintPlan(last)
    pages = [col.page or 0 for col in cols[: last + 1]]
    if pages != sorted(pages) or any(page != pages[0] for page in pages[:repeat]):
        raise ValueError("columns must be in page order, the repeated ones on the first page")
    breaks = tuple(c for c in range(1, last + 1) if pages[c] != pages[c - 1])
    if not breaks:
        return PrintPlan(last)
    starts, ends = (0, *breaks), (*breaks, last + 1)
    repeated = printed_width(widths[:repeat])
    widest = max(printed_width(widths[a:b]) + (repeated if a else 0.0) for a, b in zip(starts, ends, strict=True))
    scale = max(10, min(100, math.floor(98 * PRINTABLE_WIDTH / widest)))  # 2% to spare for rounding
    return PrintPlan(last, breaks, repeat, scale)


def apply_print_plan(ws: Any, plan: PrintPlan, last_row: int) -> None:
    ws.print_area(0, 0, last_row, plan.last_col)
    if plan.scale is None:
        ws.fit_to_pages(1, 0)
        return
    ws.set_print_scale(plan.scale)
    ws.set_v_pagebreaks(list(plan.breaks))
    ws.print_across()  # each band of rows on its pages across, one after the other
    if plan.repeat:
        ws.repeat_columns(0, plan.repeat - 1)


def printed_width(widths: Iterable[float]) -> float:
    """Points that columns of these widths take on paper at 100%."""
    return sum(POINTS_PER_WIDTH * (width + WIDTH_PADDING) for width in widths)

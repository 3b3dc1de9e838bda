"""Printing: A4 landscape page setup, every table one page wide, its wrapped columns widened to fill the page."""

from __future__ import annotations

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

PIXELS_PER_POINT = 96 / 72


def page_setup(ws: Any, scope: str, header_row: int | None, first_title_row: int = 0) -> None:
    """A4 landscape, margins, the scope and sheet name above and page numbers below; the title rows down to the
    header row (if any) repeated at the top of every page."""
    ws.set_paper(9)
    ws.set_landscape()
    if header_row is not None:
        ws.repeat_rows(first_title_row, header_row)
    ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_TOP)
    ws.set_header(f"&L{scope.replace('&', '&&')}&R&A", {"margin": 0.25})
    ws.set_footer("&C&P / &N", {"margin": 0.25})


@dataclass(frozen=True)
class PrintPlan:
    """How a table is printed: its printed columns, one page wide (fitted by the printing program)."""

    last_col: int  # the last printed column; those after it are for the screen only


def print_plan(cols: Sequence[Col], widths: Sequence[float]) -> PrintPlan:
    """Every sheet prints one page wide: the printed columns (those with a page) come first, then the screen's."""
    printed = [c for c, col in enumerate(cols) if col.page is not None]
    if printed != list(range(len(printed))):
        raise ValueError("printed columns must come first")
    return PrintPlan(printed[-1] if printed else len(cols) - 1)


# Kinds of column whose text wraps, and how much of a page's spare width each takes (sentences most).
_SPARE_SHARE = {"long": 6.0, "note": 1.5, "text": 1.0, "key": 0.25}
PRINT_SCALE = 0.75  # data sheets fill one page wide at this scale: 10-point text prints at 7.5 points
_FLOOR = {"note": 12.0, "text": 16.0, "key": 12.0}
_MAX_GROWN = 80.0  # no column wider than this (units), however much room there is


def fit_widths(
    cols: Sequence[Col], widths: Sequence[float], scale: float = PRINT_SCALE, sentence_floor: float | None = None
) -> list[float]:
    """The widths with the page's spare width given to the wrapped columns (sentences most), so that the printed
    columns fill one A4 landscape page wide at ``scale`` and long text takes fewer lines. When they are wider, the
    names give up width down to a floor each, then (with ``sentence_floor``, for a sheet of few rows whose
    sentences may take more lines) the sentences; what is still too wide the printing program fits to the page."""
    fitted = list(widths)
    printed = [c for c, col in enumerate(cols) if col.page is not None]
    room = PRINTABLE_WIDTH / scale / POINTS_PER_WIDTH - WIDTH_PADDING * len(printed) - 1.0
    spare = room - sum(fitted[c] for c in printed)
    growing = [c for c in printed if cols[c].kind in _SPARE_SHARE]
    sentences = any(cols[c].kind == "long" for c in printed)
    if spare < 0 and sentences:  # too wide: names give up width to the sentences, down to a floor each
        floors = {**_FLOOR, "long": sentence_floor or float("inf")}
        for giving in (("note", "text", "key"), ("long",)):
            slack = {c: max(0.0, fitted[c] - floors[cols[c].kind]) for c in growing if cols[c].kind in giving}
            total = sum(slack.values())
            if spare >= 0 or not total:
                continue
            cut = min(1.0, -spare / total)
            for c, amount in slack.items():
                fitted[c] -= amount * cut
            spare += total * cut
        growing = []
    for _ in range(3):  # capped columns hand their share to the others
        shares = sum(_SPARE_SHARE[cols[c].kind] for c in growing)
        if spare <= 0.5 or not shares:
            break
        grown = []
        for c in growing:
            extra = spare * _SPARE_SHARE[cols[c].kind] / shares
            new = min(_MAX_GROWN, fitted[c] + extra)
            grown.append((c, new - fitted[c]))
            fitted[c] = new
        spare -= sum(d for _, d in grown)
        growing = [c for c in growing if fitted[c] < _MAX_GROWN]
    return [float(int(w * 2) / 2) for w in fitted]  # half units, rounded down: never wider than the page


def apply_print_plan(ws: Any, plan: PrintPlan, last_row: int) -> None:
    ws.print_area(0, 0, last_row, plan.last_col)
    ws.fit_to_pages(1, 0)


def printed_width(widths: Iterable[float]) -> float:
    """Points that columns of these widths take on paper at 100%."""
    return sum(POINTS_PER_WIDTH * (width + WIDTH_PADDING) for width in widths)

"""The 確認結果 sheet written as a new worksheet part, in annotate's words."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.contract.cells import address, column_letters
from pipeline.model import Issue
from pipeline.outputs.marks import (
    _HEADER_ROW,
    _WIDTHS,
    HEADERS,
    HOW_TO_RESUBMIT,
    SEVERITY_LABELS,
    _clean,
    _height,
)
from pipeline.outputs.patch.common import _MAIN_NS, _MARKS, _REL_NS, _XML_DECLARATION
from pipeline.outputs.patch.package import _esc
from pipeline.outputs.patch.styles import _Styles


def _results_sheet(
    styles: _Styles, filename: str, stamp: str, issues: Sequence[Issue], placed: set[tuple[str, str]]
) -> str:
    """The worksheet XML of 確認結果: title, file, counts, how to resubmit, then one row per issue (as annotate's)."""
    grid = styles.border(("thin", "808080"))
    none_fill, no_border = styles.fill(None), styles.border(None)
    normal, bold = styles.font(), styles.font(bold=True)

    def xf(font: int, fill: int = none_fill, border: int = grid, horizontal: str = "left", wrap: bool = True) -> int:
        return styles.cell_format(font=font, fill=fill, border=border, horizontal=horizontal, wrap=wrap)

    title = xf(styles.font(size=14, bold=True), border=no_border)
    label = xf(bold, styles.fill("DDEBF7"))
    text_value = styles.cell_format(
        font=normal, fill=none_fill, border=grid, horizontal="left", wrap=False, number_format=49
    )
    count_value = styles.cell_format(
        font=normal,
        fill=none_fill,
        border=grid,
        horizontal="left",
        wrap=False,
        number_format=styles.number_format('0"件"'),
    )
    how_to = xf(bold, border=no_border)
    header = xf(bold, styles.fill("BDD7EE"), horizontal="center")
    body, centre = xf(normal), xf(normal, horizontal="center")
    severity_xf = {sev: xf(normal, styles.fill(rgb), horizontal="center") for sev, (rgb, _) in _MARKS.items()}
    link = xf(styles.font(link=True), horizontal="center")

    width = len(HEADERS)
    errors = sum(issue.severity != "warning" for issue in issues)
    rows: list[str] = []
    heights: dict[int, float] = {1: 24.0}

    def text_cell(ref: str, value: str, style: int) -> str:
        value = _clean(value)
        if not value:
            return f'<c r="{ref}" s="{style}"/>'
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_esc(value)}</t></is></c>'

    def row(number: int, cells: list[str]) -> None:
        height = heights.get(number)
        extra = f' ht="{height:g}" customHeight="1"' if height else ""
        rows.append(f'<row r="{number}"{extra}>{"".join(cells)}</row>')

    def padded(number: int, first: str, style: int) -> list[str]:
        return [first] + [f'<c r="{address(number, col)}" s="{style}"/>' for col in range(2, width + 1)]

    row(1, padded(1, text_cell("A1", "工程表の確認結果", title), title))
    summary: list[tuple[str, str | int]] = [
        ("ファイル", filename),
        ("エラー", errors),
        ("警告", len(issues) - errors),
        ("確認日時", stamp),
    ]
    for number, (name, value) in enumerate(summary, start=2):
        if isinstance(value, int):
            cell = f'<c r="B{number}" s="{count_value}"><v>{value}</v></c>'
            style = count_value
        else:
            cell, style = text_cell(f"B{number}", value, text_value), text_value
        row(number, [text_cell(f"A{number}", name, label), cell, *padded(number, "", style)[2:]])
    how_to_row = 2 + len(summary)
    heights[how_to_row] = _height([HOW_TO_RESUBMIT], [sum(_WIDTHS)])
    row(how_to_row, padded(how_to_row, text_cell(f"A{how_to_row}", HOW_TO_RESUBMIT, how_to), how_to))
    row(_HEADER_ROW, [text_cell(address(_HEADER_ROW, col), name, header) for col, name in enumerate(HEADERS, start=1)])
    links = []
    for number, issue in enumerate(issues, start=_HEADER_ROW + 1):
        values = (SEVERITY_LABELS[issue.severity], issue.sheet, issue.cell, issue.field, issue.code, issue.message)
        heights[number] = _height(values, _WIDTHS)
        linked = (issue.sheet, issue.cell) in placed
        styles_of_row = (severity_xf[issue.severity], body, link if linked else centre, body, body, body)
        row(
            number,
            [
                text_cell(address(number, col), str(v), s)
                for col, (v, s) in enumerate(zip(values, styles_of_row, strict=True), start=1)
            ],
        )
        if linked:
            quoted = "'" + issue.sheet.replace("'", "''") + "'"
            links.append(
                f'<hyperlink ref="C{number}" location="{_esc(f"{quoted}!{issue.cell}")}" display="{_esc(issue.cell)}"/>'
            )
    last_row = max(_HEADER_ROW, _HEADER_ROW + len(issues))
    cols = "".join(
        f'<col min="{col}" max="{col}" width="{w:g}" customWidth="1"/>' for col, w in enumerate(_WIDTHS, start=1)
    )
    merges = [f"A1:{column_letters(width)}1"] + [f"B{n}:{column_letters(width)}{n}" for n in range(2, how_to_row)]
    merges.append(f"A{how_to_row}:{column_letters(width)}{how_to_row}")
    top = _HEADER_ROW + 1
    return (
        f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{column_letters(width)}{last_row}"/>'
        '<sheetViews><sheetView tabSelected="1" showGridLines="0" workbookViewId="0">'
        f'<pane ySplit="{_HEADER_ROW}" topLeftCell="A{top}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="A{top}" sqref="A{top}"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>'
        f'<mergeCells count="{len(merges)}">{"".join(f"<mergeCell ref={chr(34)}{m}{chr(34)}/>" for m in merges)}'
        "</mergeCells>"
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.2" footer="0.2"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter></worksheet>"
    )

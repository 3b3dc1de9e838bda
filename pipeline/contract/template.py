"""Build the standard 工程表 workbook (template version 1) from the layout in `layout.py`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import absolute_coordinate, column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.contract.layout import (
    ACHIEVEMENT_MAX,
    ACHIEVEMENT_MIN,
    BASIC_FIELDS,
    DEFAULT_DIRECTION,
    DIRECTIONS,
    META_FIELDS,
    POLICY_FIELDS,
    POLICY_SECTIONS,
    PROGRESS_CHOICES,
    RELATED_PLAN_LABELS,
    REQUIRED_AT_STAGE,
    SHEET_BASIC,
    SHEET_GUIDE,
    SHEET_META,
    SHEET_POLICY,
    STAGE_LABELS,
    STAGES,
    TEMPLATE_VERSION,
    Field,
    Kind,
    Shape,
    field,
)

TEMPLATE_FILENAME = f"工程表テンプレート_v{TEMPLATE_VERSION}.xlsx"

FONT_NAME = "游ゴシック"
_LABEL_COLUMN = "B"  # labels sit left of every input area
_TYPED_AS_TEXT = (Kind.CODE, Kind.PHONE)  # input cells formatted as text ("@")
_LAST_BASIC_COLUMN = "L"
_LAST_POLICY_COLUMN = "R"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
_SECTION_FONT = Font(name=FONT_NAME, size=11, bold=True, color="1F3864")
_NOTE_FONT = Font(name=FONT_NAME, size=9, color="595959")
_LABEL_FONT = Font(name=FONT_NAME, size=10, bold=True)
_HEADER_FONT = Font(name=FONT_NAME, size=9, bold=True)
_INPUT_FONT = Font(name=FONT_NAME, size=10)
_TEXT_FONT = Font(name=FONT_NAME, size=10)
_LABEL_FILL = PatternFill(fill_type="solid", fgColor="DDEBF7")
_HEADER_FILL = PatternFill(fill_type="solid", fgColor="BDD7EE")
_INPUT_FILL = PatternFill(fill_type="solid", fgColor="FFF2CC")
_LABEL_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_INPUT_ALIGN = Alignment(horizontal="left", vertical="top", wrap_text=True)
_CENTER_INPUT_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TEXT_ALIGN = Alignment(horizontal="left", vertical="top", wrap_text=True)

_HEADER_ROW_HEIGHT = 36.0
_TEXT_TABLE_ROW_HEIGHT = 36.0  # tables of free text (projects, results, challenges)
_VALUE_TABLE_ROW_HEIGHT = 30.0
_INPUT_NOTE = (
    "黄色のセルに入力してください。セルを選ぶと入力方法が表示されます。▼の付いたセルは一覧から選んでください。"
)


def build_template() -> Workbook:
    """Build the standard 工程表 workbook in memory: guide, basic information, one policy sheet, hidden metadata."""
    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    _draw_guide(guide)
    _draw_basic(wb.create_sheet(SHEET_BASIC))
    _draw_policy(wb.create_sheet(SHEET_POLICY))
    _draw_meta(wb.create_sheet(SHEET_META))
    for name_field in (*BASIC_FIELDS, *META_FIELDS):
        sheet = SHEET_BASIC if name_field in BASIC_FIELDS else SHEET_META
        wb.defined_names[name_field.name] = DefinedName(name_field.name, attr_text=name_ref(sheet, name_field.ref))
    policy = wb[SHEET_POLICY]
    for name_field in POLICY_FIELDS:
        policy.defined_names[name_field.name] = DefinedName(
            name_field.name, attr_text=name_ref(SHEET_POLICY, name_field.ref)
        )
    wb.active = 0
    return wb


def write_template(path: Path) -> Path:
    """Write the standard template to ``path`` and return the path (`pipeline template` publishes it via api)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_template().save(path)
    return path


def name_ref(sheet: str, ref: str) -> str:
    """The absolute reference text of a defined name, e.g. ``'政策1'!$B$25:$R$35``."""
    return f"{quote_sheetname(sheet)}!{absolute_coordinate(ref)}"


# --- sheets -----------------------------------------------------------------


def _guide_lines() -> list[tuple[str, str]]:
    """The 記入方法 sheet as (heading, text) rows; an empty text marks a section heading."""
    progress, achievement, reason = field("progress"), field("achievement"), field("evaluation_reason")
    indicators = field("indicators")
    unit, direction = indicators.column("unit").label, indicators.column("direction").label
    increase, decrease = DIRECTIONS
    stage_list = "・".join(STAGE_LABELS[s] for s in STAGES)
    at_stage = {name: "・".join(stages) for name, stages in REQUIRED_AT_STAGE.items()}
    return [
        ("1. 記入の流れ", ""),
        (
            "①",
            f"「{SHEET_BASIC}」シートに{field('fiscal_year').label}・{field('stage').label}（{stage_list}）・所属・{field('missions').label}を入力します。",
        ),
        (
            "②",
            f"「{SHEET_POLICY}」シートに{field('policy_title').label}1件分（目標、{indicators.label}、{field('projects').label}、評価）を入力します。",
        ),
        ("③", "黄色のセルが入力欄です。セルを選ぶと入力方法が表示されます。▼の付いたセルは一覧から選んでください。"),
        ("④", "入力が終わったら上書き保存し、指定された共有フォルダに提出してください（.xlsx 形式のまま）。"),
        ("2. 政策を追加するとき", ""),
        (
            "・",
            f"政策が2件以上あるときは「{SHEET_POLICY}」シートをコピーします（シート見出しを右クリック →「移動またはコピー」→「コピーを作成する」にチェック）。シート名は「政策2」「政策3」…としてください。",
        ),
        (
            "・",
            "行が足りないときは、表の途中（見出し行と最後の行の間）に行を挿入してください。表の下に追加した行は読み込まれません。",
        ),
        (
            "・",
            f"見出し行・項目名・名前の定義（数式 → 名前の管理）を削除・変更しないでください。「{SHEET_META}」シートは削除しないでください。",
        ),
        (f"3. {progress.label}", ""),
        (
            "・",
            f"年度当初のスケジュールに対する進捗を、{'・'.join(PROGRESS_CHOICES)} から選んでください。{at_stage['progress']}で必須です。",
        ),
        *(("", choice) for choice in PROGRESS_CHOICES),
        (f"4. {achievement.label}", ""),
        (
            "・",
            f"所属による自己評価を{ACHIEVEMENT_MIN}～{ACHIEVEMENT_MAX}の整数で入力してください（{ACHIEVEMENT_MAX} = 今年度の目標を完全に達成）。{at_stage['achievement']}で必須です。",
        ),
        (
            "・",
            f"{reason.label}は{at_stage['evaluation_reason']}で必須です。{progress.label}・{achievement.label}の根拠を具体的に書いてください。",
        ),
        (f"5. {indicators.label}の{direction}", ""),
        (increase, f"値が大きいほど良い指標（既定。空欄は「{DEFAULT_DIRECTION}」とみなします）。"),
        (decrease, "値が小さいほど良い指標（例: 事故件数、待機児童数）。"),
        ("6. 数値の書き方", ""),
        (
            "・",
            f"数値で入力してください（例: 6、1,234、12.5%）。単位を付けるときは「{unit}」欄と同じ単位に限ります（例: 単位が「千円」なら 628 または 628千円）。",
        ),
        ("・", "マイナスの値は ▲100 または -100 と入力してください。"),
        (
            "・",
            "数値で表せない目標・実績（例: 全て達成する）は文字で入力できますが、達成状況は「判定不可」になります。",
        ),
        ("・", "時点は年度（H27、R2、2020年度）または年月（H30.4、R2.3、2020年3月）で入力してください。"),
        ("・", "該当がない欄は空欄のままにしてください（「-」「なし」も空欄とみなします）。"),
    ]


def _draw_guide(ws: Worksheet) -> None:
    """Draw the 記入方法 sheet: the workflow and the rules for each kind of value."""
    ws.column_dimensions["A"].width = 2
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 110
    _title(ws, "B1:C1", "工程表　記入方法")
    row = 2
    for heading, text in _guide_lines():
        if not text:  # a section heading, after a blank row
            row += 1
            cell = ws[f"B{row}"]
            cell.value = heading
            cell.font = _SECTION_FONT
        else:
            ws[f"B{row}"].value = heading or None
            ws[f"C{row}"].value = text
            for ref in (f"B{row}", f"C{row}"):
                ws[ref].font = _TEXT_FONT
                ws[ref].alignment = _TEXT_ALIGN
            ws.row_dimensions[row].height = 18.0 * max(1, -(-len(text) // 60))
        row += 1
    print_setup(ws, f"A1:C{row}")


def _draw_basic(ws: Worksheet) -> None:
    """Draw the 基本情報 sheet: fiscal year, stage, division and missions."""
    ws.column_dimensions["A"].width = 2
    ws.column_dimensions[_LABEL_COLUMN].width = 18
    for idx in range(column_index_from_string("C"), column_index_from_string(_LAST_BASIC_COLUMN) + 1):
        ws.column_dimensions[get_column_letter(idx)].width = 10
    _title(ws, f"B1:{_LAST_BASIC_COLUMN}1", "工程表　基本情報")
    _note(ws, "B2", _INPUT_NOTE)
    _section(ws, 3, "基本的事項（所管組織、所管責任者）")
    for basic in BASIC_FIELDS:
        _draw_field(ws, basic)
    print_setup(ws, f"A1:{_LAST_BASIC_COLUMN}{_last_row(BASIC_FIELDS)}")


def _draw_policy(ws: Worksheet) -> None:
    """Draw the 政策1 sheet: policy, goals, related plans, indicators, projects and evaluation."""
    ws.column_dimensions["A"].width = 2
    widths: dict[str, float] = {}
    for table in POLICY_FIELDS:
        for col in table.columns:
            widths[col.letter] = max(widths.get(col.letter, 0.0), col.width)
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    _title(ws, f"B1:{_LAST_POLICY_COLUMN}1", "工程表　政策内容と目標・評価")
    for row, text in POLICY_SECTIONS:
        _section(ws, row, text)
    ws.row_dimensions[4].height = 6  # spacer between the policy title and the goals
    for policy in POLICY_FIELDS:
        _draw_field(ws, policy)
    print_setup(ws, f"A1:{_LAST_POLICY_COLUMN}{_last_row(POLICY_FIELDS)}", title_rows="1:1")


def _draw_meta(ws: Worksheet) -> None:
    """Draw the hidden 管理情報 sheet holding the template version."""
    for meta in META_FIELDS:
        col, row = _split(meta.first_cell)
        label = ws.cell(row=row, column=column_index_from_string(col) - 1, value=meta.label)
        label.font = _LABEL_FONT
        value = ws[meta.first_cell]
        value.value = TEMPLATE_VERSION
        value.font = _INPUT_FONT
    ws.column_dimensions["A"].width = 16
    ws.sheet_state = "hidden"


# --- fields -----------------------------------------------------------------


def _draw_field(ws: Worksheet, f: Field) -> None:
    """Draw one field's label, input area, merges, row heights and data validation."""
    (first_col, first_row), (last_col, last_row) = _bounds(f.ref)
    if f.shape is Shape.TABLE:
        _draw_table(ws, f, first_row, last_row)
        return
    if f.columns:  # a two-column list (related plans): fixed labels, then a mark per row
        label_col, mark_col = f.columns
        for offset, text in enumerate(RELATED_PLAN_LABELS):
            row = first_row + offset
            _merge_and_style(ws, f"{label_col.letter}{row}", _LABEL_FONT, _LABEL_FILL, _LABEL_ALIGN, text)
            _merge_and_style(ws, f"{mark_col.letter}{row}", _INPUT_FONT, _INPUT_FILL, _CENTER_INPUT_ALIGN)
            if len(text) > label_col.width / 2:
                ws.row_dimensions[row].height = 30
        _add_validation(
            ws,
            f"{mark_col.letter}{first_row}:{mark_col.letter}{last_row}",
            f.label,
            mark_col.hint,
            mark_col.choices,
            f.kind,
        )
        return
    label_ref = f"{_LABEL_COLUMN}{first_row}:{_LABEL_COLUMN}{last_row}"
    _merge_and_style(ws, label_ref, _LABEL_FONT, _LABEL_FILL, _LABEL_ALIGN, f.label)
    input_last_col = f.merge_to or last_col
    for row in range(first_row, last_row + 1):
        _merge_and_style(
            ws, f"{first_col}{row}:{input_last_col}{row}", _INPUT_FONT, _INPUT_FILL, _INPUT_ALIGN, kind=f.kind
        )
        if f.row_height:
            ws.row_dimensions[row].height = f.row_height
    _add_validation(ws, f"{first_col}{first_row}:{first_col}{last_row}", f.label, f.hint, f.choices, f.kind)


def _draw_table(ws: Worksheet, f: Field, header_row: int, last_row: int) -> None:
    """Draw a table field: a bold header row of column labels and input rows below it."""
    text_table = any(col.span > 1 for col in f.columns)
    ws.row_dimensions[header_row].height = _HEADER_ROW_HEIGHT
    for col in f.columns:
        end = _shift_letter(col.letter, col.span - 1)
        _merge_and_style(
            ws, f"{col.letter}{header_row}:{end}{header_row}", _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN, col.label
        )
        choice_like = bool(col.choices) or col.kind in (Kind.BUDGET, Kind.CODE)
        for row in range(header_row + 1, last_row + 1):
            align = _CENTER_INPUT_ALIGN if choice_like else _INPUT_ALIGN
            _merge_and_style(ws, f"{col.letter}{row}:{end}{row}", _INPUT_FONT, _INPUT_FILL, align, kind=col.kind)
        _add_validation(
            ws, f"{col.letter}{header_row + 1}:{col.letter}{last_row}", col.label, col.hint, col.choices, col.kind
        )
    height = f.row_height or (_TEXT_TABLE_ROW_HEIGHT if text_table else _VALUE_TABLE_ROW_HEIGHT)
    for row in range(header_row + 1, last_row + 1):
        ws.row_dimensions[row].height = height


def _add_validation(ws: Worksheet, sqref: str, label: str, hint: str, choices: Iterable[str], kind: Kind) -> None:
    """Attach an input message and, for choices and scores, a dropdown or a range check."""
    options = tuple(choices)
    if options:
        if any("," in option or '"' in option for option in options):
            raise ValueError(f"choice list of {label!r} cannot be a dropdown: {options!r}")
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(options) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{label}の入力",
            error=f"{'、'.join(options)} のいずれかを選んでください。",
        )
    elif kind is Kind.SCORE:
        dv = DataValidation(
            type="whole",
            operator="between",
            formula1=str(ACHIEVEMENT_MIN),
            formula2=str(ACHIEVEMENT_MAX),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{label}の入力",
            error=f"{ACHIEVEMENT_MIN}～{ACHIEVEMENT_MAX}の整数を入力してください。",
        )
    elif hint:
        dv = DataValidation(allow_blank=True, showErrorMessage=False)
    else:
        return
    dv.showInputMessage = True
    if hint:
        dv.promptTitle = label[:32]  # Excel caps the title at 32 characters
        dv.prompt = hint
    dv.add(sqref)
    ws.add_data_validation(dv)


# --- drawing helpers --------------------------------------------------------


def _title(ws: Worksheet, ref: str, text: str) -> None:
    """Write a sheet title across `ref`."""
    ws.merge_cells(ref)
    cell = ws[ref.split(":")[0]]
    cell.value = text
    cell.font = _TITLE_FONT
    cell.alignment = Alignment(horizontal="left", vertical="center")
    ws.row_dimensions[cell.row].height = 26


def _section(ws: Worksheet, row: int, text: str) -> None:
    """Write a section title in the label column."""
    cell = ws[f"{_LABEL_COLUMN}{row}"]
    cell.value = text
    cell.font = _SECTION_FONT
    cell.alignment = Alignment(horizontal="left", vertical="bottom")
    ws.row_dimensions[row].height = 22


def _note(ws: Worksheet, ref: str, text: str) -> None:
    """Write a small grey note."""
    cell = ws[ref]
    cell.value = text
    cell.font = _NOTE_FONT


def _merge_and_style(
    ws: Worksheet,
    ref: str,
    font: Font,
    fill: PatternFill,
    align: Alignment,
    value: str | None = None,
    *,
    kind: Kind | None = None,
) -> None:
    """Merge `ref` (when it spans several cells), style every cell in it and set the top-left value; input cells of
    codes and phone numbers are formatted as text, so that Excel keeps what is typed (0101, 0857267642) instead of
    turning it into a number without its leading zero."""
    if ":" in ref and ref.split(":")[0] != ref.split(":")[1]:
        ws.merge_cells(ref)
    for row in ws[ref] if ":" in ref else ((ws[ref],),):
        for cell in row:
            cell.font = font
            cell.fill = fill
            cell.alignment = align
            cell.border = _BORDER
            if kind in _TYPED_AS_TEXT:
                cell.number_format = "@"
    if value is not None:
        ws[ref.split(":")[0]].value = value


def print_setup(ws: Worksheet, area: str | None = None, *, title_rows: str | None = None) -> None:
    """A4 landscape, one page wide, small margins, page numbers in the footer (the template's and its copies')."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5, header=0.2, footer=0.2)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    if area is not None:
        ws.print_area = area
    if title_rows:
        ws.print_title_rows = title_rows
    ws.sheet_view.showGridLines = False


def _split(cell: str) -> tuple[str, int]:
    """Split ``C12`` into ``("C", 12)``."""
    letters = cell.rstrip("0123456789")
    return letters, int(cell[len(letters) :])


def _bounds(ref: str) -> tuple[tuple[str, int], tuple[str, int]]:
    """The first and last cell of a range such as ``B25:R35`` (a single cell is its own last cell)."""
    first, _, last = ref.partition(":")
    return _split(first), _split(last or first)


def _last_row(fields: Iterable[Field]) -> int:
    """The last row used by any of these fields."""
    return max(_bounds(f.ref)[1][1] for f in fields)


def _shift_letter(letter: str, offset: int) -> str:
    """The column letter `offset` columns right of `letter`."""
    return str(get_column_letter(column_index_from_string(letter) + offset))

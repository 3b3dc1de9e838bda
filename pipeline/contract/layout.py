"""The template contract: every defined name, label, column header, choice list and cell position.

This module is the single source of truth for the 工程表 layout. `pipeline template`
draws the workbook from it and the reader resolves the same names, so a field,
a label or a choice is spelt exactly once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

TEMPLATE_VERSION = 1
FONT_NAME = "游ゴシック"  # the template's font, and that of the marks a feedback copy adds
SUPPORTED_TEMPLATE_VERSIONS = frozenset({1})

SHEET_GUIDE = "記入方法"
SHEET_BASIC = "基本情報"
SHEET_POLICY = "政策1"
SHEET_META = "管理情報"
SHEET_EXAMPLE = "記入例"  # the seed filled in, without defined names: the reader never sees it

STAGES = ("当初", "中間", "最終")
STAGE_LABELS = {"当初": "当初（計画）", "中間": "中間（上半期）", "最終": "最終（年度末）"}
CATEGORIES = ("活動指標", "成果指標")
DIRECTIONS = ("増加", "減少")
DEFAULT_DIRECTION = "増加"
# The four self-assessed progress marks, best first, with their meaning.
PROGRESS = (("◎", "予定以上"), ("○", "予定通り"), ("△", "やや遅れ"), ("×", "大幅遅れ"))
PROGRESS_MARKS = tuple(mark for mark, _ in PROGRESS)
PROGRESS_CHOICES = tuple(f"{mark}（{meaning}）" for mark, meaning in PROGRESS)
ACHIEVEMENT_MIN = 0
ACHIEVEMENT_MAX = 10
# Marks that tick a related-plan row (design §2).
PLAN_MARKS = ("○", "〇", "◯", "●", "✓", "レ", "1")
RELATED_PLAN_LABELS = (
    "将来ビジョン",
    "環境イニシアティブプラン",
    "アクションプラン(教育振興基本計画)",
    "その他",
)


class Kind(Enum):
    """How a cell's text is normalised and checked."""

    TEXT = "text"
    FISCAL_YEAR = "fiscal_year"
    STAGE = "stage"
    PHONE = "phone"
    CODE = "code"
    VALUE = "value"  # a number with an optional unit, or qualitative text
    AS_OF = "as_of"  # 時点: a fiscal year or a year and month
    BUDGET = "budget"  # a number in 千円
    CATEGORY = "category"
    DIRECTION = "direction"
    PROGRESS = "progress"
    SCORE = "score"
    MARK = "mark"
    VERSION = "version"


class Shape(Enum):
    """Whether a name points at one cell, a one-column list or a table with a header row."""

    CELL = "cell"
    LIST = "list"
    TABLE = "table"


@dataclass(frozen=True)
class Column:
    """One column of a table range, found by its header label."""

    key: str
    label: str
    kind: Kind
    letter: str  # column in the standard template
    width: float = 10.0  # of the sheet column `letter` (a merged column's first), in Excel character units
    hint: str = ""
    choices: tuple[str, ...] = ()
    span: int = 1  # merged cells to the right in the template


@dataclass(frozen=True)
class Field:
    """One defined name of the template contract."""

    name: str
    label: str
    kind: Kind
    shape: Shape
    ref: str  # range in the standard template, e.g. "C4" or "B25:R35"
    hint: str = ""
    choices: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    merge_to: str = ""  # last column of the merged input area, for wide text
    row_height: float | None = None

    @property
    def first_cell(self) -> str:
        """The top-left cell of the name in the standard template."""
        return self.ref.split(":")[0]

    def column(self, key: str) -> Column:
        """The column of a table field with this key."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


_VALUE_HINT = "数値で入力してください。単位を付けても構いません（例: 6、25.9km、97.1%）。「単位」欄を記入したときは同じ単位にしてください。"
_UNIT_HINT = "数値の単位を入力してください（例: 件、%、千円）。値に単位を付けて入力するとき（例: 25.9km、97.1%）は空欄で構いません。"
_AS_OF_HINT = "年度（H27、R2、2020年度）または年月（H30.4、2020年3月）を入力してください。"

BASIC_FIELDS: tuple[Field, ...] = (
    Field(
        "fiscal_year",
        "年度",
        Kind.FISCAL_YEAR,
        Shape.CELL,
        "C4",
        hint="年度を入力してください（例: 2015、H27、平成27年度、R7、令和元年度）。",
        merge_to="D",
    ),
    Field(
        "stage",
        "評価時点",
        Kind.STAGE,
        Shape.CELL,
        "C5",
        hint="当初・中間・最終から選んでください。",
        choices=STAGES,
        merge_to="D",
    ),
    Field(
        "department",
        "部局名",
        Kind.TEXT,
        Shape.CELL,
        "C6",
        hint="部局名を入力してください（例: 総務部）。",
        merge_to="F",
    ),
    Field(
        "division",
        "所属名",
        Kind.TEXT,
        Shape.CELL,
        "C7",
        hint="所属名を入力してください（例: 情報政策課）。",
        merge_to="F",
    ),
    Field(
        "division_code",
        "所属コード",
        Kind.CODE,
        Shape.CELL,
        "C8",
        hint="所属コードがあれば入力してください（任意）。",
        merge_to="D",
    ),
    Field("head", "所属長名", Kind.TEXT, Shape.CELL, "C9", hint="所属長の氏名を入力してください。", merge_to="F"),
    Field(
        "phone",
        "電話番号",
        Kind.PHONE,
        Shape.CELL,
        "C10",
        hint="市外局番から入力してください（例: 0857-26-7642）。",
        merge_to="F",
    ),
    Field(
        "missions",
        "組織ミッション",
        Kind.TEXT,
        Shape.LIST,
        "C12:C21",
        hint="1行に1項目ずつ入力してください。行頭の「○」はあってもなくても構いません。",
        merge_to="L",
        row_height=30,
    ),
)

META_FIELDS: tuple[Field, ...] = (Field("template_version", "テンプレート版", Kind.VERSION, Shape.CELL, "B1"),)

INDICATOR_COLUMNS: tuple[Column, ...] = (
    Column("name", "指標名", Kind.TEXT, "B", 15, "指標の名称を入力してください。"),
    Column("category", "指標の分類", Kind.CATEGORY, "C", 8, "活動指標・成果指標から選んでください。", CATEGORIES),
    Column("unit", "単位", Kind.TEXT, "D", 5, _UNIT_HINT),
    Column(
        "direction",
        "方向",
        Kind.DIRECTION,
        "E",
        5,
        "増加（多いほど良い）・減少（少ないほど良い）から選んでください。空欄は増加とみなします。",
        DIRECTIONS,
    ),
    Column("baseline", "基準値", Kind.VALUE, "F", 7, _VALUE_HINT),
    Column("baseline_as_of", "基準値時点", Kind.AS_OF, "G", 7, _AS_OF_HINT),
    Column("start", "年度当初値", Kind.VALUE, "H", 7, _VALUE_HINT),
    Column("start_as_of", "年度当初値時点", Kind.AS_OF, "I", 7, _AS_OF_HINT),
    Column("target", "今年度目標値", Kind.VALUE, "J", 7, _VALUE_HINT),
    Column("target_as_of", "今年度目標値時点", Kind.AS_OF, "K", 7, _AS_OF_HINT),
    Column("actual", "今年度実績値", Kind.VALUE, "L", 7, _VALUE_HINT),
    Column("actual_as_of", "今年度実績値時点", Kind.AS_OF, "M", 7, _AS_OF_HINT),
    Column("long_term_target", "長期的目標値", Kind.VALUE, "N", 7, _VALUE_HINT),
    Column(
        "long_term_as_of", "長期的目標値時点", Kind.AS_OF, "O", 7, "長期的目標の年度を入力してください（例: H29）。"
    ),
    Column("plan", "根拠となる計画等", Kind.TEXT, "P", 9, "指標の根拠となる計画を入力してください。"),
    Column("other_plan_name", "その他計画の名称", Kind.TEXT, "Q", 9, "「その他」の計画の名称を入力してください。"),
    Column("selection_reason", "計画指標の選定理由", Kind.TEXT, "R", 12, "この指標を選んだ理由を入力してください。"),
)

PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("number", "番号", Kind.CODE, "B", 8, "事業の番号を入力してください。"),
    Column("name", "事業名", Kind.TEXT, "C", 8, "事業・制度の名称を入力してください。", span=4),
    Column(
        "budget",
        "予算額(千円)",
        Kind.BUDGET,
        "G",
        7,
        "予算額（事業費）を千円単位で入力してください（例: 628）。",
        span=2,
    ),
    Column(
        "summary", "事業概要・スケジュール", Kind.TEXT, "I", 7, "事業の概要とスケジュールを入力してください。", span=10
    ),
)

RESULT_COLUMNS: tuple[Column, ...] = (
    Column("action", "取組", Kind.TEXT, "B", 15, "今年度の取組を入力してください。", span=7),
    Column("outcome", "成果", Kind.TEXT, "I", 7, "取組の成果を入力してください。", span=10),
)

CHALLENGE_COLUMNS: tuple[Column, ...] = (
    Column("challenge", "課題", Kind.TEXT, "B", 15, "課題を入力してください。", span=7),
    Column("next_action", "今後の取組", Kind.TEXT, "I", 7, "課題への今後の取組を入力してください。", span=10),
)

RELATED_PLAN_COLUMNS: tuple[Column, ...] = (
    Column("label", "計画名", Kind.TEXT, "B", 15),
    Column("marked", "該当", Kind.MARK, "C", 8, "該当する計画に「○」を付けてください。", ("○",)),
)

POLICY_FIELDS: tuple[Field, ...] = (
    Field(
        "policy_title",
        "政策内容",
        Kind.TEXT,
        Shape.CELL,
        "C3",
        hint="政策内容を入力してください。政策を追加するときはこのシートをコピーしてください。",
        merge_to="R",
        row_height=30,
    ),
    Field(
        "goals",
        "今年度の目標",
        Kind.TEXT,
        Shape.LIST,
        "C5:C14",
        hint="今年度の目標を1行に1つずつ入力してください。",
        merge_to="R",
    ),
    Field(
        "related_plans",
        "該当する長期的目標",
        Kind.MARK,
        Shape.LIST,
        "B17:C20",
        hint="該当する計画に「○」を付けてください。",
        choices=("○",),
        columns=RELATED_PLAN_COLUMNS,
    ),
    Field(
        "related_plans_note",
        "その他の計画名",
        Kind.TEXT,
        Shape.CELL,
        "C21",
        hint="「その他」に該当する場合、計画の名称を入力してください（任意）。",
        merge_to="R",
    ),
    Field(
        "long_term_goal",
        "所属で設定する長期目標",
        Kind.TEXT,
        Shape.CELL,
        "C22",
        hint="所属で設定する長期目標があれば入力してください（任意）。",
        merge_to="R",
        row_height=30,
    ),
    Field("indicators", "測定指標", Kind.VALUE, Shape.TABLE, "B25:R35", columns=INDICATOR_COLUMNS),
    Field("projects", "主要事業・主要制度", Kind.TEXT, Shape.TABLE, "B38:R48", columns=PROJECT_COLUMNS),
    Field(
        "progress",
        "進捗評価",
        Kind.PROGRESS,
        Shape.CELL,
        "C51",
        hint="◎（予定以上）・○（予定通り）・△（やや遅れ）・×（大幅遅れ）から選んでください。中間・最終で必須です。",
        choices=PROGRESS_CHOICES,
        merge_to="E",
    ),
    Field(
        "achievement",
        "達成度の評価",
        Kind.SCORE,
        Shape.CELL,
        "C52",
        hint="0～10の整数で入力してください（10 = 完全に達成）。最終で必須です。",
        merge_to="E",
    ),
    Field(
        "evaluation_reason",
        "評価理由",
        Kind.TEXT,
        Shape.CELL,
        "C53",
        hint="評価の理由を入力してください。中間・最終で必須です。",
        merge_to="R",
        row_height=50,
    ),
    Field("results", "取組と成果", Kind.TEXT, Shape.TABLE, "B56:R66", columns=RESULT_COLUMNS),
    Field("challenges", "課題と今後の取組", Kind.TEXT, Shape.TABLE, "B69:R79", columns=CHALLENGE_COLUMNS),
)

# Sections drawn above the fields on the policy sheet: (row, title).
POLICY_SECTIONS = (
    (2, "1. 政策内容と目標"),
    (16, "（参考）該当する長期的目標"),
    (24, "2. 測定指標"),
    (37, "3. 目標を実現するための主要事業・主要制度"),
    (50, "4. 評価"),
    (55, "5. 取組と成果"),
    (68, "6. 課題と今後の取組"),
)
# Sections that always begin a printed page; the others follow on the page before when they fit on it.
POLICY_PAGE_STARTS = frozenset({24, 37, 50, 68})

ALL_FIELDS = {f.name: f for f in (*META_FIELDS, *BASIC_FIELDS, *POLICY_FIELDS)}
POLICY_NAMES = frozenset(f.name for f in POLICY_FIELDS)
WORKBOOK_NAMES = frozenset(f.name for f in (*META_FIELDS, *BASIC_FIELDS))
# Required at every stage, and the stages at which evaluation fields become required.
REQUIRED_FIELDS = (
    "fiscal_year",
    "stage",
    "department",
    "division",
    "head",
    "phone",
    "missions",
    "policy_title",
    "goals",
)
REQUIRED_AT_STAGE = {
    "progress": ("中間", "最終"),
    "achievement": ("最終",),
    "evaluation_reason": ("中間", "最終"),
}


def field(name: str) -> Field:
    """The field with this defined name."""
    return ALL_FIELDS[name]


def label_of(path_key: str) -> str:
    """The Japanese label of a field or a table column key such as ``indicators.actual``."""
    if "." in path_key:
        table, key = path_key.split(".", 1)
        return ALL_FIELDS[table].column(key).label
    return ALL_FIELDS[path_key].label

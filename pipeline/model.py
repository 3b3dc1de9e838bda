"""The data that passes between stages: issues, per-file results, and the issue catalogue.

Every problem the pipeline can find has a stable kebab-case code, a severity and a
Japanese message template here; stages build issues only through `make_issue`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal

# What an issue does to its file (design §4): blocking — the file cannot be read or placed (不受理); error — a value
# is wrong and is not used, everything else is merged (受理（要修正）); warning — read as a careful reader would, to
# be confirmed (受理).
Severity = Literal["blocking", "error", "warning"]


class Code(StrEnum):
    """Every problem the pipeline can report: a stable kebab-case code, its severity and its Japanese message
    template (which may use {found} and any keyword given to make_issue). The one catalogue: a typo in a code is
    an AttributeError at import, not a KeyError in a run."""

    severity: Severity
    template: str

    def __new__(cls, value: str, severity: Severity, template: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity = severity
        member.template = template
        return member

    # reading the workbook
    UNPLACEABLE = (
        "unplaceable",
        "blocking",
        "{what}が読めないため、どの所属・年度・評価時点の工程表か決められず受理できません。{what}を正しく入力してください",
    )
    NOT_A_TEMPLATE = (
        "not-a-template",
        "blocking",
        "工程表テンプレートの名前（名前の定義）が見つかりません。配布された最新のテンプレートに入力し直してください",
    )
    UNSUPPORTED_TEMPLATE_VERSION = (
        "unsupported-template-version",
        "blocking",
        "テンプレートの版「{found}」には対応していません。配布された最新のテンプレートを使ってください",
    )
    BROKEN_NAME = (
        "broken-name",
        "error",
        "名前「{name}」の参照先が壊れています（{found}）。配布されたテンプレートからシートをコピーし直してください",
    )
    MISSING_NAME = (
        "missing-name",
        "error",
        "名前（名前の定義）「{name}」がありません。行・列や見出しを削除せず、配布されたテンプレートに入力し直してください",
    )
    NO_POLICY_SHEET = (
        "no-policy-sheet",
        "error",
        "政策シート（政策内容の欄があるシート）がありません。「政策1」シートに入力してください",
    )
    MISSING_HEADER = (
        "missing-header",
        "error",
        "見出し「{header}」が見つかりません。表の見出し行を削除・変更しないでください",
    )
    MISSING_FIELD = ("missing-field", "error", "入力が必要です。{what}")
    FORMULA_ERROR = ("formula-error", "error", "数式の結果がエラーです。数式を直すか、値を直接入力してください")
    MISSING_ROW = ("missing-row", "error", "1行以上入力してください")
    NOT_A_NUMBER = ("not-a-number", "error", "数値を入力してください。{what}")
    NEGATIVE_NUMBER = ("negative-number", "error", "0以上の数値を入力してください")
    BUDGET_UNIT = (
        "budget-unit",
        "error",
        "予算額に金額ではない単位「{value_unit}」が付いています。{unit}単位の金額を数値で入力してください",
    )
    QUALITATIVE_VALUE = (
        "qualitative-value",
        "warning",
        "数値でないため達成状況を判定できません（判定不可）。数値で表せる場合は数値を入力してください",
    )
    VALUE_IN_TEXT = (
        "value-in-text",
        "warning",
        "文章の中の数値は判定に使えません（判定不可）。判定するには「{example}」のように数値と単位だけを入力してください"
        "（補足は「{example}（見込み）」のように括弧で添えられます）",
    )
    RELATIVE_VALUE = (
        "relative-value",
        "warning",
        "増減で書かれているため判定できません（判定不可）。判定するには、増減後に到達する値を数値で入力してください",
    )
    SEVERAL_VALUES = (
        "several-values",
        "warning",
        "1つのセルに複数の測定値があるため判定できません（判定不可）。測定値ごとに指標を1行ずつ分けて入力してください",
    )
    FRACTION_VALUE = (
        "fraction-value",
        "warning",
        "分数のため判定できません（判定不可）。判定するには割合（{example}）か件数を数値で入力してください",
    )
    UNIT_MISMATCH = (
        "unit-mismatch",
        "warning",
        "単位「{value_unit}」が指標の単位「{unit}」（{unit_source}）と違うため、この値は判定できません（判定不可）。"
        "「{unit}」で入力するか、単位ごとに指標の行を分けてください",
    )
    UNIT_INFERRED = (
        "unit-inferred",
        "warning",
        "「単位」欄が空欄のため、値に付いている「{unit}」をこの指標の単位として読み取りました。"
        "「単位」欄にも「{unit}」と入力してください",
    )
    UNIT_CONVERTED = (
        "unit-converted",
        "warning",
        "{value}{unit} として読み取りました（{value_unit}から{unit}に換算）。違う場合は{unit}単位の数値で入力してください",
    )
    APPROXIMATE_VALUE = (
        "approximate-value",
        "warning",
        "概数を {value}{unit} として読み取り、判定に使いました。確定した値があれば数値で入力してください",
    )
    VALUE_NOTE = ("value-note", "warning", "{value}{unit} として読み取り、「{note}」は注記として値に添えました")
    BUDGET_NOT_A_NUMBER = (
        "budget-not-a-number",
        "warning",
        "予算額が数値でないため、予算の合計に含めていません。金額が決まっていれば千円単位の数値で入力してください",
    )
    ERA_INFERRED = (
        "era-inferred",
        "warning",
        "元号のない年を「{read_as}」（{as_of}）として読み取りました。違う場合は元号を付けて入力してください",
    )
    SEVERAL_AS_OF = (
        "several-as-of",
        "warning",
        "1つのセルに複数の時点があります（{detail}）。指標ごとに1行ずつ分けて入力してください",
    )
    MISSING_ACTUAL = (
        "missing-actual",
        "warning",
        "今年度目標値があるのに今年度実績値が入力されていません（実績未記入）。最終評価では実績値を入力してください",
    )
    NO_INDICATORS = (
        "no-indicators",
        "warning",
        "測定指標が入力されていません。測定指標を設けない政策は、指標名に「測定指標なし」と入力してください",
    )
    INVALID_FISCAL_YEAR = (
        "invalid-fiscal-year",
        "error",
        "年度として読めません。2015、H27、平成27年度、R7 のように入力してください",
    )
    INVALID_AS_OF = (
        "invalid-as-of",
        "error",
        "時点として読めません。H27、R2 のような年度か、H30.4、2020年3月 のような年月を入力してください",
    )
    INVALID_CHOICE = ("invalid-choice", "error", "{choices} のいずれかを選んでください")
    INVALID_MARK = ("invalid-mark", "error", "該当する場合は「○」を入力し、該当しない場合は空欄にしてください")
    NOT_AN_INTEGER = ("not-an-integer", "error", "{low}～{high}の整数を入力してください")
    OUT_OF_RANGE = ("out-of-range", "error", "{low}～{high}の整数を入力してください")
    INVALID_PHONE = (
        "invalid-phone",
        "error",
        "電話番号として読めません。市外局番から 0857-26-7642 のように入力してください",
    )
    LONG_TERM_BEFORE_FISCAL_YEAR = (
        "long-term-before-fiscal-year",
        "error",
        "長期的目標値の時点（{found_year}年度）が今年度（{fiscal_year}年度）より前です。今年度以降の年度を入力してください",
    )
    DUPLICATE_INDICATOR = (
        "duplicate-indicator",
        "error",
        "同じ政策の中で指標名「{found}」が重複しています（{other}）。指標名を区別できるように変えてください",
    )
    UNKNOWN_DIVISION = (
        "unknown-division",
        "error",
        "所属名簿にない所属です（{found}）。所属コード・部局名・所属名を名簿どおりに入力してください",
    )
    SCHEMA = ("schema", "error", "データの形式が正しくありません: {detail}")
    EVALUATION_CONTRADICTION = (
        "evaluation-contradiction",
        "warning",
        "自己評価（{judgement}）が測定指標の結果（{facts}）と合っていません。評価理由で説明するか、評価を見直してください",
    )
    FILE_UNREADABLE = (
        "file-unreadable",
        "blocking",
        "ファイルを開けませんでした（{detail}）。Excel で開けるか確認し、.xlsx 形式で保存し直してください",
    )
    READER_CRASHED = (
        "reader-crashed",
        "blocking",
        "ファイルの読み込み中に読み取り処理が異常終了しました。Excel で開いて .xlsx 形式で保存し直してください",
    )
    TOO_SLOW = (
        "too-slow",
        "blocking",
        "ファイルの読み込みが制限時間（{seconds}秒）を超えました。不要なシートやデータを削除して保存し直してください",
    )
    INTERNAL_ERROR = (
        "internal-error",
        "blocking",
        "処理中に予期しないエラーが発生しました（{detail}）。このファイルを企画担当に知らせてください",
    )
    FILE_SWAPPED = (
        "file-swapped",
        "blocking",
        "読み取りの直前に、ファイルが別のファイルまたはリンクに置き換えられたため読み込みませんでした。受付フォルダに工程表ファイルそのものを置き直してください",
    )
    IN_TRANSIT = (
        "in-transit",
        "warning",
        "ファイルがコピー中または保存中のため、今回は読み込みませんでした。次回の実行で読み込みます",
    )
    NOT_A_WORKBOOK = (
        "not-a-workbook",
        "blocking",
        "Excel ファイルではありません。Excel で開いて .xlsx 形式で保存し直してください",
    )
    EMPTY_FILE = ("empty-file", "blocking", "ファイルが空です（0バイト）。Excel で保存し直してから提出してください")
    ENCRYPTED_WORKBOOK = (
        "encrypted-workbook",
        "blocking",
        "パスワードで保護（暗号化）されています。パスワードを解除して保存し直してください",
    )
    LEGACY_FORMAT = (
        "legacy-format",
        "blocking",
        "古い Excel 形式（.xls）です。Excel で開き、Excel ブック（.xlsx）形式で保存し直してください",
    )
    UNSUPPORTED_FORMAT = (
        "unsupported-format",
        "blocking",
        "{format} 形式には対応していません。工程表テンプレート（.xlsx）に入力して提出してください",
    )
    TOO_LARGE = (
        "too-large",
        "blocking",
        "ファイルが大きすぎます（{detail}）。不要なシート・画像・データを削除して保存し直してください",
    )
    ZIP_BOMB = (
        "zip-bomb",
        "blocking",
        "圧縮率が異常に高いデータが含まれています（{detail}）。Excel で開いて新しいブックに保存し直してください",
    )
    CORRUPT_ZIP = (
        "corrupt-zip",
        "blocking",
        "ファイルが壊れています（{detail}）。Excel で開いて修復し、保存し直してください",
    )
    XML_ENTITIES = (
        "xml-entities",
        "blocking",
        "ファイルに許可されていない XML 定義（DOCTYPE/ENTITY）が含まれています。Excel で開いて新しいブックに保存し直してください",
    )
    GRID_OUT_OF_BOUNDS = (
        "grid-out-of-bounds",
        "blocking",
        "シート「{sheet_name}」のセル範囲が大きすぎるか Excel の上限を超えています（{detail}）。不要な行・列を削除して保存し直してください",
    )
    TOO_MANY_SHEETS = (
        "too-many-sheets",
        "blocking",
        "シートが多すぎます（{detail}）。不要なシートを削除して保存し直してください",
    )
    DUPLICATE_SHEET = (
        "duplicate-sheet",
        "blocking",
        "同じ名前のシート「{sheet_name}」が複数あります。シート名を変えて保存し直してください",
    )
    BAD_SHARED_STRINGS = (
        "bad-shared-strings",
        "blocking",
        "文字列データが壊れています（{detail}）。Excel で開いて保存し直してください",
    )
    HAS_MACROS = ("has-macros", "warning", "マクロが含まれています。マクロは実行せず、値だけを読み込みました")
    EXTERNAL_LINKS = (
        "external-links",
        "warning",
        "外部ブックへのリンクが含まれています。リンク先は読み込まず、保存されている値を使いました",
    )
    FEEDBACK_FAILED = (
        "feedback-failed",
        "warning",
        "確認用コピー（指摘を書き込んだブック）を作れませんでした（{detail}）。指摘の一覧を参照してください",
    )
    SUPERSEDED = (
        "superseded",
        "warning",
        "同じ所属の新しいファイル（{other}）があるため、このファイルは使いませんでした",
    )
    RESUBMISSION_TIE = (
        "resubmission-tie",
        "blocking",
        "同じ所属のファイル（{other}）と保存日時が同じため、どちらを使うか決められません。どちらか一方を削除してください",
    )
    OUT_OF_SCOPE = ("out-of-scope", "warning", "{found}のファイルのため、今回（{scope}）の集計対象外です")
    DIVISION_APPEARED = (
        "division-appeared",
        "warning",
        "{year}に初めて現れた所属です（{found}）。前年度の所属の改称・統合・分割・移管であれば lineage.csv に行を追加してください。新設の所属であればこのままで構いません",
    )
    DIVISION_RENAMED_WITHOUT_LINEAGE = (
        "division-renamed-without-lineage",
        "warning",
        "所属コードが同じため、前年度の「{last}」と同じ所属として扱いました（{year}は「{found}」）。改称・移管であれば lineage.csv に行を追加してください。別の所属であれば所属コードを確かめてください",
    )
    LINEAGE_ROW_UNMATCHED = (
        "lineage-row-unmatched",
        "warning",
        "lineage.csv {where}「{found}」に当たる所属が履歴にないため、この行を使えませんでした。所属コード・部局名・所属名を工程表の表記どおりに入力してください",
    )
    RENAME_ROW_UNMATCHED = (
        "rename-row-unmatched",
        "warning",
        "indicator_renames.csv {line}行目の所属「{found}」に当たる所属が{year}の履歴に{problem}ため、この行を使えませんでした。所属コードか、工程表の表記どおりの所属名を入力してください",
    )
    INDICATOR_NAME_SIMILAR = (
        "indicator-name-similar",
        "warning",
        "指標名「{found}」は昨年度の「{last_name}」（{where}）と似ていますが同じではないため、別の指標として扱いました。同じ指標であれば indicator_renames.csv に行を追加してください",
    )
    INDICATOR_IDENTITY_DUPLICATE = (
        "indicator-identity-duplicate",
        "warning",
        "同じ所属に同じ名前の指標「{found}」が複数あるため、年度間では表の順番で対応付けました。別の指標であれば指標名を区別してください",
    )
    START_DIFFERS_FROM_LAST_ACTUAL = (
        "start-differs-from-last-actual",
        "warning",
        "年度当初値（{found}）が昨年度の実績値（{last}、{where}）と違います。訂正であればこのままで構いません。誤りであれば直してください",
    )
    LONG_TERM_TARGET_CHANGED = (
        "long-term-target-changed",
        "warning",
        "長期的目標値（{found}）が昨年度（{last}、{where}）から変わっています。計画の改定であればこのままで構いません。誤りであれば直してください",
    )
    LONG_TERM_YEAR_CHANGED = (
        "long-term-year-changed",
        "warning",
        "長期的目標値の時点（{found}）が昨年度（{last}、{where}）から変わっています。計画の改定であればこのままで構いません。誤りであれば直してください",
    )
    INDICATOR_NEW = (
        "indicator-new",
        "warning",
        "指標「{found}」は昨年度（{last_year}）の工程表にない指標です。昨年度の指標の名前を変えたものであれば、企画担当に知らせてください（indicator_renames.csv）",
    )
    INDICATOR_DROPPED = (
        "indicator-dropped",
        "warning",
        "昨年度の指標「{found}」（実績値: {last}、{where}）が今年度の工程表にありません。廃止した指標であればこのままで構いません。名前を変えた場合は企画担当に知らせてください（indicator_renames.csv）",
    )
    DIVISION_MISSING = (
        "division-missing",
        "warning",
        "昨年度（{where}）に提出した所属「{found}」の工程表が今年度はありません。未提出でなく、改称・統合・分割・移管・廃止であれば lineage.csv に行を追加してください",
    )
    DIVISION_CODE_CONFLICT = (
        "division-code-conflict",
        "blocking",
        "所属コード「{division_code}」は所属名簿では {roster} のコードですが、このファイルの所属は {found} です。所属コードと所属名を名簿どおりに入力してください",
    )
    DIVISION_CODE_SHARED = (
        "division-code-shared",
        "blocking",
        "所属コード「{division_code}」のファイルが、別の所属名（{others}）でも提出されています（このファイル: {found}）。どちらの所属のコードかを確かめて、所属コードか所属名を直してください",
    )
    DIVISION_CODES_DIFFER = (
        "division-codes-differ",
        "blocking",
        "同じ所属（{found}）のファイルが、別の所属コード（{others}）でも提出されています。正しい所属コードに直してください",
    )
    DUPLICATE_COPY = (
        "duplicate-copy",
        "warning",
        "内容がまったく同じファイル（{other}）があるため、このファイルは使いませんでした（重複したコピー）",
    )
    ROSTER_IN_INBOX = ("roster-in-inbox", "warning", "所属名簿のため、提出物としては読み込みませんでした")
    FUTURE_SAVED_TIME = (
        "future-saved-time",
        "warning",
        "ブックの保存日時（{found}）が未来になっています。{decision}パソコンの日付と時刻の設定を確認してください",
    )


@dataclass(frozen=True)
class Issue:
    """One problem found in one file, with where it is and what to do."""

    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    found: str = ""
    body: str = ""  # the message without its location and quoted input: what the problem is, for tables

    @property
    def location(self) -> str:
        """``sheet!cell``, or the sheet alone, or empty."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def to_dict(self) -> dict[str, str]:
        """The issue as a JSON-ready mapping."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "field": self.field,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "found": self.found,
        }


def make_issue(
    code: Code,
    *,
    file: str = "",
    sheet: str = "",
    cell: str = "",
    field: str = "",
    found: Any = "",
    quote: bool = True,
    **params: Any,
) -> Issue:
    """Build an issue from the catalogue: ``政策1!H12「今年度実績値」: 数値を入力してください（入力値: 「六」）``."""
    severity, template = code.severity, code.template
    found_text = "" if found is None else str(found)
    body = template.format(found=found_text, **params)
    prefix = ""
    if sheet and cell:
        prefix = f"{sheet}!{cell}"
    elif sheet:
        prefix = sheet
    if field:
        prefix += f"「{field}」"
    message = f"{prefix}: {body}" if prefix else body
    if quote and found_text:
        message += f"（入力値: 「{found_text}」）"
    return Issue(code.value, severity, message, file, sheet, cell, field, found_text, body)


def sort_key(issue: Issue) -> tuple[str, int, str, str]:
    """Order issues by sheet, then row, then column, then code."""
    letters = "".join(ch for ch in issue.cell if ch.isalpha())
    digits = "".join(ch for ch in issue.cell if ch.isdigit())
    return (issue.sheet, int(digits) if digits else 0, f"{len(letters):02d}{letters}", issue.code)


@dataclass(frozen=True)
class DivisionKey:
    """A division as the master list names it."""

    code: str | None
    department: str
    division: str


def code_key(code: str) -> str:
    """A 所属コード as compared: a numeric code without its leading zeros (0101 and 101 are one code: typed into a
    General cell, Excel keeps the number and drops the zero)."""
    return (code.lstrip("0") or "0") if code.isdigit() else code


@dataclass(frozen=True)
class MasterIndex:
    """A master's divisions by code and by names (row numbers), built once per process."""

    by_code: dict[str, int]  # code_key → the last row with it (as the merge matches files)
    by_names: dict[tuple[str, str], int]  # (部局名, 所属名) → the last row with them
    first_by_code: dict[str, int]  # code_key → the first row with it
    first_by_names: dict[tuple[str, str], int]  # names → the first row with them
    first_uncoded: dict[tuple[str, str], int]  # names → the first row with them and no code


@dataclass(frozen=True)
class Master:
    """The division master list: the divisions expected to submit."""

    divisions: tuple[DivisionKey, ...]

    def __getstate__(self) -> dict[str, Any]:
        return {"divisions": self.divisions}  # sent to a worker without its index: rebuilt there once

    @cached_property
    def index(self) -> MasterIndex:
        """The divisions by code and by names (a roster of thousands is looked up per file, not scanned)."""
        by_code: dict[str, int] = {}
        by_names: dict[tuple[str, str], int] = {}
        first_uncoded: dict[tuple[str, str], int] = {}
        for i, d in enumerate(self.divisions):
            if d.code:
                by_code[code_key(d.code)] = i
            else:
                first_uncoded.setdefault((d.department, d.division), i)
            by_names[(d.department, d.division)] = i
        first_by_code: dict[str, int] = {}
        first_by_names: dict[tuple[str, str], int] = {}
        for i, d in reversed(list(enumerate(self.divisions))):
            if d.code:
                first_by_code[code_key(d.code)] = i
            first_by_names[(d.department, d.division)] = i
        return MasterIndex(by_code, by_names, first_by_code, first_by_names, first_uncoded)

    def knows(self, key: DivisionKey) -> bool:
        """True when the master lists this division (by code when both have one, else by names)."""
        return self.find(key) is not None

    def find(self, key: DivisionKey) -> DivisionKey | None:
        """The master's first entry for this division, or None: by code when both have one (`code_key`), else by
        names."""
        index, names = self.index, (key.department, key.division)
        if key.code:
            rows = (index.first_by_code.get(code_key(key.code)), index.first_uncoded.get(names))
        else:
            rows = (index.first_by_names.get(names), None)
        found = [row for row in rows if row is not None]
        return self.divisions[min(found)] if found else None


@dataclass(frozen=True)
class FileResult:
    """What reading, normalising and validating one file produced."""

    display: str  # the file's name as shown to users (relative to the inbox when merging), not an OS path
    sha256: str = ""
    size: int = 0
    mtime: float = 0.0
    saved_at: str | None = None  # workbook core property dcterms:modified (ISO 8601)
    issues: tuple[Issue, ...] = ()
    record: dict[str, Any] | None = None
    locations: dict[str, str] = field(default_factory=dict)
    in_transit: bool = False
    feedback: str | None = None  # path of the annotated copy, when one was asked for and written
    # An accepted file's table rows, column by column, when its worker flattened them (pipeline.combine.flatten);
    # the record is then cut to what the merge still needs and the locations are in the rows.
    rows: dict[str, dict[str, list[Any]]] | None = None

    @property
    def blocking(self) -> tuple[Issue, ...]:
        """Issues that reject the file: it cannot be read or placed."""
        return tuple(i for i in self.issues if i.severity == "blocking")

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Wrong values: not used, marked, to be corrected; the file is merged all the same."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """What was read as a careful reader would, to be confirmed."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def accepted(self) -> bool:
        """True when the file was read and can be placed (受理, or 受理（要修正） with errors)."""
        return self.record is not None and not self.blocking and not self.in_transit

    @property
    def needs_correction(self) -> bool:
        """True when the file is accepted but some of its values are wrong (受理（要修正））."""
        return self.accepted and bool(self.errors)


@dataclass(frozen=True)
class Task:
    """One file to parse, with what discovery saw of it."""

    path: str
    display: str
    size: int | None = None
    mtime_ns: int | None = None
    master: Master | None = None
    identity: tuple[int, int] | None = None  # (device, inode) discovery saw: the file read must be that file
    annotate_to: str | None = None  # write an annotated copy here when the file has issues
    flatten: bool = False  # send an accepted file back as table rows (pipeline.combine.flatten), not as its record
    # (entries folder, settings key) of the outbox's result cache: the worker stores its result there (pipeline.intake.cache)
    cache: tuple[str, str] | None = None

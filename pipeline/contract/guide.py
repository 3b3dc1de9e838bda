"""The words of the template's 記入方法 sheet: the workflow and the rules for each kind of value, from the layout."""

from __future__ import annotations

from pipeline.contract.example import EXAMPLE_ENTRIES
from pipeline.contract.layout import (
    ACHIEVEMENT_MAX,
    ACHIEVEMENT_MIN,
    DEFAULT_DIRECTION,
    DIRECTIONS,
    PROGRESS_CHOICES,
    REQUIRED_AT_STAGE,
    SHEET_BASIC,
    SHEET_EXAMPLE,
    SHEET_META,
    SHEET_POLICY,
    STAGE_LABELS,
    STAGES,
    field,
)


def guide_lines() -> list[tuple[str, str]]:
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
        (
            "④",
            f"「{SHEET_EXAMPLE}」シートは{EXAMPLE_ENTRIES['department']} {EXAMPLE_ENTRIES['division']}の記入例です。集計には読み込まれません（書き換えたり、コピーして使ったりしないでください）。",
        ),
        ("⑤", "入力が終わったら上書き保存し、指定された共有フォルダに提出してください（.xlsx 形式のまま）。"),
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
            "文章が欄に収まらないときは、行の高さを広げてください（結合したセルの高さは自動では変わりません）。",
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
            f"数値で入力してください（例: 6、1,234、12.5%）。単位は値に付けても（例: 25.9km、97.1%）、「{unit}」欄に書いても構いません。",
        ),
        (
            "・",
            f"値に単位を付けたときは「{unit}」欄は空欄で構いません。「{unit}」欄に書いたときは、値に付ける単位を同じにしてください（例: 単位が「千円」なら 628 または 628千円）。",
        ),
        ("・", "マイナスの値は ▲100 または -100 と入力してください。"),
        (
            "・",
            "数値で表せない目標・実績（例: 全て達成する）は文字で入力できますが、達成状況は「判定不可」になります。",
        ),
        ("・", "時点は年度（H27、R2、2020年度）または年月（H30.4、R2.3、2020年3月）で入力してください。"),
        ("・", "該当がない欄は空欄のままにしてください（「-」「なし」も空欄とみなします）。"),
    ]

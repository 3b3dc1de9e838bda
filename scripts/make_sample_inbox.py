"""Regenerate the sample inbox (inbox/) that `make demo` merges: 18 divisions' 工程表 for FY H27 (2015), 最終.

Run: `.venv/bin/python scripts/make_sample_inbox.py [--out inbox]`. The content is fixed
(no randomness), so every run writes the same values; only zip timestamps differ.
Before writing, the script removes the `.xlsx` files it is about to generate (and
nothing else), then writes `<out>/<部局名>/<所属名>.xlsx` through the template's
defined names and the division master `<out>/所属名簿.csv` (UTF-8 with BOM).

What the demo inbox contains (all three fates, design §4): 17 divisions 受理, one 受理（要修正） (高等学校課: 達成度の評価 11,
shown as typed and marked, never used), and one 不受理 draft (総務部/税務課_作業中.xlsx, saved before 部局名 was typed:
it cannot be placed, and the real 税務課 is merged). Values as divisions type them (`as_people_type`), each read with a
warning to confirm: units typed with the values while 単位 is blank (河川課), a note in brackets (長寿社会課
9市町村(=9/19市町村)), a budget in 億円 in the 千円 column (企業立地課 12億5,000万円 → 1,250,000 千円), an era-less 時点
(小中学校課 26年度末 → 平成26年度末), なし as a deliberate blank (生産振興課), a text target (福祉保健課).

- 18 divisions in 6 departments (総務部 3, 福祉保健部 4, 商工労働部 3, 農林水産部 4,
  県土整備部 2, 教育委員会 2), one file each; the seed 総務部 情報政策課 unchanged
  (no 所属コード), the others with a code. 年度 is typed as H27, 平成27年度, 平成２７年度,
  2015 (a number), 2015年度; values carry units, full-width digits and separators
  ('６件', '1,200人', '▲3', '６５．３％') to show normalisation.
- 26 policies (6 divisions with 2 policy sheets, 1 with 3), 55 indicators, 40 projects.
- 7 indicators behind target:
  福祉保健部 健康政策課 特定健康診査受診率 (policy △),
  福祉保健部 長寿社会課 認知症サポーター養成数（累計）,
  商工労働部 産業振興課 県の支援による輸出成約額 (policy ◎: the contradiction),
  農林水産部 生産振興課 鳥取二十世紀梨の輸出量,
  農林水産部 水産課 新規漁業就業者数 and 漁業就業前研修の受講者数 (policy ×),
  県土整備部 道路企画課 交通事故死者数 (減少, actual above target).
- 減少 (lower is better) indicators: 交通事故死者数 (behind); 職員1人当たりの年間時間外勤務時間,
  県税滞納額, 特別養護老人ホーム入所待機者数, 不登校児童生徒数（千人当たり） (all met).
- One qualitative target (warning qualitative-value): 福祉保健部 福祉保健課
  地域見守り活動の実施市町村数, 今年度目標値「全ての市町村で実施する」.
- One missing actual at 最終 (実績未記入): 農林水産部 森林づくり推進課 間伐実施面積.
- One indicator that meets this year's target but falls short of the straight line from
  基準値 to 長期的目標値 (長期目標に対する遅れ): 商工労働部 企業立地課
  企業立地に伴う新規雇用創出数（累計） (target 600, actual 650, expected 725).
- One policy △ (健康政策課 特定健康診査), one × (水産課 新規漁業就業者), and one
  self-evaluation that contradicts its numbers (warning evaluation-contradiction):
  産業振興課 「県内企業の海外展開の支援」 judged ◎ with 輸出成約額 behind target.
- 所属名簿.csv: the 18 divisions plus 2 that submit nothing (福祉保健部 子育て王国推進課,
  県土整備部 技術企画課), so the merge lists them as 未提出.
"""

from __future__ import annotations

import copy
import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.checks import normalise as nz  # noqa: E402
from pipeline.contract.fill import fill_template  # noqa: E402
from pipeline.contract.layout import PROGRESS_CHOICES, PROGRESS_MARKS, RELATED_PLAN_LABELS  # noqa: E402
from pipeline.intake.roster import COLUMNS as MASTER_COLUMNS  # noqa: E402
from scripts.seed import seed_entries  # noqa: E402

MASTER_FILE = "所属名簿.csv"
STAGE = "最終"

VISION, ENVIRONMENT, ACTION_PLAN, OTHER_PLAN = RELATED_PLAN_LABELS
# The dropdown form of each mark, e.g. ○ → ○（予定通り）.
_PROGRESS = dict(zip(PROGRESS_MARKS, PROGRESS_CHOICES, strict=True))

# Divisions in the master list that submit nothing: (所属コード, 部局名, 所属名).
NOT_SUBMITTING = (
    ("2105", "福祉保健部", "子育て王国推進課"),
    ("5103", "県土整備部", "技術企画課"),
)


# --- builders ---------------------------------------------------------------


def ind(
    name: str,
    category: str,
    unit: str,
    *,
    baseline: Any = None,
    baseline_as_of: str | None = None,
    start: Any = None,
    start_as_of: str | None = None,
    target: Any = None,
    target_as_of: str | None = None,
    actual: Any = None,
    actual_as_of: str | None = None,
    long_term: Any = None,
    long_term_as_of: str | None = None,
    direction: str | None = None,
    plan: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One row of the 測定指標 table, keyed by the template's column keys."""
    return {
        "name": name,
        "category": category,
        "unit": unit,
        "direction": direction,
        "baseline": baseline,
        "baseline_as_of": baseline_as_of,
        "start": start,
        "start_as_of": start_as_of,
        "target": target,
        "target_as_of": target_as_of,
        "actual": actual,
        "actual_as_of": actual_as_of,
        "long_term_target": long_term,
        "long_term_as_of": long_term_as_of,
        "plan": plan,
        "selection_reason": reason,
    }


def proj(number: str, name: str, budget: Any, summary: str) -> dict[str, Any]:
    """One row of the 主要事業・主要制度 table."""
    return {"number": number, "name": name, "budget": budget, "summary": summary}


def policy(
    title: str,
    goals: Sequence[str],
    *,
    indicators: Sequence[dict[str, Any]],
    projects: Sequence[dict[str, Any]],
    progress: str,
    achievement: Any,
    reason: str,
    results: Sequence[tuple[str, str]],
    challenges: Sequence[tuple[str, str]],
    plans: Sequence[str] = (),
    plan_mark: str = "○",
    note: str | None = None,
    long_term_goal: str | None = None,
) -> dict[str, Any]:
    """One policy sheet; `progress` is a mark (written in its dropdown form) or the text as typed."""
    return {
        "policy_title": title,
        "goals": list(goals),
        "related_plans": dict.fromkeys(plans, plan_mark),
        "related_plans_note": note,
        "long_term_goal": long_term_goal,
        "indicators": list(indicators),
        "projects": list(projects),
        "progress": _PROGRESS.get(progress, progress),
        "achievement": achievement,
        "evaluation_reason": reason,
        "results": [{"action": a, "outcome": o} for a, o in results],
        "challenges": [{"challenge": c, "next_action": n} for c, n in challenges],
    }


def division(
    department: str,
    name: str,
    code: str,
    head: str,
    phone: str,
    fiscal_year: Any,
    missions: Sequence[str],
    policies: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The entries of one division's workbook at stage 最終."""
    return {
        "fiscal_year": fiscal_year,
        "stage": STAGE,
        "department": department,
        "division": name,
        "division_code": code,
        "head": head,
        "phone": phone,
        "missions": list(missions),
        "policies": list(policies),
    }


# --- 総務部 -------------------------------------------------------------------


def _jinji() -> dict[str, Any]:
    return division(
        "総務部",
        "人事企画課",
        "1102",
        "山本明彦",
        "0857-26-7031",
        "平成27年度",
        [
            "○県民から信頼される職員の育成と、能力・実績に基づく人事管理の推進。",
            "○ワーク・ライフ・バランスの推進による、職員が働きやすい職場づくり。",
            "○行政需要の変化に対応した効率的な組織体制の構築と適正な定員管理。",
        ],
        [
            policy(
                "職員の働き方改革とワーク・ライフ・バランスの推進",
                [
                    "・時間外勤務の縮減に向け、全所属で業務の見直しを行う",
                    "・男性職員の育児参加休暇・育児休業の取得を促進する",
                ],
                plans=[VISION],
                long_term_goal="平成31年度までに職員1人当たりの年間時間外勤務時間を120時間以下にする。",
                indicators=[
                    ind(
                        "職員1人当たりの年間時間外勤務時間",
                        "成果指標",
                        "時間",
                        direction="減少",
                        baseline=158,
                        baseline_as_of="H26",
                        start=158,
                        start_as_of="H27.4",
                        target=150,
                        actual=146,
                        actual_as_of="H28.3",
                        long_term=120,
                        long_term_as_of="H31",
                        plan="鳥取県職員ワーク・ライフ・バランス推進計画",
                        reason="長時間勤務の縮減は職員の健康確保と業務効率化の両面で重要",
                    ),
                    ind(
                        "男性職員の育児参加休暇取得率",
                        "成果指標",
                        "%",
                        baseline=52.0,
                        baseline_as_of="H26",
                        start=52.0,
                        target=60,
                        actual="６５．３％",
                        long_term=80,
                        long_term_as_of="H31",
                        plan="鳥取県職員ワーク・ライフ・バランス推進計画",
                        reason="男性職員の育児参画の状況を端的に示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "職員研修事業",
                        18420,
                        "■階層別研修・専門研修の実施\n新規採用職員から管理職まで階層別に研修を実施するほか、"
                        "政策形成やファシリテーション等の専門研修を実施。\n4月～翌2月 延べ120講座",
                    ),
                    proj(
                        "2",
                        "働き方改革推進事業",
                        "3,260",
                        "■業務見直しとノー残業デーの徹底\n全所属で業務見直しシートを作成し、部局ごとに削減目標を設定。"
                        "毎週水曜日の定時退庁を徹底し、四半期ごとに時間外勤務の状況を公表する。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="全所属で業務見直しを行い、時間外勤務は目標の150時間を下回る146時間となった。"
                "男性職員の育児参加休暇取得率も65.3%と目標を上回った。",
                results=[
                    (
                        "業務見直しシートによる業務の棚卸し",
                        "全86所属で業務見直しシートを作成し、会議資料の簡素化など延べ412件の見直しを実施した。",
                    ),
                    (
                        "男性職員の育児参加の促進",
                        "子どもが生まれる職員と所属長の面談を必須とし、休暇取得計画の作成を徹底した。",
                    ),
                ],
                challenges=[
                    (
                        "繁忙所属での時間外勤務の偏り",
                        "時間外勤務が年間360時間を超える職員がいる所属に対し、応援体制の整備や業務の平準化を支援する。",
                    ),
                ],
            ),
        ],
    )


def _zeimu() -> dict[str, Any]:
    return division(
        "総務部",
        "税務課",
        "1103",
        "松本直樹",
        "0857-26-7056",
        "H27",
        [
            "○適正・公平な課税と徴収による県税収入の確保。",
            "○滞納整理の強化による税負担の公平性の確保。",
            "○電子申告・電子納税の推進による納税者サービスの向上。",
        ],
        [
            policy(
                "県税収入の確保に向けた滞納整理の強化",
                [
                    "・現年課税分の徴収率を99.3%以上とする",
                    "・市町村と連携した個人住民税の滞納整理を推進する",
                ],
                indicators=[
                    ind(
                        "県税徴収率（現年課税分）",
                        "成果指標",
                        "%",
                        baseline=99.2,
                        baseline_as_of="H26",
                        start=99.2,
                        target=99.3,
                        actual=99.4,
                        long_term=99.5,
                        long_term_as_of="H29",
                        plan="鳥取県行財政改革大綱",
                        reason="県税収入確保の取組の成果を最も直接に示す指標",
                    ),
                    ind(
                        "県税滞納額",
                        "成果指標",
                        "百万円",
                        direction="減少",
                        baseline="1,520",
                        baseline_as_of="H26",
                        start="1,520",
                        target=1400,
                        actual="1,352百万円",
                        long_term=1200,
                        long_term_as_of="H29",
                        plan="鳥取県行財政改革大綱",
                        reason="滞納整理の進捗を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "県税滞納整理推進事業",
                        45210,
                        "■滞納整理の強化\n財産調査・差押えの徹底、インターネット公売の実施。"
                        "\n■地方税滞納整理機構との連携\n市町村と共同で高額・困難案件の滞納整理を実施（通年）。",
                    ),
                    proj(
                        "2",
                        "個人住民税特別徴収推進事業",
                        "２，１５０",
                        "市町村と連携し、事業者に対する個人住民税の特別徴収の一斉指定を行う（H27.4～）。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="差押え等の滞納処分を徹底した結果、現年課税分の徴収率は99.4%と目標を上回り、"
                "滞納額も1,352百万円まで縮減した。",
                results=[
                    (
                        "インターネット公売の実施",
                        "年4回の公売で動産・不動産計58件を売却し、約2,300万円を滞納税に充当した。",
                    ),
                    ("特別徴収の一斉指定", "県内全市町村で一斉指定を実施し、特別徴収の事業所が約1,800社増加した。"),
                ],
                challenges=[
                    (
                        "滞納者の高齢化・生活困窮による徴収困難案件の増加",
                        "福祉部局と連携し、生活再建の支援とあわせた納税相談を行う。",
                    ),
                ],
            ),
            policy(
                "電子申告・電子納税の利用促進による納税者の利便性向上",
                [
                    "・法人二税の電子申告利用率を55%以上とする",
                    "・税理士・事業者向けの説明会を年8回以上開催する",
                ],
                indicators=[
                    ind(
                        "法人県民税・法人事業税の電子申告利用率",
                        "成果指標",
                        "%",
                        baseline=48.5,
                        baseline_as_of="H26",
                        start=48.5,
                        target=55,
                        actual=57.1,
                        long_term=70,
                        long_term_as_of="H30",
                        plan="鳥取県ICT推進計画",
                        reason="納税者の利便性向上と事務の効率化の成果を示す指標",
                    ),
                    ind(
                        "電子申告に関する説明会の開催回数",
                        "活動指標",
                        "回",
                        baseline=4,
                        baseline_as_of="H26",
                        start=4,
                        target=8,
                        actual="１０回",
                        long_term=10,
                        long_term_as_of="H30",
                        reason="電子申告の普及に向けた取組量を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "3",
                        "電子申告推進事業",
                        1820,
                        "■eLTAXの利用促進\n税理士会と共催で説明会を開催し、電子申告の操作研修を実施（6月～2月）。",
                    ),
                ],
                progress="◎",
                achievement=9,
                reason="説明会を目標の8回を上回る10回開催し、電子申告利用率も57.1%と目標を上回った。",
                results=[
                    (
                        "税理士会と共催の説明会",
                        "県内3地区で計10回開催し、延べ420人が参加。参加者アンケートで9割が「利用したい」と回答した。",
                    ),
                ],
                challenges=[
                    (
                        "小規模法人の電子申告利用の伸び悩み",
                        "商工団体と連携し、小規模法人向けの個別相談会を開催する。",
                    ),
                ],
            ),
        ],
    )


# --- 福祉保健部 -----------------------------------------------------------------


def _fukushi() -> dict[str, Any]:
    return division(
        "福祉保健部",
        "福祉保健課",
        "2101",
        "中村由美子",
        "0857-26-7142",
        "2015年度",
        [
            "○地域の支え合いにより、誰もが安心して暮らせる地域共生社会づくりを推進。",
            "○生活困窮者の早期把握と、就労を中心とした自立の支援。",
            "○災害時に支援が必要な方の避難支援体制の構築。",
        ],
        [
            policy(
                "地域で支え合う福祉のまちづくりの推進",
                [
                    "・全ての市町村で地域見守り活動を実施する",
                    "・生活困窮者自立相談支援による就労者数を120人以上とする",
                ],
                plans=[VISION],
                long_term_goal="平成29年度までに全19市町村で住民主体の見守り・支え合い活動が行われる体制をつくる。",
                indicators=[
                    ind(
                        "地域見守り活動の実施市町村数",
                        "活動指標",
                        "市町村",
                        baseline=12,
                        baseline_as_of="H26",
                        start=12,
                        target="全ての市町村で実施する",
                        actual=17,
                        actual_as_of="H28.3",
                        long_term=19,
                        long_term_as_of="H29",
                        plan="鳥取県地域福祉支援計画",
                        reason="見守り体制の広がりを示す指標",
                    ),
                    ind(
                        "生活困窮者自立相談支援による就労者数",
                        "成果指標",
                        "人",
                        baseline=85,
                        baseline_as_of="H26",
                        start=85,
                        target=120,
                        actual=131,
                        long_term=200,
                        long_term_as_of="H29",
                        plan="鳥取県地域福祉支援計画",
                        reason="生活困窮者の自立支援の成果を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "地域見守り・支え合い推進事業",
                        8640,
                        "■見守り協定の締結\n新聞販売店・宅配事業者等と見守り協定を締結し、異変の早期発見につなげる。"
                        "\n■市町村への補助\n住民主体の見守り活動の立ち上げ経費を補助（補助率1/2）。",
                    ),
                    proj(
                        "2",
                        "生活困窮者自立支援事業",
                        62300,
                        "町村部の自立相談支援機関を設置し、就労準備支援・家計相談支援を実施（H27.4開始）。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="見守り活動は17市町村で実施され、未実施の2町村も来年度の実施に向けて準備中である。"
                "自立相談支援による就労者数は131人と目標を上回った。",
                results=[
                    (
                        "見守り協定の締結",
                        "新たに民間事業者12社と協定を締結し、協定事業者は計38社となった。",
                    ),
                    (
                        "生活困窮者自立相談支援機関の開設",
                        "県が所管する町村部に相談窓口を開設し、新規相談は延べ612件、うち131人が就労に結びついた。",
                    ),
                ],
                challenges=[
                    (
                        "見守り活動未実施の町村への支援",
                        "社会福祉協議会と連携し、担い手の養成講座の開催と立ち上げ経費の補助を継続する。",
                    ),
                ],
            ),
        ],
    )


def _kenko() -> dict[str, Any]:
    return division(
        "福祉保健部",
        "健康政策課",
        "2102",
        "小林誠",
        "0857-26-7201",
        "H27",
        [
            "○県民の健康寿命の延伸に向けた健康づくりの推進。",
            "○がんの予防・早期発見と、がん医療・相談支援体制の充実。",
            "○特定健診・保健指導による生活習慣病の予防。",
            "○地域医療を支える医療従事者の確保。",
        ],
        [
            policy(
                "がん検診の受診率向上と早期発見・早期治療の推進",
                [
                    "・胃がん検診受診率を33%以上とする",
                    "・全ての市町村で受診勧奨の個別通知を実施する",
                ],
                plans=[VISION],
                long_term_goal="平成29年度までに各がん検診の受診率を向上させ、がんによる75歳未満の死亡率を減少させる。",
                indicators=[
                    ind(
                        "胃がん検診受診率",
                        "成果指標",
                        "%",
                        baseline=30.2,
                        baseline_as_of="H25",
                        start=31.0,
                        start_as_of="H26",
                        target=33,
                        actual=33.8,
                        long_term=36,
                        long_term_as_of="H29",
                        plan="鳥取県がん対策推進計画",
                        reason="がんの早期発見の基盤となる検診の受診状況を示す指標",
                    ),
                    ind(
                        "受診勧奨の個別通知を実施した市町村数",
                        "活動指標",
                        "市町村",
                        baseline=11,
                        baseline_as_of="H26",
                        start=11,
                        target=19,
                        actual=19,
                        long_term=19,
                        long_term_as_of="H28",
                        plan="鳥取県がん対策推進計画",
                        reason="受診率向上に効果の高い個別勧奨の広がりを示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "がん検診受診率向上事業",
                        24500,
                        "■個別勧奨・再勧奨への補助\n市町村が行う個別通知・再勧奨の経費を補助。"
                        "\n■企業と連携した啓発\nがん検診推進パートナー企業と連携し、職域での受診を呼びかける。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="全市町村で個別通知が実施され、胃がん検診受診率は33.8%と目標を上回った。",
                results=[
                    (
                        "市町村の個別勧奨の支援",
                        "全19市町村で個別通知を実施し、うち12市町村で未受診者への再勧奨も行った。",
                    ),
                ],
                challenges=[
                    (
                        "働き盛り世代の受診率の低さ",
                        "がん検診推進パートナー企業を拡大し、休日検診の実施を市町村に働きかける。",
                    ),
                ],
            ),
            policy(
                "特定健康診査の受診促進による生活習慣病予防",
                [
                    "・特定健康診査受診率を45%以上とする",
                    "・健康づくり応援施設の登録を500施設以上とする",
                ],
                plans=[VISION],
                long_term_goal="平成29年度までに特定健康診査受診率60%を達成する。",
                indicators=[
                    ind(
                        "特定健康診査受診率",
                        "成果指標",
                        "%",
                        baseline=38.5,
                        baseline_as_of="H25",
                        start=40.1,
                        start_as_of="H26",
                        target=45,
                        actual=41.2,
                        actual_as_of="H28.3",
                        long_term=60,
                        long_term_as_of="H29",
                        plan="鳥取県健康づくり文化創造プラン",
                        reason="生活習慣病の予防と早期発見の状況を示す指標",
                    ),
                    ind(
                        "健康づくり応援施設の登録数",
                        "活動指標",
                        "施設",
                        baseline=420,
                        baseline_as_of="H26",
                        start=420,
                        target=500,
                        actual=512,
                        long_term=700,
                        long_term_as_of="H30",
                        plan="鳥取県健康づくり文化創造プラン",
                        reason="県民が身近に健康づくりに取り組める環境の広がりを示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "2",
                        "特定健診受診促進事業",
                        15800,
                        "■未受診者対策\n国保被保険者のうち3年連続未受診者へ電話・訪問による受診勧奨を実施（9月～12月）。",
                    ),
                    proj(
                        "3",
                        "健康づくり応援施設推進事業",
                        2400,
                        "飲食店・スポーツ施設等を健康づくり応援施設として登録し、県ホームページ等で紹介する。",
                    ),
                ],
                progress="△",
                achievement=6,
                reason="受診勧奨を強化したが、特定健康診査受診率は41.2%にとどまり目標の45%に届かなかった。"
                "健康づくり応援施設の登録は512施設と目標を上回った。",
                results=[
                    (
                        "未受診者への電話・訪問勧奨",
                        "約6,000人に勧奨を行い、うち約900人が受診したが、全体の受診率の伸びは1.1ポイントにとどまった。",
                    ),
                ],
                challenges=[
                    (
                        "40～50歳代の受診率の低迷",
                        "協会けんぽ等の医療保険者と連携し、がん検診との同時実施や休日健診の拡大を進める。",
                    ),
                ],
            ),
        ],
    )


def _shogai() -> dict[str, Any]:
    return division(
        "福祉保健部",
        "障がい福祉課",
        "2103",
        "井上和夫",
        "0857-26-7862",
        "平成２７年度",
        [
            "○障がいのある人もない人も共に安心して暮らせる共生社会の実現。",
            "○あいサポート運動の全国・海外への展開。",
            "○障がいのある人の一般就労への移行と工賃向上の支援。",
        ],
        [
            policy(
                "あいサポート運動の推進と障がい者の就労支援",
                [
                    "・あいサポーターを32万人以上とする",
                    "・福祉施設から一般就労への移行者数を110人以上とする",
                ],
                plans=[VISION, OTHER_PLAN],
                plan_mark="〇",
                note="鳥取県障がい福祉計画",
                indicators=[
                    ind(
                        "あいサポーター数（累計）",
                        "活動指標",
                        "人",
                        baseline=285000,
                        baseline_as_of="H26",
                        start=285000,
                        target=320000,
                        actual="336,512人",
                        long_term=400000,
                        long_term_as_of="H30",
                        plan="その他",
                        reason="障がいへの理解の広がりを示す指標",
                    ),
                    ind(
                        "福祉施設から一般就労への移行者数",
                        "成果指標",
                        "人",
                        baseline=96,
                        baseline_as_of="H26",
                        start=96,
                        target=110,
                        actual=118,
                        long_term=150,
                        long_term_as_of="H29",
                        plan="その他",
                        reason="障がい者の就労支援の成果を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "あいサポート運動推進事業",
                        12800,
                        "■あいサポーター研修の実施\n企業・学校・自治体向けに研修を実施し、あいサポート企業・団体の認定を拡大。"
                        "\n■他県との連携\n連携自治体との共同キャンペーンを実施（10月）。",
                    ),
                    proj(
                        "2",
                        "障がい者就労支援事業",
                        "３５，６００",
                        "就労移行支援事業所への職場開拓員の配置、企業向け職場実習の受入れ支援。",
                    ),
                ],
                progress="◎",
                achievement="９",
                reason="あいサポーターは336,512人と目標を大きく上回り、一般就労移行者も118人と目標を上回った。",
                results=[
                    (
                        "あいサポート企業・団体の認定",
                        "新たに86の企業・団体を認定し、累計は1,024となった。",
                    ),
                    (
                        "職場実習の受入れ開拓",
                        "職場開拓員が延べ310社を訪問し、52社で職場実習の受入れが実現した。",
                    ),
                ],
                challenges=[
                    (
                        "就労後の職場定着",
                        "障害者就業・生活支援センターと連携し、就職後6か月間の定着支援を強化する。",
                    ),
                ],
            ),
        ],
    )


def _choju() -> dict[str, Any]:
    return division(
        "福祉保健部",
        "長寿社会課",
        "2104",
        "加藤恵子",
        "0857-26-7172",
        2015,
        [
            "○高齢者が住み慣れた地域で暮らし続けられる地域包括ケアシステムの構築。",
            "○認知症の人とその家族を地域で支える体制づくり。",
            "○介護サービス基盤の整備と介護人材の確保・定着。",
        ],
        [
            policy(
                "認知症になっても安心して暮らせる地域づくり",
                [
                    "・認知症サポーターを累計5万人養成する",
                    "・認知症初期集中支援チームを8市町村以上に設置する",
                ],
                plans=[VISION],
                indicators=[
                    ind(
                        "認知症サポーター養成数（累計）",
                        "活動指標",
                        "人",
                        baseline="42,150",
                        baseline_as_of="H26",
                        start="42,150",
                        target="50,000",
                        actual="48,312人",
                        actual_as_of="H28.3",
                        long_term="60,000",
                        long_term_as_of="H29",
                        plan="鳥取県介護保険事業支援計画",
                        reason="認知症への理解の広がりを示す指標",
                    ),
                    ind(
                        "認知症初期集中支援チームを設置した市町村数",
                        "活動指標",
                        "市町村",
                        baseline=2,
                        baseline_as_of="H26",
                        start=2,
                        target=8,
                        actual=9,
                        long_term=19,
                        long_term_as_of="H29",
                        plan="鳥取県介護保険事業支援計画",
                        reason="認知症の早期診断・早期対応の体制整備の状況を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "認知症施策推進事業",
                        21700,
                        "■認知症サポーター養成講座\nキャラバン・メイトによる講座を学校・企業で開催。"
                        "\n■初期集中支援チーム\nチーム員研修の受講経費を支援し、市町村の設置を促進。",
                    ),
                ],
                progress="○",
                achievement=7,
                reason="初期集中支援チームは9市町村に設置され目標を上回ったが、認知症サポーター養成数は"
                "48,312人と目標の5万人にわずかに届かなかった。",
                results=[
                    (
                        "認知症サポーター養成講座の開催",
                        "年間で6,162人を養成した。特に中学校・高校での講座が前年度の倍に増えた。",
                    ),
                ],
                challenges=[
                    (
                        "企業での養成講座の開催が少ない",
                        "商工団体を通じて小売・金融・交通事業者に講座の開催を働きかける。",
                    ),
                ],
            ),
            policy(
                "介護サービス基盤の整備と介護人材の確保",
                [
                    "・特別養護老人ホームの入所待機者を1,000人以下とする",
                    "・介護職員初任者研修の修了者を420人以上とする",
                ],
                indicators=[
                    ind(
                        "特別養護老人ホーム入所待機者数",
                        "成果指標",
                        "人",
                        direction="減少",
                        baseline="1,105",
                        baseline_as_of="H26",
                        start="1,105",
                        target="1,000",
                        actual=962,
                        long_term=800,
                        long_term_as_of="H29",
                        plan="鳥取県介護保険事業支援計画",
                        reason="介護基盤の充足状況を示す指標",
                    ),
                    ind(
                        "介護職員初任者研修の修了者数",
                        "活動指標",
                        "人",
                        baseline=380,
                        baseline_as_of="H26",
                        start=380,
                        target=420,
                        actual=436,
                        long_term=500,
                        long_term_as_of="H29",
                        plan="鳥取県介護保険事業支援計画",
                        reason="介護人材の確保に向けた取組の成果を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "2",
                        "介護基盤整備事業",
                        486000,
                        "地域密着型特別養護老人ホーム等の整備に対する補助（5施設・145床、H27.6～H28.3）。",
                    ),
                    proj(
                        "3",
                        "介護人材確保対策事業",
                        38900,
                        "■初任者研修の受講支援\n受講料の助成と離職者向け研修の実施。"
                        "\n■職場環境改善\n介護ロボット導入の補助。",
                    ),
                ],
                progress="〇(予定通り)",
                achievement=8,
                reason="施設整備により待機者数は962人と目標を下回り、初任者研修の修了者も436人と目標を上回った。",
                results=[
                    (
                        "地域密着型特養の整備",
                        "5施設145床の整備が完了し、待機者のうち在宅で要介護4・5の方の入所が進んだ。",
                    ),
                ],
                challenges=[
                    (
                        "介護職員の離職率の高さ",
                        "キャリアパスの整備や処遇改善加算の取得を事業所に働きかける。",
                    ),
                ],
            ),
        ],
    )


# --- 商工労働部 -----------------------------------------------------------------


def _sangyo() -> dict[str, Any]:
    return division(
        "商工労働部",
        "産業振興課",
        "3101",
        "清水大輔",
        "0857-26-7244",
        "H27",
        [
            "○成長分野への参入支援による県内企業の成長と新産業の創出。",
            "○県内企業の海外展開と県産品の輸出拡大の支援。",
            "○中小企業の経営革新と円滑な事業承継の支援。",
        ],
        [
            policy(
                "成長分野への参入支援による新産業の創出",
                [
                    "・医療機器・次世代自動車等の成長分野での事業化を15件以上とする",
                    "・産学金官連携による共同研究を24件以上実施する",
                ],
                plans=[VISION, OTHER_PLAN],
                note="鳥取県産業振興戦略",
                long_term_goal="平成30年度までに成長分野での新規参入・事業化を累計25件とし、製造品出荷額の増加につなげる。",
                indicators=[
                    ind(
                        "成長分野における新規参入・事業化件数",
                        "成果指標",
                        "件",
                        baseline=12,
                        baseline_as_of="H26",
                        start=12,
                        target=15,
                        actual="１８件",
                        long_term=25,
                        long_term_as_of="H30",
                        plan="その他",
                        reason="新産業創出の成果を直接示す指標",
                    ),
                    ind(
                        "産学金官連携による共同研究の件数",
                        "活動指標",
                        "件",
                        baseline=20,
                        baseline_as_of="H26",
                        start=20,
                        target=24,
                        actual=26,
                        long_term=35,
                        long_term_as_of="H30",
                        plan="その他",
                        reason="研究開発の取組量を示す指標",
                    ),
                    ind(
                        "県内製造品出荷額の対前年伸び率",
                        "成果指標",
                        "%",
                        baseline="▲3",
                        baseline_as_of="H26",
                        start="▲3",
                        target=1.0,
                        actual=1.8,
                        long_term=3.0,
                        long_term_as_of="H30",
                        plan="その他",
                        reason="県内製造業全体の動向を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "成長分野参入支援事業",
                        98500,
                        "■研究開発補助\n医療機器・次世代自動車・航空機分野の研究開発経費を補助（補助率2/3、上限2,000万円）。"
                        "\n■展示会出展支援\n国内外の専門展示会への出展を支援。",
                    ),
                    proj(
                        "2",
                        "産学金官連携推進事業",
                        12300,
                        "産業技術センター・大学・金融機関と連携したマッチング会を年4回開催。",
                    ),
                ],
                progress="◎",
                achievement=9,
                reason="成長分野での事業化が18件と目標を大きく上回り、共同研究も26件と目標を達成した。"
                "製造品出荷額も前年比1.8%増とプラスに転じた。",
                results=[
                    (
                        "医療機器分野への参入支援",
                        "研究開発補助により5社が医療機器製造業の許可を取得し、3製品が上市された。",
                    ),
                ],
                challenges=[
                    (
                        "事業化後の販路開拓",
                        "首都圏の商社・メーカーとのマッチングを強化し、展示会後のフォローアップを行う。",
                    ),
                ],
            ),
            policy(
                "県内企業の海外展開の支援",
                [
                    "・海外での商談件数を120件以上とする",
                    "・県の支援による輸出成約額を4億円以上とする",
                ],
                plans=[VISION],
                indicators=[
                    ind(
                        "海外商談会等での商談件数",
                        "活動指標",
                        "件",
                        baseline=95,
                        baseline_as_of="H26",
                        start=95,
                        target=120,
                        actual=138,
                        long_term=200,
                        long_term_as_of="H30",
                        plan="鳥取県の将来ビジョン",
                        reason="海外展開の取組量を示す指標",
                    ),
                    ind(
                        "県の支援による輸出成約額",
                        "成果指標",
                        "百万円",
                        baseline=320,
                        baseline_as_of="H26",
                        start=320,
                        target=400,
                        actual=372,
                        actual_as_of="H28.3",
                        long_term=600,
                        long_term_as_of="H30",
                        plan="鳥取県の将来ビジョン",
                        reason="海外展開支援の成果を金額で示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "3",
                        "海外販路開拓支援事業",
                        56700,
                        "■海外商談会の開催\n香港・台湾・ロシア沿海地方で商談会を開催（7月・11月・2月）。"
                        "\n■海外展示会出展補助\n出展経費の1/2を補助。",
                    ),
                ],
                progress="◎",
                achievement=9,
                reason="海外商談会を3か国・地域で開催し、商談件数は138件と目標を大きく上回った。",
                results=[
                    (
                        "香港・台湾での商談会",
                        "県内企業延べ42社が参加し、138件の商談を行った。うち食品分野で継続取引が11件成立した。",
                    ),
                ],
                challenges=[
                    (
                        "商談から成約までに時間がかかる",
                        "現地コーディネーターを配置し、商談後のサンプル送付・価格交渉を支援する。",
                    ),
                ],
            ),
            policy(
                "中小企業の経営革新と事業承継の支援",
                [
                    "・経営革新計画の承認を55件以上とする",
                    "・事業承継の相談窓口で80件以上の相談に対応する",
                ],
                indicators=[
                    ind(
                        "経営革新計画の承認件数",
                        "成果指標",
                        "件",
                        baseline=48,
                        baseline_as_of="H26",
                        start=48,
                        target=55,
                        actual=61,
                        long_term=70,
                        long_term_as_of="H29",
                        reason="中小企業の新たな取組の広がりを示す指標",
                    ),
                    ind(
                        "事業承継相談窓口での相談件数",
                        "活動指標",
                        "件",
                        baseline=60,
                        baseline_as_of="H26",
                        start=60,
                        target=80,
                        actual=94,
                        long_term=120,
                        long_term_as_of="H29",
                        reason="事業承継支援の取組量を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "4",
                        "経営革新支援事業",
                        33400,
                        "経営革新計画の策定支援と、承認企業の新商品開発・販路開拓経費の補助（補助率1/2）。",
                    ),
                    proj(
                        "5",
                        "事業承継支援事業",
                        "4,800",
                        "商工会議所に事業承継相談窓口を設置し、専門家派遣を実施（H27.7開設）。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="経営革新計画の承認は61件、事業承継の相談は94件となり、いずれも目標を上回った。",
                results=[
                    (
                        "事業承継相談窓口の開設",
                        "7月に窓口を開設し、94件の相談に対応。うち6件で後継者への承継が実現した。",
                    ),
                ],
                challenges=[
                    (
                        "後継者不在企業の掘り起こし",
                        "金融機関と連携し、後継者不在の企業への早期の働きかけを行う。",
                    ),
                ],
            ),
        ],
    )


def _shugyo() -> dict[str, Any]:
    return division(
        "商工労働部",
        "就業支援課",
        "3102",
        "藤田浩二",
        "０８５７－２６－７２２０",
        "平成27年度",
        [
            "○若者の県内就職と県内企業の人材確保の促進。",
            "○UIJターンによる県外からの人材の呼び込み。",
            "○産業人材の育成に向けた職業能力開発の充実。",
        ],
        [
            policy(
                "若者の県内就職とUIJターンの促進",
                [
                    "・県内大学等卒業者の県内就職率を35%以上とする",
                    "・UIJターンによる就職者数を1,100人以上とする",
                ],
                plans=[VISION],
                long_term_goal="平成31年度までにUIJターンによる就職者数を年間1,500人とする。",
                indicators=[
                    ind(
                        "県内大学等卒業者の県内就職率",
                        "成果指標",
                        "%",
                        baseline=32.5,
                        baseline_as_of="H26",
                        start=32.5,
                        target=35,
                        actual=35.6,
                        long_term=40,
                        long_term_as_of="H31",
                        plan="鳥取県元気づくり総合戦略",
                        reason="若者の県内定着の状況を示す指標",
                    ),
                    ind(
                        "UIJターンによる就職者数",
                        "成果指標",
                        "人",
                        baseline=950,
                        baseline_as_of="H26",
                        start=950,
                        target="1,100",
                        actual="1,200人",
                        long_term="1,500",
                        long_term_as_of="H31",
                        plan="鳥取県元気づくり総合戦略",
                        reason="県外からの人材の呼び込みの成果を示す指標",
                    ),
                    ind(
                        "ふるさと就職フェアの参加企業数",
                        "活動指標",
                        "社",
                        baseline=110,
                        baseline_as_of="H26",
                        start=110,
                        target=120,
                        actual=124,
                        long_term=150,
                        long_term_as_of="H31",
                        reason="県内企業と求職者の出会いの場の規模を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "ふるさと人材還流促進事業",
                        41200,
                        "■ふるさと就職フェア\n東京・大阪・鳥取で開催（5月・8月・3月）。"
                        "\n■ふるさと鳥取県定住機構との連携\n移住定住相談とあわせた職業紹介を実施。",
                    ),
                    proj(
                        "2",
                        "県内就職支援事業",
                        15600,
                        "県内大学・高専と連携したインターンシップの推進と、学生向け企業見学バスツアーの実施。",
                    ),
                ],
                progress="◎",
                achievement="9点",
                reason="UIJターンによる就職者数は1,200人と目標を大きく上回り、県内就職率も35.6%と目標を達成した。",
                results=[
                    (
                        "ふるさと就職フェアの開催",
                        "3会場で124社が参加し、来場者は延べ1,050人。フェアを通じて86人が県内企業に就職した。",
                    ),
                ],
                challenges=[
                    (
                        "県内企業の情報発信力の不足",
                        "企業の魅力を伝える動画の制作を支援し、就職情報サイトで発信する。",
                    ),
                ],
            ),
        ],
    )


def _ritchi() -> dict[str, Any]:
    return division(
        "商工労働部",
        "企業立地課",
        "3103",
        "山口隆",
        "0857-26-7266",
        "H27",
        [
            "○企業誘致と県内企業の設備投資の促進による良質な雇用の創出。",
            "○受け皿となる工業団地・オフィス環境の整備。",
        ],
        [
            policy(
                "企業誘致と県内企業の設備投資促進による雇用の創出",
                [
                    "・企業立地に伴う新規雇用を累計600人以上創出する",
                    "・企業誘致・増設の件数を20件以上とする",
                ],
                plans=[VISION],
                long_term_goal="平成30年度までに企業立地に伴う新規雇用を累計2,000人創出する。",
                indicators=[
                    ind(
                        "企業立地に伴う新規雇用創出数（累計）",
                        "成果指標",
                        "人",
                        baseline=300,
                        baseline_as_of="H26",
                        start=300,
                        target=600,
                        actual="650人",
                        actual_as_of="H28.3",
                        long_term="2,000",
                        long_term_as_of="H30",
                        plan="鳥取県元気づくり総合戦略",
                        reason="企業誘致による雇用創出の成果を示す指標",
                    ),
                    ind(
                        "企業誘致・増設件数",
                        "活動指標",
                        "件",
                        baseline=18,
                        baseline_as_of="H26",
                        start=18,
                        target=20,
                        actual=22,
                        long_term=24,
                        long_term_as_of="H30",
                        plan="鳥取県元気づくり総合戦略",
                        reason="企業誘致活動の成果を件数で示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "企業立地促進補助金",
                        1250000,
                        "県内に立地・増設する企業の設備投資・雇用に対する補助（投資額の10～15%、新規雇用1人当たり50万円）。",
                    ),
                    proj(
                        "2",
                        "企業誘致活動推進事業",
                        9800,
                        "東京・大阪本部と連携した企業訪問（年間延べ600社）と、立地企業向け現地見学会の開催。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="誘致・増設は22件、新規雇用は累計650人となり今年度の目標を上回ったが、"
                "平成30年度の2,000人の達成に向けては今後ペースを上げる必要がある。",
                results=[
                    (
                        "大型案件の誘致",
                        "食品製造業の大型工場の立地が決定し、3年間で200人の新規雇用が見込まれる。",
                    ),
                ],
                challenges=[
                    (
                        "長期目標の達成に必要な雇用創出のペース不足",
                        "雇用効果の大きい案件への重点的な訪問と、人材確保まで一体となった支援を行う。",
                    ),
                ],
            ),
        ],
    )


# --- 農林水産部 -----------------------------------------------------------------


def _nosei() -> dict[str, Any]:
    return division(
        "農林水産部",
        "農政課",
        "4101",
        "田村修",
        "0857-26-7257",
        "2015年度",
        [
            "○意欲ある担い手の確保・育成と農地の集積・集約化。",
            "○新規就農者の確保と定着の支援。",
            "○6次産業化による農業所得の向上。",
        ],
        [
            policy(
                "農地中間管理機構を活用した担い手への農地集積",
                [
                    "・担い手への農地集積率を28%以上とする",
                    "・新規就農者を150人以上確保する",
                ],
                plans=[VISION],
                long_term_goal="令和5年度までに担い手への農地集積率を50%とする。",
                indicators=[
                    ind(
                        "担い手への農地集積率",
                        "成果指標",
                        "%",
                        baseline=22.0,
                        baseline_as_of="H25",
                        start=23.5,
                        start_as_of="H26",
                        target=28,
                        actual=29.4,
                        long_term=50,
                        long_term_as_of="R5",
                        plan="鳥取県農業生産1千億円達成プラン",
                        reason="農業構造の改善の状況を示す指標",
                    ),
                    ind(
                        "新規就農者数",
                        "成果指標",
                        "人",
                        baseline=130,
                        baseline_as_of="H26",
                        start=130,
                        target=150,
                        actual=162,
                        long_term=200,
                        long_term_as_of="H31",
                        plan="鳥取県農業生産1千億円達成プラン",
                        reason="担い手確保の成果を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "農地中間管理事業",
                        "128,600",
                        "■農地の借受け・貸付け\n農地中間管理機構が農地を借り受け、担い手にまとめて貸し付ける。"
                        "\n■機構集積協力金\n地域でまとまって貸し付けた場合に協力金を交付。",
                    ),
                    proj(
                        "2",
                        "就農支援事業",
                        74200,
                        "就農前研修の実施と、就農後5年間の経営安定のための給付金の交付。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="農地中間管理機構の活用が進み、農地集積率は29.4%、新規就農者は162人となり、いずれも目標を上回った。",
                results=[
                    (
                        "地域での話し合いの支援",
                        "人・農地プランの見直しを42地区で支援し、機構を通じて約820haを担い手に集積した。",
                    ),
                ],
                challenges=[
                    (
                        "中山間地域での集積の遅れ",
                        "集落営農の組織化と、基盤整備とあわせた集積を進める。",
                    ),
                ],
            ),
        ],
    )


def _seisan() -> dict[str, Any]:
    return division(
        "農林水産部",
        "生産振興課",
        "4102",
        "森正和",
        "0857-26-7276",
        "H27",
        [
            "○梨・スイカ・白ねぎ等の主要品目の生産振興と産地の維持。",
            "○県産農畜産物のブランド化と国内外への販路拡大。",
        ],
        [
            policy(
                "鳥取二十世紀梨をはじめとする果樹の生産振興と輸出拡大",
                [
                    "・梨の輸出量を300トン以上とする",
                    "・新品種「新甘泉」等の栽培面積を60ha以上とする",
                ],
                plans=[VISION],
                indicators=[
                    ind(
                        "鳥取二十世紀梨の輸出量",
                        "成果指標",
                        "t",
                        baseline=280,
                        baseline_as_of="H26",
                        start=280,
                        target=300,
                        actual=262,
                        actual_as_of="H28.3",
                        long_term=400,
                        long_term_as_of="H30",
                        plan="鳥取県農業生産1千億円達成プラン",
                        reason="海外への販路拡大の成果を示す指標",
                    ),
                    ind(
                        "梨の新品種（新甘泉等）の栽培面積",
                        "活動指標",
                        "ha",
                        baseline=52,
                        baseline_as_of="H26",
                        start=52,
                        target=60,
                        actual=63,
                        long_term=80,
                        long_term_as_of="H30",
                        plan="鳥取県農業生産1千億円達成プラン",
                        reason="産地の若返りと品種構成の転換の状況を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "果樹産地強化事業",
                        36500,
                        "新品種への改植・ジョイント栽培の導入経費の補助（補助率1/2）。",
                    ),
                    proj(
                        "2",
                        "県産農産物輸出促進事業",
                        18900,
                        "■海外でのプロモーション\n台湾・香港・タイの量販店でフェアを開催（9月～10月）。",
                    ),
                ],
                progress="○",
                achievement=6,
                reason="新品種の栽培面積は63haと目標を上回ったが、夏の台風による落果と台湾向けの価格競争により、"
                "梨の輸出量は262トンと目標を下回った。",
                results=[
                    (
                        "新品種への改植の支援",
                        "約11haの改植を支援し、新甘泉の栽培面積は63haとなった。",
                    ),
                ],
                challenges=[
                    (
                        "輸出先国での価格競争",
                        "品質の高さを訴求する販促を強化し、タイ・ベトナム等の新たな輸出先を開拓する。",
                    ),
                ],
            ),
            policy(
                "「鳥取和牛」のブランド化と生産基盤の強化",
                [
                    "・繁殖雌牛の飼養頭数を3,600頭以上とする",
                    "・県内外でのPR・商談会を10回以上開催する",
                ],
                plans=[VISION],
                indicators=[
                    ind(
                        "和牛の繁殖雌牛飼養頭数",
                        "成果指標",
                        "頭",
                        baseline="3,500",
                        baseline_as_of="H26",
                        start="3,500",
                        target="3,600",
                        actual="3,652頭",
                        long_term="4,000",
                        long_term_as_of="H30",
                        plan="鳥取県農業生産1千億円達成プラン",
                        reason="和牛の生産基盤の状況を示す指標",
                    ),
                    ind(
                        "鳥取和牛のPR・商談会の開催回数",
                        "活動指標",
                        "回",
                        baseline=8,
                        start=8,
                        target=10,
                        actual=12,
                        reason="ブランド化に向けた取組量を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "3",
                        "鳥取和牛生産振興事業",
                        52300,
                        "繁殖雌牛の導入・増頭に対する補助と、優良種雄牛の造成。",
                    ),
                ],
                progress="◎",
                achievement=9,
                reason="繁殖雌牛は3,652頭と目標を上回り、PR・商談会も12回開催した。",
                results=[
                    (
                        "首都圏でのPR",
                        "首都圏の飲食店で「鳥取和牛フェア」を開催し、新たに14店舗で取扱いが始まった。",
                    ),
                ],
                challenges=[
                    (
                        "子牛価格の高騰による増頭の負担",
                        "増頭に対する補助の上乗せと、キャトルステーションの整備を検討する。",
                    ),
                ],
            ),
        ],
    )


def _shinrin() -> dict[str, Any]:
    return division(
        "農林水産部",
        "森林づくり推進課",
        "4103",
        "岡田智之",
        "0857-26-7297",
        "H27",
        [
            "○間伐等の森林整備による森林の多面的機能の発揮。",
            "○県産材の生産・利用の拡大による林業の成長産業化。",
            "○林業の担い手の確保・育成。",
        ],
        [
            policy(
                "間伐の推進と県産材の利用拡大",
                [
                    "・間伐を3,000ha以上実施する",
                    "・県産材の素材生産量を22万㎥以上とする",
                ],
                plans=[ENVIRONMENT],
                long_term_goal="平成30年度までに県産材の素材生産量を27万㎥とする。",
                indicators=[
                    ind(
                        "間伐実施面積",
                        "活動指標",
                        "ha",
                        baseline="2,750",
                        baseline_as_of="H26",
                        start="2,750",
                        target="3,000",
                        long_term="3,500",
                        long_term_as_of="H30",
                        plan="とっとり環境イニシアティブプラン",
                        reason="森林整備の取組量を示す指標",
                    ),
                    ind(
                        "県産材の素材生産量",
                        "成果指標",
                        "千m3",
                        baseline=205,
                        baseline_as_of="H26",
                        start=205,
                        target=220,
                        actual=226,
                        long_term=270,
                        long_term_as_of="H30",
                        plan="とっとり環境イニシアティブプラン",
                        reason="林業の成長産業化の成果を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "森林整備事業（間伐）",
                        "864,000千円",
                        "国庫補助・森林環境保全税を活用した間伐への補助。搬出間伐への上乗せ補助を実施。",
                    ),
                    proj(
                        "2",
                        "県産材利用促進事業",
                        46500,
                        "■県産材住宅への助成\n県産材を使用した住宅の新築・リフォームに助成。"
                        "\n■公共建築物の木造化\n市町村の木造公共施設の整備を支援。",
                    ),
                ],
                progress="○",
                achievement=7,
                reason="県産材の素材生産量は22.6万㎥と目標を上回った。間伐実施面積は国庫補助事業の実績確定が"
                "5月となるため集計中であるが、計画どおり進捗している。",
                results=[
                    (
                        "搬出間伐の推進",
                        "高性能林業機械の導入支援により、搬出間伐の割合が前年度の58%から64%に上昇した。",
                    ),
                ],
                challenges=[
                    (
                        "林業就業者の不足",
                        "林業アカデミーの開講準備を進め、就業前研修と就業後の技術研修を体系化する。",
                    ),
                ],
            ),
        ],
    )


def _suisan() -> dict[str, Any]:
    return division(
        "農林水産部",
        "水産課",
        "4104",
        "西村健二",
        "0859-31-9311",
        "H27",
        [
            "○水産資源の適切な管理と栽培漁業の推進。",
            "○新規漁業就業者の確保と育成。",
            "○境港で水揚げされる水産物のブランド化と消費拡大。",
        ],
        [
            policy(
                "新規漁業就業者の確保・育成",
                [
                    "・新規漁業就業者を20人以上確保する",
                    "・漁業就業前研修の受講者を15人以上とする",
                ],
                plans=[VISION],
                long_term_goal="平成30年度までに新規漁業就業者を毎年25人確保し、漁業就業者の減少に歯止めをかける。",
                indicators=[
                    ind(
                        "新規漁業就業者数",
                        "成果指標",
                        "人",
                        baseline=15,
                        baseline_as_of="H26",
                        start=15,
                        target=20,
                        actual=8,
                        long_term=25,
                        long_term_as_of="H30",
                        plan="鳥取県水産振興プラン",
                        reason="漁業の担い手確保の成果を示す指標",
                    ),
                    ind(
                        "漁業就業前研修の受講者数",
                        "活動指標",
                        "人",
                        baseline=10,
                        baseline_as_of="H26",
                        start=10,
                        target=15,
                        actual=9,
                        long_term=20,
                        long_term_as_of="H30",
                        plan="鳥取県水産振興プラン",
                        reason="新規就業につながる研修の取組量を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "漁業就業者確保育成事業",
                        23600,
                        "■漁業就業前研修\n最長2年間の実践研修と研修期間中の生活支援。"
                        "\n■就業フェアへの出展\n東京・大阪の漁業就業支援フェアに出展（7月・1月）。",
                    ),
                ],
                progress="×",
                achievement=3,
                reason="景気回復による他産業への人材流出で研修受講者が9人にとどまり、"
                "新規漁業就業者も8人と目標の20人を大きく下回った。",
                results=[
                    (
                        "漁業就業支援フェアへの出展",
                        "2回出展し、延べ45人と面談したが、研修の受講に結びついたのは4人にとどまった。",
                    ),
                ],
                challenges=[
                    (
                        "研修期間中の収入の不安",
                        "研修期間中の生活支援の上乗せと、漁業者の住宅確保を市町と連携して支援する。",
                    ),
                    (
                        "受入れ漁業者（親方）の不足",
                        "漁協と連携して受入れ漁業者を増やし、受入れ時の指導経費を支援する。",
                    ),
                ],
            ),
        ],
    )


# --- 県土整備部 -----------------------------------------------------------------


def _doro() -> dict[str, Any]:
    return division(
        "県土整備部",
        "道路企画課",
        "5101",
        "橋本茂",
        "0857-26-7287",
        "H27",
        [
            "○山陰道等の高規格道路ネットワークの早期整備。",
            "○通学路等の交通安全対策による安全で安心な道路づくり。",
            "○道路施設の計画的な維持管理と長寿命化。",
        ],
        [
            policy(
                "山陰道・鳥取自動車道等の高規格道路ネットワークの整備促進",
                [
                    "・高規格道路の供用延長を182km以上とする",
                    "・国への整備促進の要望活動を8回以上行う",
                ],
                plans=[VISION],
                indicators=[
                    ind(
                        "高規格道路の供用延長",
                        "成果指標",
                        "km",
                        baseline=178,
                        baseline_as_of="H26",
                        start=178,
                        target=182,
                        actual=182,
                        long_term=190,
                        long_term_as_of="H30",
                        plan="鳥取県の将来ビジョン",
                        reason="高速交通ネットワークの整備状況を示す指標",
                    ),
                    ind(
                        "整備促進に向けた国への要望活動回数",
                        "活動指標",
                        "回",
                        baseline=6,
                        start=6,
                        target=8,
                        actual=9,
                        reason="早期整備に向けた働きかけの取組量を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "高規格道路整備促進事業",
                        "3,580",
                        "国・沿線市町と連携した要望活動、整備効果の広報（通年）。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="山陰道の一部区間が開通し供用延長は182kmと目標どおりとなった。要望活動も9回実施した。",
                results=[
                    (
                        "山陰道の開通",
                        "一部区間（4km）が開通し、沿線の工業団地へのアクセス時間が約10分短縮された。",
                    ),
                ],
                challenges=[
                    (
                        "未事業化区間の早期事業化",
                        "整備効果を定量的に示す資料を作成し、沿線市町と一体となって国に働きかける。",
                    ),
                ],
            ),
            policy(
                "交通安全施設の整備による交通事故の削減",
                [
                    "・交通事故死者数を30人以下とする",
                    "・通学路の歩道を5.0km以上整備する",
                ],
                plans=[VISION, OTHER_PLAN],
                note="鳥取県交通安全計画",
                long_term_goal="平成30年度までに交通事故死者数を25人以下とする。",
                indicators=[
                    ind(
                        "交通事故死者数",
                        "成果指標",
                        "人",
                        direction="減少",
                        baseline=36,
                        baseline_as_of="H26",
                        start=36,
                        target=30,
                        actual=35,
                        actual_as_of="2015年12月",
                        long_term=25,
                        long_term_as_of="H30",
                        plan="その他",
                        reason="交通安全対策の最終的な成果を示す指標",
                    ),
                    ind(
                        "通学路の歩道整備延長",
                        "活動指標",
                        "km",
                        baseline=4.2,
                        baseline_as_of="H26",
                        start=4.2,
                        target=5.0,
                        actual="5.3km",
                        long_term=8.0,
                        long_term_as_of="H30",
                        plan="その他",
                        reason="通学路の安全確保の取組量を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "2",
                        "交通安全施設整備事業",
                        "６２０，０００",
                        "■通学路の歩道整備\n通学路合同点検で対策が必要とされた箇所の歩道整備。"
                        "\n■交差点改良\n事故多発交差点の右折レーン設置等（12箇所）。",
                    ),
                ],
                progress="○",
                achievement=6,
                reason="通学路の歩道整備は5.3kmと目標を上回ったが、交通事故死者数は35人と目標の30人を上回り、"
                "うち高齢者が6割を占めた。",
                results=[
                    (
                        "通学路の安全対策",
                        "合同点検で抽出した112箇所のうち、98箇所の対策を完了した。",
                    ),
                ],
                challenges=[
                    (
                        "高齢者が関係する事故の増加",
                        "警察・市町村と連携し、夜間の視認性向上（反射材の配布、照明の設置）と交差点の改良を進める。",
                    ),
                ],
            ),
        ],
    )


def _kasen() -> dict[str, Any]:
    return division(
        "県土整備部",
        "河川課",
        "5102",
        "林克也",
        "0857-26-7375",
        "平成27年度",
        [
            "○河川改修等のハード対策による水害に強い県土づくり。",
            "○土砂災害警戒区域の指定と防災情報の充実によるソフト対策の推進。",
        ],
        [
            policy(
                "水害・土砂災害に強い県土づくりと防災情報の充実",
                [
                    "・河川改修の整備率を59.0%以上とする",
                    "・土砂災害警戒区域の指定を5,600箇所以上とする",
                ],
                plans=[VISION],
                indicators=[
                    ind(
                        "河川改修の整備率",
                        "成果指標",
                        "%",
                        baseline=58.3,
                        baseline_as_of="H26",
                        start=58.3,
                        target=59.0,
                        actual=59.2,
                        long_term=62.0,
                        long_term_as_of="H31",
                        plan="鳥取県の将来ビジョン",
                        reason="治水対策の進捗を示す指標",
                    ),
                    ind(
                        "水位周知河川の指定数",
                        "活動指標",
                        "河川",
                        baseline=18,
                        baseline_as_of="H26",
                        start=18,
                        target=20,
                        actual=21,
                        long_term=25,
                        long_term_as_of="H30",
                        reason="住民の避難判断を支える情報提供の状況を示す指標",
                    ),
                    ind(
                        "土砂災害警戒区域の指定箇所数",
                        "活動指標",
                        "箇所",
                        baseline="4,850",
                        baseline_as_of="H26",
                        start="4,850",
                        target="5,600",
                        actual="6,012箇所",
                        long_term="7,500",
                        long_term_as_of="H29",
                        reason="土砂災害のソフト対策の進捗を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "河川改修事業",
                        2350000,
                        "天神川水系等の河川改修、堤防の嵩上げ・河道掘削（通年）。",
                    ),
                    proj(
                        "2",
                        "土砂災害警戒区域等指定事業",
                        184000,
                        "基礎調査を実施し、住民説明会を経て警戒区域を指定（H29年度までに全箇所指定）。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="河川改修の整備率は59.2%、土砂災害警戒区域の指定は6,012箇所となり、いずれも目標を上回った。",
                results=[
                    (
                        "土砂災害警戒区域の指定",
                        "住民説明会を延べ86回開催し、1,162箇所を新たに指定した。",
                    ),
                ],
                challenges=[
                    (
                        "住民の避難行動につながる情報提供",
                        "市町村と連携し、ハザードマップを活用した避難訓練の実施を支援する。",
                    ),
                ],
            ),
        ],
    )


# --- 教育委員会 -------------------------------------------------------------------


def _shochu() -> dict[str, Any]:
    return division(
        "教育委員会",
        "小中学校課",
        "6101",
        "石田典子",
        "0857-26-7512",
        "H27",
        [
            "○全ての子どもたちに確かな学力を育む授業改善の推進。",
            "○いじめ・不登校の未然防止と、一人一人に寄り添った支援。",
            "○少人数学級の推進による学びの環境の充実。",
        ],
        [
            policy(
                "学力向上と授業改善の推進",
                [
                    "・全国学力・学習状況調査で全国平均を上回る教科の割合を80%以上とする",
                    "・全ての学校で授業改善の校内研修を実施する",
                ],
                plans=[ACTION_PLAN],
                indicators=[
                    ind(
                        "全国学力・学習状況調査で全国平均を上回った教科の割合",
                        "成果指標",
                        "%",
                        baseline=75,
                        baseline_as_of="H26",
                        start=75,
                        target=80,
                        actual=87.5,
                        long_term=100,
                        long_term_as_of="H31",
                        plan="鳥取県教育振興基本計画",
                        reason="児童生徒の学力の状況を示す指標",
                    ),
                    ind(
                        "授業改善の校内研修を実施した学校の割合",
                        "活動指標",
                        "%",
                        baseline=88,
                        baseline_as_of="H26",
                        start=88,
                        target=95,
                        actual=97.3,
                        long_term=100,
                        long_term_as_of="H31",
                        plan="鳥取県教育振興基本計画",
                        reason="授業改善の取組の広がりを示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "学力向上推進事業",
                        28700,
                        "■学力向上推進校の指定\n県内16校を指定し、授業改善の実践を公開。"
                        "\n■とっとり学力・学習状況調査\n小4～中2で実施し、結果を授業改善に活用。",
                    ),
                ],
                progress="○",
                achievement="８",
                reason="全国平均を上回った教科の割合は87.5%、校内研修の実施率は97.3%となり、いずれも目標を上回った。",
                results=[
                    (
                        "学力向上推進校の公開授業",
                        "16校で公開授業を行い、延べ1,400人の教員が参加した。",
                    ),
                ],
                challenges=[
                    (
                        "中学校数学の活用問題の正答率",
                        "活用問題の授業モデルを作成し、指導主事の学校訪問で普及する。",
                    ),
                ],
            ),
            policy(
                "いじめ・不登校の未然防止と早期対応",
                [
                    "・不登校児童生徒数（千人当たり）を12.0人以下とする",
                    "・スクールカウンセラーを170校以上に配置する",
                ],
                plans=[ACTION_PLAN],
                indicators=[
                    ind(
                        "不登校児童生徒数（千人当たり）",
                        "成果指標",
                        "人",
                        direction="減少",
                        baseline=12.8,
                        baseline_as_of="H26",
                        start=12.8,
                        target=12.0,
                        actual=11.6,
                        long_term=10.0,
                        long_term_as_of="H31",
                        plan="鳥取県教育振興基本計画",
                        reason="不登校対策の成果を示す指標",
                    ),
                    ind(
                        "スクールカウンセラーの配置校数",
                        "活動指標",
                        "校",
                        baseline=150,
                        baseline_as_of="H26",
                        start=150,
                        target=170,
                        actual=175,
                        long_term=200,
                        long_term_as_of="H31",
                        plan="鳥取県教育振興基本計画",
                        reason="相談体制の整備状況を示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "2",
                        "いじめ・不登校総合対策事業",
                        "96,400",
                        "スクールカウンセラー・スクールソーシャルワーカーの配置拡充と、教育支援センターの機能強化。",
                    ),
                ],
                progress="○",
                achievement=8,
                reason="スクールカウンセラーの配置を175校に拡充し、不登校児童生徒数は千人当たり11.6人と目標を下回った。",
                results=[
                    (
                        "スクールカウンセラーの配置拡充",
                        "中学校全校と小学校の約6割に配置し、相談件数は前年度比12%増となった。",
                    ),
                ],
                challenges=[
                    (
                        "小学校段階からの早期対応",
                        "小中連携による情報共有シートを活用し、欠席が続く児童への早期の支援を徹底する。",
                    ),
                ],
            ),
        ],
    )


def _koko() -> dict[str, Any]:
    return division(
        "教育委員会",
        "高等学校課",
        "6102",
        "前田亮",
        "0857-26-7519",
        "2015",
        [
            "○生徒一人一人の進路希望を実現する魅力ある県立高校づくり。",
            "○地域と連携したキャリア教育の充実と県内就職の促進。",
        ],
        [
            policy(
                "キャリア教育の充実と県内就職の促進",
                [
                    "・県立高校卒業者の就職内定率を99.0%以上とする",
                    "・インターンシップに参加する生徒の割合を70%以上とする",
                ],
                plans=[ACTION_PLAN],
                indicators=[
                    ind(
                        "県立高校卒業者の就職内定率",
                        "成果指標",
                        "%",
                        baseline=98.6,
                        baseline_as_of="H26",
                        start=98.6,
                        target=99.0,
                        actual=99.4,
                        actual_as_of="H28.3",
                        long_term=100,
                        long_term_as_of="H30",
                        plan="鳥取県教育振興基本計画",
                        reason="キャリア教育と就職支援の成果を示す指標",
                    ),
                    ind(
                        "インターンシップに参加した生徒の割合（専門学科）",
                        "活動指標",
                        "%",
                        baseline=62,
                        baseline_as_of="H26",
                        start=62,
                        target=70,
                        actual=73.5,
                        long_term=85,
                        long_term_as_of="H30",
                        plan="鳥取県教育振興基本計画",
                        reason="地域と連携したキャリア教育の広がりを示す指標",
                    ),
                ],
                projects=[
                    proj(
                        "1",
                        "キャリア教育推進事業",
                        19200,
                        "■就職支援員の配置\n県立高校12校に就職支援員を配置し、求人開拓と面接指導を実施。"
                        "\n■地域企業との連携\n商工団体と連携したインターンシップ受入れ企業の開拓。",
                    ),
                ],
                progress="◎",
                achievement=10,
                reason="就職内定率は99.4%、インターンシップ参加率は73.5%となり、いずれも目標を上回った。"
                "県内就職者の割合も前年度から3ポイント上昇した。",
                results=[
                    (
                        "就職支援員による求人開拓",
                        "県内企業の求人が前年度比18%増加し、就職希望者のほぼ全員が内定を得た。",
                    ),
                ],
                challenges=[
                    (
                        "就職後の早期離職",
                        "卒業後1年間の定着状況の調査と、企業と連携した職場定着の支援を行う。",
                    ),
                ],
            ),
        ],
    )


# --- the inbox --------------------------------------------------------------


def sample_divisions() -> list[dict[str, Any]]:
    """Every division of the sample inbox as fill_template entries, the seed first."""
    builders = (
        _jinji,
        _zeimu,
        _fukushi,
        _kenko,
        _shogai,
        _choju,
        _sangyo,
        _shugyo,
        _ritchi,
        _nosei,
        _seisan,
        _shinrin,
        _suisan,
        _doro,
        _kasen,
        _shochu,
        _koko,
    )
    return [seed_entries(), *(build() for build in builders)]


def workbook_path(out: Path, entries: dict[str, Any]) -> Path:
    """Where a division's workbook goes: <out>/<部局名>/<所属名>.xlsx."""
    return out / str(entries["department"]) / f"{entries['division']}.xlsx"


def master_rows(divisions: Sequence[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The division master: every generated division plus the ones that submit nothing, by code (seed first)."""
    rows = [(e["division_code"] or "", e["department"], e["division"]) for e in divisions]
    rows.extend(NOT_SUBMITTING)
    return sorted(rows, key=lambda row: (row[0] != "", row[0]))


def _indicator(divisions: Sequence[dict[str, Any]], division: str, name: str) -> dict[str, Any]:
    entries = next(d for d in divisions if d["division"] == division)
    return next(i for p in entries["policies"] for i in p["indicators"] if i["name"] == name)


def _policy_of(divisions: Sequence[dict[str, Any]], division: str, index: int = 0) -> dict[str, Any]:
    return next(d for d in divisions if d["division"] == division)["policies"][index]


# The extra file of the demo that cannot be placed (no 部局名): 不受理, while its division's real file is merged.
DRAFT = ("総務部", "税務課_作業中.xlsx")


def as_people_type(divisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sample as divisions really write it (design §3, issue 12): every class below is read as a careful reader
    would, with a warning to confirm; one wrong value makes its file 受理（要修正）, never drops the division."""
    typed = copy.deepcopy(divisions)
    # units typed with the values while 単位 is blank
    river = _indicator(typed, "河川課", "水位周知河川の指定数")
    river.update(
        unit=None, baseline="18河川", start="18河川", target="20河川", actual="21河川", long_term_target="25河川"
    )
    # a note in brackets beside the value
    _indicator(typed, "長寿社会課", "認知症初期集中支援チームを設置した市町村数").update(actual="9市町村(=9/19市町村)")
    # a budget in 億円 in the 予算額(千円) column: read as 1,250,000 千円
    _policy_of(typed, "企業立地課")["projects"][0]["budget"] = "12億5,000万円"
    # an era-less 時点 (the file's era, with a warning saying which year it was read as)
    _indicator(typed, "小中学校課", "スクールカウンセラーの配置校数").update(baseline_as_of="26年度末")
    # なし: a deliberate blank
    _indicator(typed, "生産振興課", "鳥取和牛のPR・商談会の開催回数").update(
        long_term_target="なし", long_term_as_of="なし"
    )
    # one wrong value: 受理（要修正）, the value shown as typed and marked 入力エラー, never used
    _policy_of(typed, "高等学校課")["achievement"] = 11
    return typed


def write_inbox(out: Path) -> list[Path]:
    """Remove the workbooks this script generates, write them again with the master list; return the paths written."""
    divisions = as_people_type(sample_divisions())
    paths = [workbook_path(out, entries) for entries in divisions]
    draft = out.joinpath(*DRAFT)
    for path in (*paths, draft):
        path.unlink(missing_ok=True)
    for entries, path in zip(divisions, paths, strict=True):
        fill_template(entries, path)
    unplaced = copy.deepcopy(next(d for d in divisions if d["division"] == "税務課"))
    unplaced["department"] = None  # a draft saved before 部局名 was typed: cannot be placed
    fill_template(unplaced, draft)
    paths.append(draft)
    master = out / MASTER_FILE
    with master.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MASTER_COLUMNS)
        writer.writerows(master_rows(divisions))
    return [*paths, master]


# --- summary ----------------------------------------------------------------


def _number(value: Any) -> float | int | None:
    """The number a value cell reads as, else None."""
    parsed = nz.parse_value(None if value is None else str(value))
    return parsed.value if isinstance(parsed, nz.Number) else None


def _year(as_of: str | None) -> int | None:
    parsed = nz.parse_as_of(as_of)
    return parsed.fiscal_year if isinstance(parsed, nz.AsOf) else None


def _behind(direction: str, target: float, actual: float) -> bool:
    return actual > target if direction == "減少" else actual < target


def _expected(row: dict[str, Any], fiscal_year: int) -> float | None:
    """The value expected this year on the line from 基準値 (at its 時点) to 長期的目標値 (design §5)."""
    base, long_term = _number(row.get("baseline")), _number(row.get("long_term_target"))
    yb, yl = _year(row.get("baseline_as_of")), _year(row.get("long_term_as_of"))
    if base is None or long_term is None or yb is None or yl is None or yl <= yb or fiscal_year < yb:
        return None
    return base + (long_term - base) * (min(fiscal_year, yl) - yb) / (yl - yb)


def _indicators(divisions: Sequence[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(部局名 所属名, policy, indicator row) for every indicator."""
    for entries in divisions:
        where = f"{entries['department']} {entries['division']}"
        for p in entries["policies"]:
            for row in p["indicators"]:
                yield where, p, row


def summary(divisions: Sequence[dict[str, Any]], fiscal_year: int = 2015) -> list[str]:
    """Short lines describing what the inbox shows (counts and the notable indicators and policies)."""
    policies = [p for e in divisions for p in e["policies"]]
    lines = [
        f"所属 {len(divisions)}（部局 {len({e['department'] for e in divisions})}）、政策 {len(policies)}、"
        f"指標 {sum(len(p['indicators']) for p in policies)}、事業 {sum(len(p['projects']) for p in policies)}、"
        f"未提出（名簿のみ） {len(NOT_SUBMITTING)}",
    ]
    behind, trajectory, decreasing, not_evaluable, missing = [], [], [], [], []
    for where, _, row in _indicators(divisions):
        direction = row.get("direction") or "増加"
        target, actual = _number(row["target"]), _number(row["actual"])
        label = f"{where} {row['name']}"
        if direction == "減少":
            decreasing.append(label)
        if row["target"] is not None and target is None:
            not_evaluable.append(f"{label}（目標値「{row['target']}」）")
        elif target is not None and actual is None:
            missing.append(label)
        elif target is not None and actual is not None and _behind(direction, target, actual):
            behind.append(f"{label}（目標 {target}、実績 {actual}、{direction}）")
        expected = _expected(row, fiscal_year)
        if expected is not None and actual is not None and _behind(direction, expected, actual):
            trajectory.append(f"{label}（見込み {expected:g}、実績 {actual}）")
    lines.append(f"目標未達 {len(behind)}: " + "、".join(behind))
    lines.append("減少（少ないほど良い）: " + "、".join(decreasing))
    lines.append("判定不可（定性的な目標）: " + "、".join(not_evaluable))
    lines.append("実績未記入: " + "、".join(missing))
    lines.append("長期目標に対する遅れ: " + "、".join(trajectory))
    for mark in ("△", "×"):
        slow = [p["policy_title"] for p in policies if str(p["progress"]).startswith(mark)]
        lines.append(f"進捗評価 {mark}: " + "、".join(slow))
    return lines


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("inbox"),
    show_default=True,
    help="サンプルの受付フォルダ。",
)
def main(out: Path) -> None:
    """サンプルの受付フォルダ（工程表 18 所属と所属名簿）を作り直します。"""
    written = write_inbox(out)
    click.echo(f"{out} に {len(written) - 1} ファイルと {MASTER_FILE} を書き出しました。")
    for line in summary(sample_divisions()):
        click.echo(f"- {line}")


if __name__ == "__main__":
    main()

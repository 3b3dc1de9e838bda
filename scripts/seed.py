"""The seed 工程表 (総務部 情報政策課, FY H27, 最終) as template entries, typed as in the original.

Used by the tests (it must survive template → merge → consolidated workbook) and by
the sample-inbox generator. The original has no 単位/方向 columns: 部会 and システム
are the units its own text uses; 方向 is left blank (増加, the default).
"""

from __future__ import annotations

from typing import Any

from pipeline.contract.layout import RELATED_PLAN_LABELS

MISSIONS = [
    "○情報通信基盤整備とその利活用推進により、県民等の利便性向上と地域や産業を活性化。",
    "○職員が共通で利用する情報システム基盤を安定して提供し、県の業務を効率的に運用。",
    "○県の情報システムのセキュリティ向上と、全体最適化によるコスト縮減。",
    "○税務、財務、給与・勤怠管理の基幹系システム等について、業務改善と業務のあるべき姿を視野に入れた新システムづくり。",
    "○マイナンバー制度の円滑な導入。",
]

POLICY_TITLE = "県市町村情報システム共同化によるコスト削減と業務効率化の推進"
GOALS = [
    "・県及び市町村で構成する「鳥取県自治体ICT共同化推進協議会」を設立する",
    "・システム共同化の取り組みを効果的に進めるための部会を2つ以上設置する",
]
LONG_TERM_GOAL = (
    "県・市町村のシステム共同化に向けた具体的な検討を行う部会の設置数を増やすとともに、"
    "平成29年度までに3件以上のシステム共同化を実現する。"
)
INDICATORS = [
    {
        "name": "システム共同化に向けた具体的な検討を行う部会の設置数",
        "category": "活動指標",
        "unit": "部会",
        "baseline": 0,
        "start": 0,
        "target": 2,
        "actual": 6,
        "long_term_target": 4,
        "selection_reason": "システム共同化に向けた団体間の調整に重要",
    },
    {
        "name": "共同化が実現したシステム数",
        "category": "成果指標",
        "unit": "システム",
        "baseline": 0,
        "start": 0,
        "target": 0,
        "actual": 0,
        "long_term_target": 3,
        "selection_reason": "システム共同化推進の成果指標の一つとして重要",
    },
]
PROJECT_SUMMARY = """■鳥取県自治体ICT推進協議会の設立
県と市町村の新たな連携の取組みとして、人口減少社会への対応を見据え、行政情報システムの共同化、共通化、共同運用の方策等を検討する推進会議を新設。県内自治体におけるICTの有効な活用を推進する。
H27年度 628千円
■市町村への支援策
鳥取県自治体ICT推進協議会における協議結果を具現化するため、県が保有している情報システムを市町村が利用する場合に必要となるカスタマイズ経費や市町村同志の連携による、クラウドを活用したシステム構築に必要となるコンサルタント業務委託経費の一部を支援など、市町村を支援する事業スキームを検討
≪制度要求≫
事業対象:市町村への補助金制度の創設
事業期間:3年間(H27〜H29まで)
※協議により、具体的に取組むシステムが決定した時点で補正予算を要求"""
PROJECTS = [{"number": "1", "name": "行政情報システム共同利用等推進事業", "budget": 628, "summary": PROJECT_SUMMARY}]
EVALUATION_REASON = (
    "5/12に協議会を設立、部会は今年度の目標を大きく上回る6部会を設置し、システムの共同化に向けて県・市町村間で協議を行った。"
    "今年度3システムについて、共同化に向けて具体的な協議を進めてきたが、最終的には2システムについて来年度共同化実現の合意が得られたものの、"
    "1システムについては来年度も継続して共同化に向けて検討することとなった。"
)
RESULTS = [
    {
        "action": "鳥取県自治体ICT共同化推進協議会の設立",
        "outcome": "県及び全市町村参加で構成する協議会を5/12に設立し、ICT分野における県・市町村連携の基盤を構築した。",
    },
    {
        "action": "システム共同化の取り組みを効果的に進めるための部会設置",
        "outcome": "当初目標は2部会以上の設置を目指していたが、7月7日までに6部会設置し、目標数を大きく超える結果となった"
        "(学校業務支援システム部会、電子申請システム部会、行政イントラ部会、図書館システム部会、グループウェア部会、セキュリティソリューション部会)。\n"
        "部会会議の開催や専用電子会議室を活用するなどし、共同化に向け具体的な協議を行った。",
    },
    {
        "action": "システム共同化への検討及び実現",
        "outcome": "6部会の内セキュリティソリューション部会を除く5部会でシステム共同化に向けて検討を行い、"
        "最終的には電子申請システムと行政イントラシステムは来年度共同化することで合意をし、"
        "学校支援業務システムは利用するネットワークのセキュリティ向上を優先して検討すると共に、"
        "システムの共同化については来年度も継続して検討することとなった。"
        "また残る図書館システムとグループウェアについては、参加市町村が限定的なこともあり共同化に向けた具体的な進展は無かった。",
    },
    {
        "action": "協議会事務局負担増に伴う市町村負担",
        "outcome": "来年度2システムを共同化し、学校支援業務システムも共同化について継続して検討すると共に"
        "ネットワークのセキュリティ向上を優先して検討する等事務局の負担が大幅に増大することとなり、"
        "市町村も応分の負担をすることで了解を得た。",
    },
]
CHALLENGES = [
    {
        "challenge": "自治体情報セキュリティクラウド構築・運用における意見集約",
        "next_action": "県が平成28年度内の構築を目指す「鳥取県自治体情報セキュリティクラウド」については、県主導で検討を進めるが、"
        "県内市町村も利用するシステムとなるため、その運用経費については参加市町村へ費用負担を求める必要がある。\n"
        "運用経費は、セキュリティクラウドに実装する機能や対象範囲等の内容に大きく影響されることから、"
        "協議会を通じ市町村と連携しながら検討する必要がある。\n"
        "また、セキュリティクラウドの機能を落とすことなく、運用経費を極力安価にすることを目指し、"
        "情報ハイウェイが相互接続している岡山県との共同構築について岡山県と連携して検討するほか、"
        "参加団体間の費用負担割合等についても今後調整を行う必要がある。",
    },
    {
        "challenge": "システム共同化への参加に向けた調整",
        "next_action": "多くの団体でシステムを共同調達及び運用することにより大きなコスト削減が期待できることから、"
        "市町村と連携し、システム共同化参加に向けた調整(各団体の負担割合含む)に取り組む。特に学校支援業務システムはその効果が大きい。",
    },
]


def seed_entries() -> dict[str, Any]:
    """The seed division as fill_template entries (clean values, as a careful division types them)."""
    return {
        "fiscal_year": "H27",
        "stage": "最終",
        "department": "総務部",
        "division": "情報政策課",
        "division_code": None,
        "head": "田中健一",
        "phone": "0857-26-7642",
        "missions": list(MISSIONS),
        "policies": [
            {
                "policy_title": POLICY_TITLE,
                "goals": list(GOALS),
                "related_plans": {},
                "related_plans_note": None,
                "long_term_goal": LONG_TERM_GOAL,
                "indicators": [dict(i) for i in INDICATORS],
                "projects": [dict(p) for p in PROJECTS],
                "progress": "◎（予定以上）",
                "achievement": 9,
                "evaluation_reason": EVALUATION_REASON,
                "results": [dict(r) for r in RESULTS],
                "challenges": [dict(c) for c in CHALLENGES],
            }
        ],
    }


def seed_entries_as_typed() -> dict[str, Any]:
    """The same content as divisions really type it: 全角 digits, units in values, 和暦, 〇, stray spaces."""
    entries = seed_entries()
    entries["fiscal_year"] = "平成２７年度"
    entries["stage"] = " 最終 "
    entries["department"] = "総務部　"
    entries["head"] = "　田中健一"
    entries["phone"] = "０８５７－２６－７６４２"
    policy = entries["policies"][0]
    policy["progress"] = "◎(予定以上)"
    policy["achievement"] = "９"
    first, second = policy["indicators"]
    first.update(baseline="０", start="0部会", target="２部会", actual="６部会", long_term_target="４")
    second.update(baseline="0", start="０", target="0システム", actual="０", long_term_target="３システム")
    policy["projects"][0].update(number="１", budget="６２８千円")
    return entries


def seed_record() -> dict[str, Any]:
    """The normalised record the seed must read back to (the schema's shape)."""

    def indicator(src: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": src["name"],
            "category": src["category"],
            "unit": src["unit"],
            "direction": "増加",
            "baseline": src["baseline"],
            "baseline_note": None,
            "baseline_as_of": None,
            "start": src["start"],
            "start_note": None,
            "start_as_of": None,
            "target": src["target"],
            "target_note": None,
            "target_as_of": None,
            "actual": src["actual"],
            "actual_note": None,
            "actual_as_of": None,
            "long_term_target": src["long_term_target"],
            "long_term_target_note": None,
            "long_term_as_of": None,
            "plan": None,
            "other_plan_name": None,
            "selection_reason": src["selection_reason"],
        }

    return {
        "template_version": 1,
        "fiscal_year": 2015,
        "stage": "最終",
        "department": "総務部",
        "division": "情報政策課",
        "division_code": None,
        "head": "田中健一",
        "phone": "0857-26-7642",
        "missions": list(MISSIONS),
        "policies": [
            {
                "sheet": "政策1",
                "policy_title": POLICY_TITLE,
                "goals": list(GOALS),
                "related_plans": [{"label": label, "marked": False} for label in RELATED_PLAN_LABELS],
                "related_plans_note": None,
                "long_term_goal": LONG_TERM_GOAL,
                "indicators": [indicator(i) for i in INDICATORS],
                "projects": [{**p, "budget_note": None} for p in PROJECTS],
                "progress": "◎",
                "achievement": 9,
                "evaluation_reason": EVALUATION_REASON,
                "results": [dict(r) for r in RESULTS],
                "challenges": [dict(c) for c in CHALLENGES],
            }
        ],
    }

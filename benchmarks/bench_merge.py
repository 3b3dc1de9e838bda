"""Benchmark `pipeline merge` against what reading and writing the same data costs at least, and a naive script.

Run: `.venv/bin/python benchmarks/bench_merge.py --n 1000 [--runs 3] [--skip-naive] [--json-only]`.

The corpus is N distinct 工程表 (FY2015 最終, all valid, a few indicators behind target).
A few dozen base workbooks are filled through the template's defined names with
`fill_template`, every value written as a numbered token; each submission is then
derived from a base by replacing the tokens inside the worksheet XML with its own
values (strings stay inline strings, numbers become numeric cells) and zipping the
parts again, milliseconds per file. The corpus is cached under
`<corpus-dir>/v<TEMPLATE_VERSION>-n<N>/` and reused once its marker file exists.

One run measures, on the same files, the median of `--runs` runs of: the merge end to
end as a subprocess (with the peak RSS of its processes), fastexcel reading every sheet
of every file (read floor), xlsxwriter writing the cells of the consolidated.xlsx that
the merge produced (write floor), and a straightforward openpyxl script (naive). It
prints a table, then one JSON line.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any
from xml.sax.saxutils import escape

import click

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.contract import layout  # noqa: E402

DEFAULT_CORPUS = ROOT / "benchmarks" / ".corpus"
# Bump when the generated content changes, so that cached corpora are made again.
GENERATOR_VERSION = 2
BASES_VERSION = 1  # the base workbooks (their blueprints), cached apart from the corpora
SEED = 2015
MAX_BASES = 24
NAIVE_SAMPLE_MAX = 200  # openpyxl takes ~0.3 s a file: the naive script is timed on a sample and scaled
VALIDATE_SAMPLE = 40
MARKER = "complete.json"
INBOX = "inbox"
LAST_OUTBOX = "last-outbox"
JSON_KEYS = (
    "n",
    "merge_s",
    "read_floor_s",
    "write_floor_s",
    "naive_s",
    "ratio_to_floor",
    "speedup_vs_naive",
    "peak_rss_mb",
    "feedback_copies",
    "copy_ms",
    "rerun_nothing_s",
    "rerun_one_s",
    "nothing_to_cold",
    "one_to_write_floor",
)

# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Department:
    """A department's divisions and the policy topics its divisions write about."""

    divisions: tuple[str, ...]
    topics: tuple[str, ...]

    @classmethod
    def of(cls, divisions: str, topics: str) -> Department:
        """A department from space-separated division names and topics."""
        return cls(words(divisions), words(topics))


def words(text: str) -> tuple[str, ...]:
    """The space-separated words of a vocabulary line (kept on one line: the names are short)."""
    return tuple(text.split())


DEPARTMENTS: dict[str, Department] = {
    "総務部": Department.of(
        "人事企画課 行財政改革課 情報政策課 税務課 財政課 法務課 職員課",
        "行政事務のデジタル化 職員の働き方改革 県税の収納対策 電子申請の普及 情報セキュリティ対策 公文書管理",
    ),
    "元気づくり総本部": Department.of(
        "総合政策課 統計課 広報連携課 人口減少社会対策課 とっとり暮らし支援課",
        "総合戦略の推進 統計データの利活用 人口減少対策 県外への情報発信 移住定住の促進 関係人口の創出",
    ),
    "地域振興部": Department.of(
        "地域づくり推進課 文化政策課 交通政策課 中山間地域振興課 スポーツ振興課 国際交流課",
        "中山間地域の生活交通 文化芸術活動 地域公共交通の確保 スポーツ大会の誘致 国際交流 集落の維持",
    ),
    "福祉保健部": Department.of(
        "福祉保健課 健康政策課 長寿社会課 障がい福祉課 子育て支援課 医療政策課 医療指導課",
        "特定健康診査の受診促進 認知症の早期発見 地域見守り活動 障がい者の就労支援 子育て家庭への支援 医療人材の確保 介護予防 自殺対策",
    ),
    "生活環境部": Department.of(
        "環境立県推進課 循環型社会推進課 水環境保全課 緑豊かな自然課 くらしの安心推進課",
        "再生可能エネルギーの導入 一般廃棄物の減量化 湖沼の水質保全 自然公園の利用促進 消費者被害の防止 地球温暖化対策",
    ),
    "商工労働部": Department.of(
        "産業振興課 企業立地課 就業支援課 通商物流課 観光戦略課 雇用人材課",
        "県内企業の海外展開 企業誘致 若者の県内就職 国際物流の拡大 創業支援 観光客の誘致 県産品の販路開拓",
    ),
    "農林水産部": Department.of(
        "農政課 生産振興課 森林づくり推進課 水産課 畜産課 農地・水保全課 食のみやこ推進課",
        "新規就農者の確保 鳥取二十世紀梨の生産振興 間伐の推進 県産材の利用拡大 漁業就業者の確保 和牛の生産振興 農地の集積",
    ),
    "県土整備部": Department.of(
        "道路企画課 河川課 治山砂防課 住まいまちづくり課 技術企画課 空港港湾課",
        "幹線道路の整備 河川改修 土砂災害対策 住宅の耐震化 公共工事の品質確保 港湾の利用促進 交通安全施設の整備",
    ),
    "危機管理局": Department.of(
        "危機管理政策課 消防防災課 原子力安全対策課",
        "自主防災組織の育成 防災訓練の充実 消防団員の確保 原子力防災 災害時の情報伝達",
    ),
    "教育委員会": Department.of(
        "小中学校課 高等学校課 特別支援教育課 社会教育課 人権教育課 体育保健課 教育環境課",
        "学力向上 いじめ・不登校対策 キャリア教育の充実 特別支援教育の充実 読書活動の推進 学校施設の耐震化 体力向上",
    ),
}
# Prefixes that make more division names once every plain name is taken (local offices).
REGIONS = ("", *words("東部 中部 西部 日野 八頭 倉吉 米子 境港 岩美 智頭 琴浦 大山"))
FAMILY_NAMES = words(
    "田中 山本 佐藤 鈴木 高橋 伊藤 渡辺 中村 小林 加藤 吉田 山田 松本 井上 木村 林 清水 山崎 森 池田 橋本 石田 前田 藤田 岡田 足立 福田 米村 入江 竹内"
)
GIVEN_NAMES = words("健一 明彦 直子 亮 典子 浩二 美穂 誠 裕子 隆 恵子 大輔 由美 修 真理子 和也 智子 正樹 陽子 哲也")
ACTORS = words("市町村 関係団体 民間事業者 県内の大学 NPO法人 地域住民 県内企業 商工団体 国の出先機関")
ACTION_NOUNS = words("説明会 研修会 出前講座 個別相談会 現地調査 意見交換会 セミナー 実証実験")
ASPECTS = words("普及啓発 推進体制の整備 人材育成 情報発信 効果検証 関係機関との連携 財源の確保")
AREAS = words("東部地区 中部地区 西部地区 中山間地域 山間部 沿岸部 市街地")
PROJECT_SUFFIXES = words("推進事業 支援事業 対策事業 促進事業 基盤整備事業 総合対策事業 強化事業 モデル事業")
PLANS = words(
    "鳥取県元気づくり総合戦略 鳥取県の将来ビジョン 鳥取県教育振興基本計画 とっとり環境イニシアティブプラン 鳥取県地域防災計画"
)
MISSION_ENDS = words("県民の安全・安心を確保 地域の活性化を推進 県民サービスの向上を実現 持続可能な地域づくりを推進")
SENTENCES = (
    "{topic}について、{actor}と連携して{noun}を{n}回開催した。",
    "{month}月までに{actor}と協議を重ね、{topic}の具体的な方策を取りまとめた。",
    "{topic}に関する{noun}を実施し、延べ{people}人が参加した。",
    "前年度に比べて{pct}ポイント改善したが、{area}では依然として課題が残っている。",
    "今後は{actor}との役割分担を明確にし、{topic}の取組を一層推進する。",
    "特に{area}においては取組が十分に浸透していないことから、重点的な支援が必要である。",
    "H27年度予算{budget}千円を活用し、{area}で{noun}を実施した。",
    "{month}/{day}に{noun}を開催し、{actor}から{n}件の意見が寄せられた。",
    "{topic}の{aspect}については、当初の想定を上回る成果が得られた。",
    "引き続き{actor}と連携しながら、{aspect}に取り組む。",
    "{aspect}の遅れが見られたため、下半期に{noun}を追加で実施した。",
    "{actor}へのアンケートでは、約{pct}割が取組を評価すると回答した。",
)


@dataclass(frozen=True)
class Measure:
    """What an indicator counts: name suffix, unit, category, direction, plausible range, decimals and a cap."""

    suffix: str
    unit: str
    category: str
    direction: str
    low: float
    high: float
    decimals: int = 0
    cap: float | None = None


INCREASING = (
    Measure("の参加者数", "人", "活動指標", "増加", 100, 20000),
    Measure("に関する相談件数", "件", "活動指標", "増加", 50, 3000),
    Measure("の実施率", "%", "成果指標", "増加", 30, 90, 1, 100),
    Measure("の実施市町村数", "市町村", "活動指標", "増加", 3, 14, 0, 19),
    Measure("の研修開催回数", "回", "活動指標", "増加", 5, 120),
    Measure("の支援件数", "件", "活動指標", "増加", 20, 800),
    Measure("の満足度", "%", "成果指標", "増加", 50, 85, 1, 100),
    Measure("の整備延長", "km", "活動指標", "増加", 1, 80, 1),
    Measure("の認定事業者数", "事業者", "成果指標", "増加", 10, 400),
    Measure("による販売額", "百万円", "成果指標", "増加", 100, 20000),
    Measure("の利用者数（累計）", "人", "成果指標", "増加", 1000, 90000),
    Measure("の取組団体数", "団体", "活動指標", "増加", 10, 300),
    Measure("の整備箇所数", "箇所", "活動指標", "増加", 5, 400),
)
DECREASING = (
    Measure("の待機者数", "人", "成果指標", "減少", 50, 900),
    Measure("に係る発生件数", "件", "成果指標", "減少", 10, 600),
    Measure("の未処理件数", "件", "成果指標", "減少", 5, 300),
    Measure("の平均処理日数", "日", "成果指標", "減少", 5, 60, 1),
)
FULL_WIDTH = str.maketrans("0123456789.,%H", "０１２３４５６７８９．，％Ｈ")

# ---------------------------------------------------------------- text


def _sentence(rng: Random, topic: str) -> str:
    return rng.choice(SENTENCES).format(
        topic=topic,
        actor=rng.choice(ACTORS),
        noun=rng.choice(ACTION_NOUNS),
        aspect=rng.choice(ASPECTS),
        area=rng.choice(AREAS),
        n=rng.randint(2, 30),
        people=f"{rng.randint(30, 4000):,}",
        pct=rng.randint(1, 9),
        month=rng.randint(4, 12),
        day=rng.randint(1, 28),
        budget=f"{rng.randint(300, 90000):,}",
    )


def prose(rng: Random, topic: str, low: int, high: int) -> str:
    """Sentences about a topic, between about `low` and `high` characters long."""
    target = rng.randint(low, high)
    text = ""
    while len(text) < target:
        sentence = _sentence(rng, topic)
        if len(text) + len(sentence) > high and len(text) >= low:
            break
        text += sentence
    if len(text) > high:
        text = text[:high].rsplit("。", 1)[0] + "。" if "。" in text[:high] else text[:high]
    return text


def summary(rng: Random, topic: str, name: str) -> str:
    """A project's 事業概要・スケジュール: one or two headed paragraphs and a schedule line, 50–300 characters."""
    parts = [f"■{name}の実施\n{prose(rng, topic, 30, 110)}"]
    if rng.random() < 0.5:
        parts.append(f"■{rng.choice(ACTION_NOUNS)}の開催\n{prose(rng, topic, 30, 90)}")
    parts.append(f"事業期間: H{rng.randint(25, 27)}〜H{rng.randint(28, 31)}年度")
    return "\n".join(parts)[:300]


# ---------------------------------------------------------------- submissions


@dataclass(frozen=True)
class Identity:
    """Who submits: department, division, code and contact."""

    department: str
    division: str
    code: str
    head: str
    phone: str


def identities(n: int) -> list[Identity]:
    """N distinct divisions spread over the departments: plain names first, then local offices, then numbered."""
    rng = Random(f"{SEED}-names")
    departments = list(DEPARTMENTS)
    widest = max(len(d.divisions) for d in DEPARTMENTS.values())

    def names() -> Iterator[tuple[str, str]]:
        for round_ in itertools.count():
            for region in REGIONS:
                for i in range(widest):
                    for department in departments:
                        stems = DEPARTMENTS[department].divisions
                        if i < len(stems):
                            yield department, f"{region}{stems[i]}" + (f"（{round_ + 1}）" if round_ else "")

    out = []
    for i, (department, division) in enumerate(itertools.islice(names(), n)):
        phone = f"{rng.choice(('0857', '0858', '0859'))}-{rng.randint(20, 39)}-{rng.randint(1000, 9999)}"
        out.append(
            Identity(
                department,
                division,
                f"{departments.index(department) + 1:02d}{i:05d}",
                rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES),
                phone.translate(FULL_WIDTH).replace("-", "－") if rng.random() < 0.1 else phone,
            )
        )
    return out


def blueprint(index: int) -> dict[str, Any]:
    """The structure of base workbook `index`: policies and their row counts, and which optional cells are filled."""
    rng = Random(f"{SEED}-base-{index}")
    policies = []
    for _ in range((1, 1, 1, 2, 2, 3)[index % 6]):
        indicators = [
            {
                "direction": rng.choice(("blank", "blank", "increase", "decrease")),
                "as_of": {
                    key: rng.random() < chance
                    for key, chance in (
                        ("baseline_as_of", 0.8),
                        ("start_as_of", 0.4),
                        ("target_as_of", 0.2),
                        ("actual_as_of", 0.4),
                        ("long_term_as_of", 0.85),
                    )
                },
                "plan": rng.random() < 0.5,
            }
            for _ in range(rng.randint(1, 5))
        ]
        plans = sorted(rng.sample(layout.RELATED_PLAN_LABELS[:3], rng.randint(0, 2)))
        policies.append(
            {
                "goals": rng.randint(1, 3),
                "plans": [*plans, *([layout.RELATED_PLAN_LABELS[3]] if rng.random() < 0.15 else [])],
                "long_term_goal": rng.random() < 0.6,
                "indicators": indicators,
                "projects": rng.randint(1, 5),
                "results": rng.randint(1, 4),
                "challenges": rng.randint(1, 4),
            }
        )
    return {"missions": rng.randint(2, 5), "policies": policies}


def _rounded(value: float, measure: Measure) -> int | float:
    value = max(0.0, min(value, measure.cap) if measure.cap is not None else value)
    return round(value, measure.decimals) if measure.decimals else round(value)


def _indicator_numbers(rng: Random, measure: Measure, behind: bool) -> dict[str, int | float]:
    """Baseline, start, target, actual and long-term target, consistent with the direction; behind when asked."""
    u = rng.uniform
    base = u(measure.low, measure.high)
    if measure.direction == "減少":
        start = base * u(0.95, 1.0)
        target = start * u(0.85, 0.97)
        actual = target * (u(1.05, 1.3) if behind else u(0.8, 1.0))
        long_term = target * u(0.5, 0.9)
    else:
        start = base * u(1.0, 1.08)
        target = start * u(1.05, 1.2)
        actual = target * (u(0.7, 0.95) if behind else u(1.0, 1.2))
        long_term = target * u(1.1, 1.6)
    numbers = {
        "baseline": _rounded(base, measure),
        "start": _rounded(start, measure),
        "target": _rounded(target, measure),
        "actual": _rounded(actual, measure),
        "long_term_target": _rounded(long_term, measure),
    }
    if behind and not _is_behind(measure.direction, numbers["target"], numbers["actual"]):
        numbers["actual"] = numbers["target"] + (1 if measure.direction == "減少" else -1)
    return numbers


def _is_behind(direction: str, target: float, actual: float) -> bool:
    return actual > target if direction == "減少" else actual < target


def _as_typed(rng: Random, number: int | float, unit: str) -> int | float | str:
    """A value as divisions type it: mostly a number, else text with a unit, 全角 digits or a thousands separator."""
    text = f"{number:,}" if rng.random() < 0.5 else str(number)
    roll = rng.random()
    if roll < 0.62:
        return number
    if roll < 0.74:
        return text
    if roll < 0.86:
        return f"{number}".translate(FULL_WIDTH) + unit  # '６件', '６５．３％'
    return f"{text}{unit}"  # '1,200人'


def _as_of(rng: Random, key: str, long_term_year: int) -> str:
    era = long_term_year - 1988
    forms = {
        "baseline_as_of": ("H26", "平成26年度", "H26.3", "2014年度", "Ｈ２６"),
        "start_as_of": ("H27.4", "H27", "平成27年4月"),
        "target_as_of": ("H27", "H28.3"),
        "actual_as_of": ("H28.3", "H27", "平成28年3月"),
        "long_term_as_of": (f"H{era}", f"平成{era}年度", f"{long_term_year}年度")
        if long_term_year < 2019
        else ("H31", "R1" if long_term_year == 2019 else "R2", f"{long_term_year}年度"),
    }
    return rng.choice(forms[key])


def _indicators(rng: Random, spec: list[dict[str, Any]], topics: Sequence[str]) -> tuple[list[dict[str, Any]], int]:
    """The rows of one 測定指標 table and how many are behind target."""
    rows, names, behind_count = [], set(), 0
    for shape in spec:
        pool = DECREASING if shape["direction"] == "decrease" else INCREASING
        topic, measure = rng.choice(topics), rng.choice(pool)
        while f"{topic}{measure.suffix}" in names:
            topic, measure = rng.choice(topics), rng.choice(pool)
        name = f"{topic}{measure.suffix}"
        names.add(name)
        behind = rng.random() < 0.08
        behind_count += behind
        numbers = _indicator_numbers(rng, measure, behind)
        long_term_year = rng.randint(2016, 2020)
        row: dict[str, Any] = {
            "name": name,
            "category": measure.category,
            "unit": measure.unit,
            "direction": None if shape["direction"] == "blank" else measure.direction,
        }
        for key in ("baseline", "start", "target", "actual", "long_term_target"):
            row[key] = _as_typed(rng, numbers[key], measure.unit)
            as_of = "long_term_as_of" if key == "long_term_target" else f"{key}_as_of"
            row[as_of] = _as_of(rng, as_of, long_term_year) if shape["as_of"][as_of] else None
        row["plan"] = rng.choice(PLANS) if shape["plan"] else None
        row["selection_reason"] = f"{topic}の{rng.choice(ASPECTS)}の状況を示す指標として重要" + (
            f"であり、{rng.choice(ACTORS)}との協議でも用いている" if rng.random() < 0.5 else ""
        )
        rows.append(row)
    return rows, behind_count


def _policy(rng: Random, spec: dict[str, Any], topic: str, topics: Sequence[str]) -> dict[str, Any]:
    indicators, behind = _indicators(rng, spec["indicators"], [topic, *topics])
    first = indicators[0]
    goals = [f"・{first['name']}を{_number(first['target']):g}{first['unit']}とする"]
    goals += [
        f"・{rng.choice(topics)}に向け、{rng.choice(ACTORS)}と連携した{rng.choice(ACTION_NOUNS)}を{n}回以上実施する"
        for n in rng.sample(range(2, 30), spec["goals"] - 1)
    ]
    if behind:
        progress, achievement = rng.choice(("△", "○", "×")), rng.randint(4, 7)
    else:
        progress, achievement = rng.choice(("◎", "○", "○")), rng.randint(7, 10)
    if progress == "◎" and achievement < 8:
        achievement = 8
    typed_progress = rng.choices(
        (dict(zip(layout.PROGRESS_MARKS, layout.PROGRESS_CHOICES, strict=True))[progress], progress, f"{progress}("),
        (0.7, 0.15, 0.15),
    )[0]
    if typed_progress.endswith("("):
        typed_progress += dict(layout.PROGRESS)[progress] + ")"  # '◎(予定以上)' with half-width brackets
    projects = []
    for number in range(1, spec["projects"] + 1):
        name = f"{rng.choice(('', '', 'とっとり'))}{rng.choice([topic, *topics])}{rng.choice(PROJECT_SUFFIXES)}"
        budget = round(math.exp(rng.uniform(math.log(300), math.log(2_500_000))))
        roll = rng.random()
        typed_budget: int | str = (
            budget if roll < 0.7 else f"{budget:,}" if roll < 0.85 else f"{budget}".translate(FULL_WIDTH) + "千円"
        )
        projects.append(
            {
                "number": str(number) if rng.random() < 0.85 else str(number).translate(FULL_WIDTH),
                "name": name,
                "budget": typed_budget,
                "summary": summary(rng, topic, name),
            }
        )
    return {
        "policy_title": f"{topic}による{rng.choice(MISSION_ENDS)}",
        "goals": goals,
        "related_plans": dict.fromkeys(spec["plans"], rng.choice(("○", "○", "〇", "●"))),
        "related_plans_note": rng.choice(PLANS) if layout.RELATED_PLAN_LABELS[3] in spec["plans"] else None,
        "long_term_goal": prose(rng, topic, 40, 100) if spec["long_term_goal"] else None,
        "indicators": indicators,
        "projects": projects,
        "progress": typed_progress,
        "achievement": achievement if rng.random() < 0.8 else str(achievement).translate(FULL_WIDTH),
        "evaluation_reason": prose(rng, topic, 50, 300),
        "results": [
            {"action": f"{rng.choice(topics)}の{rng.choice(ACTION_NOUNS)}", "outcome": prose(rng, topic, 50, 200)}
            for _ in range(spec["results"])
        ],
        "challenges": [
            {
                "challenge": f"{rng.choice(topics)}における{rng.choice(ASPECTS)}",
                "next_action": prose(rng, topic, 50, 200),
            }
            for _ in range(spec["challenges"])
        ],
    }


def division_entries(spec: dict[str, Any], who: Identity, rng: Random) -> dict[str, Any]:
    """fill_template entries of one division at FY2015 最終, shaped by a base's blueprint."""
    topics = DEPARTMENTS[who.department].topics
    chosen = rng.sample(topics, len(spec["policies"]))
    year = rng.choices(("H27", "平成27年度", "平成２７年度", 2015, "2015年度", "Ｈ２７"), (30, 25, 10, 20, 10, 5))[0]
    return {
        "fiscal_year": year,
        "stage": rng.choice(("最終", "最終", "最終", "最終（年度末）")),
        "department": who.department,
        "division": who.division,
        "division_code": who.code,
        "head": who.head,
        "phone": who.phone,
        "missions": [
            f"○{rng.choice(topics)}の{rng.choice(ASPECTS)}により、{rng.choice(MISSION_ENDS)}。"
            for _ in range(spec["missions"])
        ],
        "policies": [_policy(rng, p, topic, topics) for p, topic in zip(spec["policies"], chosen, strict=True)],
    }


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every filled scalar of nested entries with its path, in a fixed order (blanks are not leaves)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, (*path, i))
    elif value is not None:
        yield path, value


def tokenised(value: Any, counter: Iterator[int]) -> Any:
    """The same entries with every filled scalar replaced by its token ``@@k@@``, k in `leaves` order."""
    if isinstance(value, dict):
        return {key: tokenised(item, counter) for key, item in value.items()}
    if isinstance(value, list):
        return [tokenised(item, counter) for item in value]
    return None if value is None else f"@@{next(counter)}@@"


# ---------------------------------------------------------------- bases and derived files

# openpyxl writes every string as an inline string: r="…" s="…" t="inlineStr"><is><t>…</t></is></c>.
_TOKEN_CELL = re.compile(rb't="inlineStr"><is><t>@@(\d+)@@</t></is></c>')
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


@dataclass(frozen=True)
class Base:
    """A filled base workbook: its zip parts in order, and the leaf paths its tokens stand for."""

    spec: dict[str, Any]
    parts: list[tuple[zipfile.ZipInfo, bytes]]
    paths: list[list[Any]]


def ensure_bases(folder: Path, count: int, log: Callable[[str], None]) -> list[Base]:
    """Load the first `count` base workbooks, filling the missing ones through the template's names."""
    from pipeline.contract.fill import fill_template
    from pipeline.contract.template import write_template

    folder.mkdir(parents=True, exist_ok=True)
    template: Path | None = None
    bases = []
    for index in range(count):
        book, manifest = folder / f"base-{index:02d}.xlsx", folder / f"base-{index:02d}.json"
        spec = blueprint(index)
        who = Identity("総務部", "情報政策課", "0000000", "田中健一", "0857-26-7642")
        entries = division_entries(spec, who, Random(index))
        wanted = {"spec": spec, "paths": [list(path) for path, _ in leaves(entries)]}
        if not manifest.exists() or json.loads(manifest.read_text(encoding="utf-8")) != wanted:
            if template is None:
                template = write_template(folder / "template.xlsx")
            started = time.perf_counter()
            fill_template(tokenised(entries, itertools.count()), book, template=template)
            manifest.write_text(json.dumps(wanted, ensure_ascii=False), encoding="utf-8")  # last: marks it complete
            log(f"  base {index:2d}: {len(spec['policies'])} policies, {time.perf_counter() - started:.2f} s")
        with zipfile.ZipFile(book) as archive:
            parts = [(info, archive.read(info)) for info in archive.infolist()]
        bases.append(Base(spec, parts, wanted["paths"]))
    return bases


# A leaf that the week leaves blank (a unit forgotten): the token's cell loses its value, keeping its style.
BLANK = "\x00blank"


def _cell_xml(value: Any) -> bytes:
    if value == BLANK:
        return b"></c>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return b't="n"><v>' + repr(value).encode() + b"</v></c>"
    text = escape(str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f't="inlineStr"><is><t{space}>{text}</t></is></c>'.encode()


def derive(base: Base, entries: dict[str, Any], target: Path, saved_at: str) -> None:
    """Write a submission: the base's parts with every token replaced by this division's value."""
    found = list(leaves(entries))
    if [list(path) for path, _ in found] != base.paths:
        raise RuntimeError(f"{target.name}: entries do not match the base's structure")
    values = [value for _, value in found]
    replaced = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in base.parts:
            if info.filename.startswith("xl/worksheets/"):
                data, count = _TOKEN_CELL.subn(lambda m: _cell_xml(values[int(m[1])]), data)
                replaced += count
            elif info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + saved_at.encode() + rb"\g<2>", data)
            part = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(part, data)
    if replaced != len(values):
        raise RuntimeError(f"{target.name}: replaced {replaced} of {len(values)} tokens")


# ---------------------------------------------------------------- a week as it is

# Of every 100 files: 2 broken (a truncated zip, 不受理), 5 with a value error (達成度 11: merged, 受理（要修正）),
# 30 more with warnings (a unit typed with the value while 単位 is blank, 約6, a note in brackets, an era-less 時点).
BROKEN = frozenset({17, 67})
ERRORS = frozenset({3, 23, 43, 63, 83})
WARNINGS = frozenset(range(0, 100, 10)) | frozenset(range(5, 100, 10)) | frozenset(range(8, 100, 10))
WARNING_KINDS = ("unit-inferred", "approximate-value", "value-note", "era-inferred")


def fate_of(i: int, clean: bool) -> str:
    """What file `i` of a week is meant to be: "broken", "error", "warning" or "valid" (always valid when clean)."""
    if clean:
        return "valid"
    slot = i % 100
    return "broken" if slot in BROKEN else "error" if slot in ERRORS else "warning" if slot in WARNINGS else "valid"


def as_week(entries: dict[str, Any], fate: str, rng: Random) -> None:
    """Change the entries in place as a division of that fate types them (same leaves: tokens stay aligned)."""
    policy = entries["policies"][0]
    if fate == "error":
        policy["achievement"] = 11
    if fate not in ("warning", "error"):
        return
    for row in policy["indicators"][: rng.randint(1, 2)]:
        kind = rng.choice(WARNING_KINDS)
        actual = _number(row["actual"])
        shown = f"{actual:g}"
        if kind == "unit-inferred":
            row["unit"], row["actual"] = BLANK, f"{shown}{row['unit']}"
            for key in ("baseline", "start", "target", "long_term_target"):
                row[key] = _number(row[key])  # the others as numbers, so that only the actual brings the unit
        elif kind == "approximate-value":
            row["actual"] = f"約{shown}"
        elif kind == "value-note":
            row["actual"] = f"{shown}（{rng.choice(('見込み', '速報値', '暫定'))}）"
        else:
            eraless = (("actual_as_of", "28年3月"), ("baseline_as_of", "26年度"), ("start_as_of", "27年4月"))
            key, text = next(((k, t) for k, t in eraless if row.get(k) is not None), ("", ""))
            if key:
                row[key] = text
            else:
                row["actual"] = f"約{shown}"


def truncate(path: Path) -> None:
    """Cut a file to half its bytes, as an interrupted copy leaves it, dated well before the run (not settling)."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    old = time.time() - 86_400
    os.utime(path, (old, old))


@dataclass(frozen=True)
class Corpus:
    """A generated inbox and what it holds."""

    root: Path
    inbox: Path
    files: list[Path]
    stats: dict[str, Any]


def ensure_corpus(corpus_dir: Path, n: int, log: Callable[[str], None], *, clean: bool = False) -> Corpus:
    """The corpus of N submissions, generated (and a sample validated) unless a complete one is cached: a week as
    it is (warnings, value errors, broken files), or, with `clean`, every file valid."""
    root = corpus_dir / f"v{layout.TEMPLATE_VERSION}-n{n}-{'clean' if clean else 'week'}"
    inbox = root / INBOX
    marker = root / MARKER
    expected = {
        "n": n,
        "template_version": layout.TEMPLATE_VERSION,
        "generator": GENERATOR_VERSION,
        "seed": SEED,
        "clean": clean,
    }
    if marker.exists():
        stats = json.loads(marker.read_text(encoding="utf-8"))
        files = sorted(inbox.rglob("*.xlsx"))
        if all(stats.get(k) == v for k, v in expected.items()) and len(files) == n:
            log(f"corpus: reusing {root}")
            return Corpus(root, inbox, files, stats)
    shutil.rmtree(root, ignore_errors=True)
    count = min(MAX_BASES, max(4, math.ceil(n / 10)))
    log(f"corpus: {n} files from {count} base workbooks into {root}")
    bases = ensure_bases(corpus_dir / f"v{layout.TEMPLATE_VERSION}-g{BASES_VERSION}-bases", count, log)
    started = time.perf_counter()
    files: list[Path] = []
    fates: dict[str, list[int]] = {}
    totals = dict.fromkeys(("policies", "indicators", "behind_target", "projects", "results", "challenges"), 0)
    for i, who in enumerate(identities(n)):
        base = bases[i % count]
        rng = Random(f"{SEED}-file-{i}")
        entries = division_entries(base.spec, who, rng)
        for p in entries["policies"]:
            totals["policies"] += 1
            for key in ("indicators", "projects", "results", "challenges"):
                totals[key] += len(p[key])
            totals["behind_target"] += sum(
                _is_behind(row["direction"] or "増加", _number(row["target"]), _number(row["actual"]))
                for row in p["indicators"]
            )
        fate = fate_of(i, clean)
        fates.setdefault(fate, []).append(i)
        as_week(entries, fate, rng)
        saved_at = f"2016-04-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00Z"
        path = inbox / who.department / f"{who.code}_{who.division}.xlsx"
        derive(base, entries, path, saved_at)
        if fate == "broken":
            truncate(path)
        files.append(path)
    log(f"  derived {n} files in {time.perf_counter() - started:.2f} s")
    validated = _validate_sample(files, fates, count, log)
    counts = {fate: len(indices) for fate, indices in sorted(fates.items())}
    stats = {**expected, "bases": count, "validated": validated, "fates": counts, **totals}
    marker.write_text(json.dumps(stats, ensure_ascii=False, indent=2), encoding="utf-8")  # last: marks it complete
    return Corpus(root, inbox, sorted(files), stats)


def _number(value: Any) -> float:
    from pipeline.checks import normalise

    parsed = normalise.parse_value(str(value))
    assert isinstance(parsed, normalise.Number)
    return float(parsed.value)


def _validate_sample(
    files: list[Path], fates: dict[str, list[int]], bases: int, log: Callable[[str], None]
) -> dict[str, int]:
    """Validate every base's first derived file, an even spread of the others and a few of each fate: each must
    come out as meant (valid → 受理, warning → 受理 with warnings, error → 受理（要修正）, broken → 不受理)."""
    from collections import Counter

    from pipeline.api import validate_files

    meant = {i: fate for fate, indices in fates.items() for i in indices}
    chosen = set(range(min(bases, len(files))))
    step = max(1, len(files) // VALIDATE_SAMPLE)
    chosen.update(range(0, len(files), step))
    for indices in fates.values():
        chosen.update(indices[:5])
    sample = sorted(chosen)
    results = validate_files([files[i] for i in sample])
    wrong = []
    codes: Counter[str] = Counter()
    for i, result in zip(sample, results, strict=True):
        codes.update(issue.code for issue in result.issues)
        fate = meant[i]
        came = (
            "broken"
            if not result.accepted
            else "error"
            if result.needs_correction
            else "warning"
            if result.warnings
            else "valid"
        )
        # a valid file may carry a warning the base already brings (an as-of form), never more than that
        if came != fate and not (fate == "valid" and came == "warning"):
            wrong.append(f"{result.display}: meant {fate}, came out {came}: {[i.code for i in result.issues][:6]}")
    if wrong or len(results) != len(sample):
        raise click.ClickException("generated files did not come out as meant:\n" + "\n".join(wrong[:8]))
    log(f"  validated {len(sample)} files: each as meant; issue codes {dict(codes.most_common())}")
    return {"files": len(sample), **codes}


# ---------------------------------------------------------------- measurements

# Runs the merge and reports its wall time, the largest peak RSS of any one of its processes and the CPU time
# of them all. As a child subreaper it inherits the merge's orphans (the forkserver and its workers) and reaps
# them, so RUSAGE_CHILDREN covers every process of the tree (the CPU time is left out where it cannot).
_HELPER = r"""
import json, os, subprocess, sys, time
try:
    import resource
except ImportError:
    resource = None
reaper = False
if sys.platform.startswith("linux"):
    try:
        import ctypes
        reaper = ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:
        reaper = False
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
deadline = time.monotonic() + 30
while reaper and time.monotonic() < deadline:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        time.sleep(0.05)
usage = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None
maxrss = usage.ru_maxrss if usage else None
cpu = usage.ru_utime + usage.ru_stime if usage and reaper else None
print(json.dumps({"rc": done.returncode, "wall_s": wall, "maxrss": maxrss, "cpu_s": cpu, "stderr": done.stderr[-2000:]}))
"""


def precompile() -> None:
    """Write the package's bytecode before timing it, as an installed package has it: in an editable install
    under PYTHONDONTWRITEBYTECODE, every timed start-up would compile every module again (~0.1 s a process)."""
    import compileall

    compileall.compile_dir(Path(layout.__file__).parent, quiet=1)


def pipeline_command() -> list[str]:
    """The `pipeline` console script of this interpreter's environment, else the CLI through -c."""
    script = Path(sys.executable).with_name("pipeline")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from pipeline.cli import main; main()"]


_TIMINGS = re.compile(r"([^\s:/]+) ([0-9.]+) 秒")


@dataclass(frozen=True)
class MergeRun:
    """One timed `pipeline merge`."""

    wall_s: float
    peak_mb: float | None  # the largest peak RSS of any one process of the merge
    cpu_s: float | None  # user + system CPU seconds of every process of the merge
    stages: dict[str, float]  # seconds per stage, as `pipeline merge --timings` reports them
    rc: int = 0
    stderr: str = ""


def run_merge(corpus: Corpus, *, fresh: bool = True, extra: Sequence[str] = ()) -> MergeRun:
    """Merge the corpus into <root>/last-outbox as a subprocess and time it (into a new outbox unless not
    `fresh`: a re-run over the last outputs). A week's broken files make the exit code 1."""
    outbox = corpus.root / LAST_OUTBOX
    allowed = (0, 1) if corpus.stats.get("fates", {}).get("broken") else (0,)
    if fresh:
        shutil.rmtree(outbox, ignore_errors=True)
    command = [
        *pipeline_command(),
        "merge",
        "--inbox",
        str(corpus.inbox),
        "--outbox",
        str(outbox),
        "--timings",
        *extra,
    ]
    done = subprocess.run(
        [sys.executable, "-c", _HELPER, *command], cwd=corpus.root, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise click.ClickException(f"merge helper failed: {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["rc"] not in allowed:
        raise click.ClickException(f"pipeline merge exited with {report['rc']}: {report['stderr']}")
    maxrss = report["maxrss"]
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    line = next((x for x in reversed(report["stderr"].splitlines()) if x.startswith("処理時間")), "")
    stages = {stage: float(seconds) for stage, seconds in _TIMINGS.findall(line) if stage != "合計"}
    peak = None if maxrss is None else maxrss / divisor
    return MergeRun(report["wall_s"], peak, report["cpu_s"], stages, report["rc"], report["stderr"])


def read_floor(files: Sequence[Path]) -> float:
    """Seconds for fastexcel to open every file and load every sheet as strings into polars, in this process."""
    import fastexcel
    import polars  # noqa: F401  (imported before the clock starts, as to_polars would)

    def read(path: Path) -> None:
        try:
            reader = fastexcel.read_excel(path.read_bytes())
        except fastexcel.FastExcelError:  # a week's broken file: nothing to read
            return
        for name in reader.sheet_names:
            reader.load_sheet(name, header_row=None, dtypes="string").to_polars()

    read(files[0])  # warm-up, untimed
    started = time.perf_counter()
    for path in files:
        read(path)
    return time.perf_counter() - started


Cells = list[tuple[str, list[tuple[Any, ...]]]]


def consolidated_cells(path: Path) -> Cells:
    """The values of every sheet of a consolidated.xlsx, row by row."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets]
    finally:
        book.close()


def cell_counts(cells: Cells) -> tuple[int, int]:
    """Non-empty string and number cells."""
    strings = numbers = 0
    for _, rows in cells:
        for row in rows:
            for value in row:
                if isinstance(value, str):
                    strings += 1
                elif value is not None:
                    numbers += 1
    return strings, numbers


def write_floor(cells: Cells, folder: Path) -> float:
    """Seconds for xlsxwriter to write the same cells, without formats, into a file."""
    import xlsxwriter

    target = folder / "write-floor.xlsx"
    started = time.perf_counter()
    book = xlsxwriter.Workbook(str(target), {"constant_memory": False})
    for title, rows in cells:
        ws = book.add_worksheet(title)
        write_string, write_number = ws.write_string, ws.write_number
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int | float) and not isinstance(value, bool):
                    write_number(r, c, value)
                else:
                    write_string(r, c, str(value))
    book.close()
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def naive_merge(files: Sequence[Path], target: Path) -> None:
    """What a planning office would script: open each workbook with openpyxl, read the named cells, append rows."""
    from openpyxl import Workbook, load_workbook

    def values(wb: Any, defined: Any) -> list[list[Any]]:
        title, coord = next(iter(defined.destinations))
        found = wb[title][coord]
        if not isinstance(found, tuple):
            return [[found.value]]
        return [[cell.value for cell in row] if isinstance(row, tuple) else [row.value] for row in found]

    def table(wb: Any, defined: Any) -> list[dict[str, Any]]:
        header, *rows = values(wb, defined)
        return [dict(zip(header, row, strict=True)) for row in rows if any(v is not None for v in row)]

    basic_keys = ("fiscal_year", "stage", "department", "division", "division_code", "head", "phone")
    indicator_labels = [c.label for c in layout.INDICATOR_COLUMNS]
    project_labels = [c.label for c in layout.PROJECT_COLUMNS]
    divisions, policies, indicators, projects = [], [], [], []
    for path in files:
        try:
            wb = load_workbook(path, data_only=True)
        except zipfile.BadZipFile:  # a week's broken file: the script skips it
            continue
        basic = {key: values(wb, wb.defined_names[key])[0][0] for key in basic_keys}
        who = [basic["department"], basic["division"]]
        divisions.append([path.name, *basic.values()])
        for ws in wb.worksheets:
            names = ws.defined_names
            if "policy_title" not in names:
                continue
            title = values(wb, names["policy_title"])[0][0]
            policies.append(
                [
                    *who,
                    ws.title,
                    title,
                    *(values(wb, names[k])[0][0] for k in ("progress", "achievement", "evaluation_reason")),
                ]
            )
            for row in table(wb, names["indicators"]):
                indicators.append([*who, title, *(row.get(label) for label in indicator_labels)])
            for row in table(wb, names["projects"]):
                projects.append([*who, title, *(row.get(label) for label in project_labels)])
        wb.close()
    out = Workbook()
    sheets = (
        ("所属", ["ファイル", *(layout.label_of(k) for k in basic_keys)], divisions),
        ("政策", ["部局名", "所属名", "シート", "政策内容", "進捗評価", "達成度の評価", "評価理由"], policies),
        ("指標", ["部局名", "所属名", "政策内容", *indicator_labels], indicators),
        ("事業", ["部局名", "所属名", "政策内容", *project_labels], projects),
    )
    for i, (title, header, rows) in enumerate(sheets):
        ws = out.active if i == 0 else out.create_sheet()
        ws.title = title
        ws.append(header)
        for row in rows:
            ws.append(row)
    out.save(target)


def naive_time(files: Sequence[Path], folder: Path) -> float:
    """Seconds for the naive script on these files."""
    import openpyxl  # noqa: F401  (imported before the clock starts)

    started = time.perf_counter()
    naive_merge(files, folder / "naive.xlsx")
    return time.perf_counter() - started


def spread(files: Sequence[Path], k: int) -> list[Path]:
    """`k` files evenly spread over the corpus."""
    return [files[i * len(files) // k] for i in range(k)]


def check_fates(outbox: Path, corpus: Corpus) -> None:
    """The merge's summary counts each file as the corpus meant it: every file but the broken ones merged
    (受理 or 受理（要修正）), the broken ones 不受理, and the files with a value error 受理（要修正）."""
    files = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))["files"]
    fates = corpus.stats.get("fates", {})
    broken, errors = fates.get("broken", 0), fates.get("error", 0)
    merged = files["accepted"] + files["needs_correction"]
    if merged != corpus.stats["n"] - broken or files["rejected"] != broken or files["needs_correction"] < errors:
        raise click.ClickException(
            f"the merge counted {files} for {corpus.stats['n']} files ({broken} broken, {errors} with errors); "
            f"see {outbox}"
        )


_NOTHING_CHANGED = "前回から変更がない"


def rerun_nothing(corpus: Corpus) -> float:
    """Seconds for the merge again over the outputs it has just written, nothing changed: it must say so."""
    merged = run_merge(corpus, fresh=False)
    if _NOTHING_CHANGED not in merged.stderr:
        raise click.ClickException(f"a re-run with nothing changed did not say so: {merged.stderr[-500:]}")
    return merged.wall_s


def rerun_one(corpus: Corpus, round_: int) -> float:
    """Seconds for the merge again after one file changed (its saved time, as a resubmission brings), the file
    then put back as it was."""
    start = round_ * 37 + 11
    path = next(
        p for k in range(len(corpus.files)) if zipfile.is_zipfile(p := corpus.files[(start + k) % len(corpus.files)])
    )
    original, stat = path.read_bytes(), path.stat()
    try:
        resave(path, f"2016-05-{1 + round_ % 28:02d}T09:00:00Z")
        old = time.time() - 3600  # settled: not a copy still being written
        os.utime(path, (old, old))
        merged = run_merge(corpus, fresh=False)
        if _NOTHING_CHANGED in merged.stderr:
            raise click.ClickException("a re-run after one file changed said nothing had changed")
        return merged.wall_s
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def resave(path: Path, saved_at: str) -> None:
    """The same workbook saved again at `saved_at` (its core properties' modified time): new bytes, same values."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + saved_at.encode() + rb"\g<2>", data)
            archive.writestr(info, data)


def feedback_sources(outbox: Path, inbox: Path) -> list[Path]:
    """The inbox files whose feedback copy the merge wrote (from the published tables' submissions)."""
    import polars as pl

    submissions = pl.read_parquet(outbox / "tables" / "submissions.parquet")
    return [inbox / p for p in submissions.filter(pl.col("feedback").is_not_null())["file"].to_list()]


def copy_cost(files: Sequence[Path], folder: Path, k: int = 40) -> float | None:
    """Median milliseconds for one feedback copy (`pipeline.api.feedback_copy`, from bytes already read) of up to
    `k` of these files, with the issues their validation found; None when there is none."""
    from pipeline.api import feedback_copy, validate_files

    if not files:
        return None
    sample = spread(files, min(k, len(files)))
    results = validate_files(sample)
    times = []
    for path, result in zip(sample, results, strict=True):
        data = path.read_bytes()
        started = time.perf_counter()
        feedback_copy(path, result.issues, folder / "copy.xlsx", data)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# ---------------------------------------------------------------- report


def _median(times: list[float]) -> float:
    return statistics.median(times)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# The stages `pipeline merge --timings` reports, as the table names them.
_STAGES = {
    "準備": ("discover", "list the inbox, start the workers"),
    "検証": ("parse", "preflight, read, normalise, validate and flatten every file in the workers"),
    "集約": ("merge", "fates, resubmissions, tables, indicator status"),
    "出力": ("write", "consolidated.xlsx, tables, summaries; atomic publish"),
}


def _row(label: str, times: list[float], note: str = "") -> str:
    if not times:
        return f"{label:<18}{'—':>10}{'':>10}{'':>10}{'':>6}  {note}"
    return f"{label:<18}{_median(times):>9.3f}s{min(times):>9.3f}s{max(times):>9.3f}s{len(times):>6}  {note}"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--n", "n", type=click.IntRange(1), default=1000, show_default=True, help="Submissions in the corpus.")
@click.option("--runs", type=click.IntRange(1), default=3, show_default=True, help="Runs of each measurement.")
@click.option(
    "--corpus-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CORPUS,
    show_default=True,
    help="Where corpora are generated and cached (by N and template version).",
)
@click.option("--skip-naive", is_flag=True, help="Do not time the naive openpyxl script.")
@click.option(
    "--naive-sample",
    type=click.IntRange(1),
    default=None,
    help=f"Time the naive script on this many files and scale to N (default: all when N ≤ {NAIVE_SAMPLE_MAX}, else {NAIVE_SAMPLE_MAX}).",
)
@click.option("--json-only", is_flag=True, help="Print only the JSON line.")
@click.option("--clean", is_flag=True, help="Every file valid (the corpus before the week as it is).")
@click.option(
    "--rerun", is_flag=True, help="Each round also re-runs over its outputs: nothing changed, then one file changed."
)
def main(
    n: int,
    runs: int,
    corpus_dir: Path,
    skip_naive: bool,
    naive_sample: int | None,
    json_only: bool,
    clean: bool,
    rerun: bool,
) -> None:
    """Time `pipeline merge` on N generated submissions against read/write floors and a naive openpyxl script."""

    def log(message: str) -> None:
        if not json_only:
            click.echo(message, err=True)

    corpus = ensure_corpus(corpus_dir, n, log, clean=clean)
    precompile()
    outbox = corpus.root / LAST_OUTBOX
    merge_times: list[float] = []
    peaks: list[float] = []
    cpu_times: list[float] = []
    stage_times: dict[str, list[float]] = {}
    read_times: list[float] = []
    write_times: list[float] = []
    naive_times: list[float] = []
    cells: Cells = []
    copies: list[Path] = []
    copy_ms: float | None = None
    nothing_times: list[float] = []
    one_times: list[float] = []
    k = 0
    with tempfile.TemporaryDirectory(prefix="bench-merge-") as scratch:
        folder = Path(scratch)
        # One round = merge, read floor, write floor, back to back, so that a slower spell of a shared machine
        # falls on all three alike rather than on whichever was measured then.
        for run in range(runs):
            merged = run_merge(corpus)
            wall = merged.wall_s
            merge_times.append(wall)
            if merged.peak_mb is not None:
                peaks.append(merged.peak_mb)
            if merged.cpu_s is not None:
                cpu_times.append(merged.cpu_s)
            for stage, seconds in merged.stages.items():
                stage_times.setdefault(stage, []).append(seconds)
            if run == 0:
                check_fates(outbox, corpus)
                cells = consolidated_cells(outbox / "consolidated.xlsx")
                copies = feedback_sources(outbox, corpus.inbox)
                copy_ms = copy_cost(copies, folder)
            read_times.append(read_floor(corpus.files))
            write_times.append(write_floor(cells, folder))
            if rerun:
                nothing_times.append(rerun_nothing(corpus))
                one_times.append(rerun_one(corpus, run))
            log(
                f"round {run + 1}: merge {wall:.3f} s, read floor {read_times[-1]:.3f} s, "
                f"write floor {write_times[-1]:.3f} s"
                + (
                    f", re-run nothing changed {nothing_times[-1]:.3f} s, one changed {one_times[-1]:.3f} s"
                    if rerun
                    else ""
                )
            )
        strings, numbers = cell_counts(cells)
        if not skip_naive:
            k = min(n, naive_sample or (n if n <= NAIVE_SAMPLE_MAX else NAIVE_SAMPLE_MAX))
            sample = spread(corpus.files, k)
            for run in range(runs):
                naive_times.append(naive_time(sample, folder) * n / k)
                log(f"naive run {run + 1}: {naive_times[-1]:.3f} s" + (f" (scaled from {k} files)" if k < n else ""))

    merge_s, read_s, write_s = _median(merge_times), _median(read_times), _median(write_times)
    naive_s = _median(naive_times) if naive_times else None
    peak = max(peaks) if peaks else None
    result = {
        "n": n,
        "merge_s": _round(merge_s),
        "read_floor_s": _round(read_s),
        "write_floor_s": _round(write_s),
        "naive_s": _round(naive_s),
        "ratio_to_floor": _round(merge_s / (read_s + write_s), 2),
        "speedup_vs_naive": _round(naive_s / merge_s, 2) if naive_s is not None else None,
        "peak_rss_mb": _round(peak, 1),
        "feedback_copies": len(copies),
        "copy_ms": _round(copy_ms, 2),
        "rerun_nothing_s": _round(_median(nothing_times)) if nothing_times else None,
        "rerun_one_s": _round(_median(one_times)) if one_times else None,
        "nothing_to_cold": _round(_median(nothing_times) / merge_s, 3) if nothing_times else None,
        "one_to_write_floor": _round(_median(one_times) / write_s, 2) if one_times else None,
    }
    assert tuple(result) == JSON_KEYS
    if not json_only:
        stats = corpus.stats
        click.echo(
            f"corpus: {n:,} files, {stats['policies']:,} policies, {stats['indicators']:,} indicators "
            f"({stats['behind_target']:,} behind target), {stats['projects']:,} projects; "
            f"{stats['bases']} base workbooks; {corpus.inbox}"
        )
        click.echo(f"{'':<18}{'median':>10}{'min':>10}{'max':>10}{'runs':>6}")
        click.echo(_row("merge", merge_times, f"pipeline merge subprocess, wall time incl. start-up; outbox {outbox}"))
        for stage, seconds in stage_times.items():
            name, note = _STAGES.get(stage, (stage, ""))
            click.echo(_row(f"  {name}", seconds, f"{note} (pipeline merge --timings: {stage})"))
        if stage_times:
            startup = [wall - sum(parts) for wall, *parts in zip(merge_times, *stage_times.values(), strict=True)]
            click.echo(
                _row("  start-up", startup, "interpreter start-up, imports and exit: wall time outside the stages")
            )
        cores = os.cpu_count() or 1
        click.echo(
            _row(
                "  cpu",
                cpu_times,
                "user + system CPU seconds of all the merge's processes (main, fork server, workers)"
                + ("" if cpu_times else " — unavailable on this platform"),
            )
        )
        if cpu_times:
            spread_s = [cpu / cores for cpu in cpu_times]
            click.echo(_row("  cpu / cores", spread_s, f"that CPU time spread over all {cores} cores: no faster wall"))
        click.echo(_row("read_floor", read_times, "fastexcel: every sheet of every file, one process"))
        click.echo(
            _row(
                "write_floor",
                write_times,
                f"xlsxwriter, no formats: the {strings:,} string and {numbers:,} number cells of consolidated.xlsx",
            )
        )
        naive_note = "skipped" if skip_naive else "openpyxl load_workbook + defined names + openpyxl save"
        if naive_times and k < n:
            naive_note += f"; measured on {k:,} files, scaled linearly to {n:,}"
        click.echo(_row("naive", naive_times, naive_note))
        if rerun:
            click.echo(_row("rerun_nothing", nothing_times, "the same merge again over its outputs, nothing changed"))
            click.echo(_row("rerun_one", one_times, "again after one division resubmitted (one file's bytes changed)"))
        click.echo(
            f"{'feedback_copies':<18}{len(copies):>10}  feedback/ copies written; one costs {copy_ms or 0:.2f} ms "
            "(median of up to 40, pipeline.api.feedback_copy from the bytes read)"
        )
        click.echo(f"{'ratio_to_floor':<18}{result['ratio_to_floor']:>10}  merge / (read_floor + write_floor)")
        if rerun:
            click.echo(f"{'nothing_to_cold':<18}{result['nothing_to_cold']!s:>10}  rerun_nothing / merge")
            click.echo(f"{'one_to_write_floor':<18}{result['one_to_write_floor']!s:>10}  rerun_one / write_floor")
        click.echo(f"{'speedup_vs_naive':<18}{result['speedup_vs_naive']!s:>10}  naive / merge")
        click.echo(
            f"{'peak_rss_mb':<18}{result['peak_rss_mb']!s:>10}  largest peak RSS of any one process of the merge "
            "(main or worker; per-process peak, not a sum)"
            + ("" if peaks else " — unavailable: no resource module on this platform")
        )
    click.echo(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()

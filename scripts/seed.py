"""The seed 工程表 (総務部 情報政策課, FY H27, 最終) as template entries, typed as in the original.

Used by the tests (it must survive template → merge → consolidated workbook) and by
the sample-inbox generator. The original has no 単位/方向 columns: 部会 and システム
are the units its own text uses; 方向 is left blank (増加, the default).
"""

from __future__ import annotations

import copy
from typing import Any

from pipeline.contract.example import (  # the one copy of the seed, drawn on the template's 記入例 sheet
    CHALLENGES,
    EVALUATION_REASON,
    EXAMPLE_ENTRIES,
    GOALS,
    INDICATORS,
    LONG_TERM_GOAL,
    MISSIONS,
    POLICY_TITLE,
    PROJECTS,
    RESULTS,
)
from pipeline.contract.layout import RELATED_PLAN_LABELS


def seed_entries() -> dict[str, Any]:
    """The seed division as fill_template entries (clean values, as a careful division types them)."""
    return copy.deepcopy(EXAMPLE_ENTRIES)


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

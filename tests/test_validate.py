"""Validation: the seed reads back exactly, and each faulty input gives its exact message and cell."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from pipeline.api import validate_files
from pipeline.checks.validate import DivisionKey, Master
from scripts.seed import seed_entries, seed_entries_as_typed, seed_record


def _policy(entries: dict[str, Any]) -> dict[str, Any]:
    return entries["policies"][0]


def _ind(entries: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return _policy(entries)["indicators"][i]


# name -> (mutation of the seed entries, expected [(sheet, cell, code, severity, message)])
Mutation = Callable[[dict[str, Any]], None]
FAULTS: dict[str, tuple[Mutation, list[tuple[str, str, str, str, str]]]] = {
    "missing_department": (
        lambda e: e.update(department=None),
        [
            (
                "基本情報",
                "C6",
                "missing-field",
                "error",
                "基本情報!C6「部局名」: 入力が必要です。部局名を入力してください（例: 総務部）。",
            )
        ],
    ),
    "missing_head": (
        lambda e: e.update(head="　"),
        [
            (
                "基本情報",
                "C9",
                "missing-field",
                "error",
                "基本情報!C9「所属長名」: 入力が必要です。所属長の氏名を入力してください。",
            )
        ],
    ),
    "kanji_actual": (
        lambda e: _ind(e).update(actual="六"),
        [
            (
                "政策1",
                "L26",
                "not-a-number",
                "error",
                "政策1!L26「今年度実績値」: 数値を入力してください。算用数字で入力してください（例: 6）（入力値: 「六」）",
            )
        ],
    ),
    "double_comma": (
        lambda e: _ind(e).update(target="6,,0"),
        [
            (
                "政策1",
                "J26",
                "not-a-number",
                "error",
                "政策1!J26「今年度目標値」: 数値を入力してください。桁区切りのカンマは3桁ごとに付けるか、付けずに入力してください"
                "（例: 1,234 または 1234）（入力値: 「6,,0」）",
            )
        ],
    ),
    "ratio_text": (
        lambda e: _ind(e, 1).update(actual="18%(=3/16施設)"),
        [
            (
                "政策1",
                "L27",
                "not-a-number",
                "error",
                "政策1!L27「今年度実績値」: 数値を入力してください。「18」のように数値だけを入力し、説明は「計画指標の選定理由」"
                "などに書いてください（入力値: 「18%(=3/16施設)」）",
            )
        ],
    ),
    "bad_stage": (
        lambda e: e.update(stage="年度末"),
        [
            (
                "基本情報",
                "C5",
                "invalid-choice",
                "error",
                "基本情報!C5「評価時点」: 当初・中間・最終 のいずれかを選んでください（入力値: 「年度末」）",
            )
        ],
    ),
    "bad_fiscal_year": (
        lambda e: e.update(fiscal_year="来年度"),
        [
            (
                "基本情報",
                "C4",
                "invalid-fiscal-year",
                "error",
                "基本情報!C4「年度」: 年度として読めません。2015、H27、平成27年度、R7 のように入力してください（入力値: 「来年度」）",
            )
        ],
    ),
    "bad_phone": (
        lambda e: e.update(phone="内線1234"),
        [
            (
                "基本情報",
                "C10",
                "invalid-phone",
                "error",
                "基本情報!C10「電話番号」: 電話番号として読めません。市外局番から 0857-26-7642 のように入力してください"
                "（入力値: 「内線1234」）",
            )
        ],
    ),
    "no_missions": (
        lambda e: e.update(missions=[]),
        [("基本情報", "C12", "missing-row", "error", "基本情報!C12「組織ミッション」: 1行以上入力してください")],
    ),
    "unknown_direction": (
        lambda e: _ind(e).update(direction="上昇"),
        [
            (
                "政策1",
                "E26",
                "invalid-choice",
                "error",
                "政策1!E26「方向」: 増加・減少 のいずれかを選んでください（入力値: 「上昇」）",
            )
        ],
    ),
    "unknown_category": (
        lambda e: _ind(e).update(category="結果指標"),
        [
            (
                "政策1",
                "C26",
                "invalid-choice",
                "error",
                "政策1!C26「指標の分類」: 活動指標・成果指標 のいずれかを選んでください（入力値: 「結果指標」）",
            )
        ],
    ),
    "score_eleven": (
        lambda e: _policy(e).update(achievement=11),
        [
            (
                "政策1",
                "C52",
                "out-of-range",
                "error",
                "政策1!C52「達成度の評価」: 0～10の整数を入力してください（入力値: 「11」）",
            )
        ],
    ),
    "score_fraction": (
        lambda e: _policy(e).update(achievement="9.5"),
        [
            (
                "政策1",
                "C52",
                "not-an-integer",
                "error",
                "政策1!C52「達成度の評価」: 0～10の整数を入力してください（入力値: 「9.5」）",
            )
        ],
    ),
    "date_actual": (  # 3/16 typed into a General cell: Excel stores a date
        lambda e: _ind(e).update(actual=datetime(2026, 3, 16)),
        [
            (
                "政策1",
                "L26",
                "not-a-number",
                "error",
                "政策1!L26「今年度実績値」: 数値を入力してください。日付として保存されています（Excel は 3/16 や 3-16 のような入力を"
                "日付に変えます）。数値だけを入力し、分数などの説明は「計画指標の選定理由」などに書いてください"
                "（入力値: 「2026-03-16 00:00:00」）",
            )
        ],
    ),
    "unit_mismatch": (
        lambda e: _ind(e).update(actual="6件"),
        [
            (
                "政策1",
                "L26",
                "unit-mismatch",
                "error",
                "政策1!L26「今年度実績値」: 単位が「単位」欄（部会）と違います。数値だけを入力するか、単位を「部会」にしてください"
                "（入力値: 「6件」）",
            )
        ],
    ),
    "long_term_before_year": (
        lambda e: _ind(e).update(long_term_as_of="H26"),
        [
            (
                "政策1",
                "O26",
                "long-term-before-fiscal-year",
                "error",
                "政策1!O26「長期的目標値時点」: 長期的目標値の時点（2014年度）が今年度（2015年度）より前です。"
                "今年度以降の年度を入力してください（入力値: 「H26」）",
            )
        ],
    ),
    "bad_as_of": (
        lambda e: _ind(e).update(baseline_as_of="そのうち"),
        [
            (
                "政策1",
                "G26",
                "invalid-as-of",
                "error",
                "政策1!G26「基準値時点」: 時点として読めません。H27、R2 のような年度か、H30.4、2020年3月 のような年月を"
                "入力してください（入力値: 「そのうち」）",
            )
        ],
    ),
    "duplicate_indicator": (
        lambda e: _ind(e, 1).update(name=_ind(e)["name"]),
        [
            (
                "政策1",
                "B27",
                "duplicate-indicator",
                "error",
                "政策1!B27「指標名」: 同じ政策の中で指標名「システム共同化に向けた具体的な検討を行う部会の設置数」が"
                "重複しています（政策1!B26）。指標名を区別できるように変えてください",
            )
        ],
    ),
    "indicator_without_name": (
        lambda e: _ind(e, 1).update(name=None),
        [
            (
                "政策1",
                "B27",
                "missing-field",
                "error",
                "政策1!B27「指標名」: 入力が必要です。指標の名称を入力してください",
            )
        ],
    ),
    "project_without_name": (
        lambda e: _policy(e)["projects"][0].update(name=None),
        [
            (
                "政策1",
                "C39",
                "missing-field",
                "error",
                "政策1!C39「事業名」: 入力が必要です。事業・制度の名称を入力してください。",
            )
        ],
    ),
    "negative_budget": (
        lambda e: _policy(e)["projects"][0].update(budget="▲100"),
        [
            (
                "政策1",
                "G39",
                "negative-number",
                "error",
                "政策1!G39「予算額(千円)」: 0以上の数値を入力してください（入力値: 「▲100」）",
            )
        ],
    ),
    "missing_progress_at_final": (
        lambda e: _policy(e).update(progress=None),
        [
            (
                "政策1",
                "C51",
                "missing-field",
                "error",
                "政策1!C51「進捗評価」: 入力が必要です。評価時点が「最終」のときは必ず入力してください",
            )
        ],
    ),
    "missing_score_at_final": (
        lambda e: _policy(e).update(achievement=None),
        [
            (
                "政策1",
                "C52",
                "missing-field",
                "error",
                "政策1!C52「達成度の評価」: 入力が必要です。評価時点が「最終」のときは必ず入力してください",
            )
        ],
    ),
    "missing_reason_at_mid_year": (
        lambda e: (e.update(stage="中間"), _policy(e).update(evaluation_reason=None, achievement=None)),
        [
            (
                "政策1",
                "C53",
                "missing-field",
                "error",
                "政策1!C53「評価理由」: 入力が必要です。評価時点が「中間」のときは必ず入力してください",
            )
        ],
    ),
    "unknown_progress_mark": (
        lambda e: _policy(e).update(progress="良い"),
        [
            (
                "政策1",
                "C51",
                "invalid-choice",
                "error",
                "政策1!C51「進捗評価」: ◎（予定以上）・○（予定通り）・△（やや遅れ）・×（大幅遅れ） のいずれかを選んでください"
                "（入力値: 「良い」）",
            )
        ],
    ),
    "no_goals": (
        lambda e: _policy(e).update(goals=[]),
        [("政策1", "C5", "missing-row", "error", "政策1!C5「今年度の目標」: 1行以上入力してください")],
    ),
    "missing_policy_title": (
        lambda e: _policy(e).update(policy_title=None),
        [
            (
                "政策1",
                "C3",
                "missing-field",
                "error",
                "政策1!C3「政策内容」: 入力が必要です。政策内容を入力してください。政策を追加するときはこのシートをコピーしてください。",
            )
        ],
    ),
    "bad_plan_mark": (
        lambda e: _policy(e).update(related_plans={"将来ビジョン": "x"}),
        [
            (
                "政策1",
                "C17",
                "invalid-mark",
                "error",
                "政策1!C17「該当する長期的目標（将来ビジョン）」: 該当する場合は「○」を入力し、該当しない場合は空欄にしてください"
                "（入力値: 「x」）",
            )
        ],
    ),
    "qualitative_target_is_a_warning": (
        lambda e: _ind(e).update(target="全て達成する"),
        [
            (
                "政策1",
                "J26",
                "qualitative-value",
                "warning",
                "政策1!J26「今年度目標値」: 数値でないため達成状況を判定できません（判定不可）。数値で表せる場合は数値を入力してください"
                "（入力値: 「全て達成する」）",
            )
        ],
    ),
    "optimistic_self_evaluation": (
        lambda e: _ind(e).update(actual=1),
        [
            (
                "政策1",
                "C51",
                "evaluation-contradiction",
                "warning",
                "政策1!C51「進捗評価」: 自己評価（進捗評価 ◎、達成度 9）が測定指標の結果（目標未達 1 件）と合っていません。"
                "評価理由で説明するか、評価を見直してください",
            )
        ],
    ),
    "text_too_long": (
        lambda e: e.update(head="長" * 201),
        [
            (
                "基本情報",
                "C9",
                "schema",
                "error",
                "基本情報!C9「所属長名」: データの形式が正しくありません: 200文字以内で入力してください",
            )
        ],
    ),
}


def test_seed_validates_clean_and_reads_back_field_by_field(make_book: Callable[..., Path]) -> None:
    path = make_book(seed_entries(), "seed.xlsx")
    [result] = validate_files([path])
    assert result.issues == ()
    assert result.accepted
    expected = seed_record()
    assert result.record is not None
    for key in expected:
        assert result.record[key] == expected[key], key
    policy = result.record["policies"][0]
    assert [
        (i["baseline"], i["start"], i["target"], i["actual"], i["long_term_target"]) for i in policy["indicators"]
    ] == [
        (0, 0, 2, 6, 4),
        (0, 0, 0, 0, 3),
    ]
    assert policy["projects"][0]["budget"] == 628
    assert (policy["progress"], policy["achievement"]) == ("◎", 9)
    assert len(policy["results"]) == 4 and len(policy["challenges"]) == 2 and len(result.record["missions"]) == 5
    assert result.locations["/policies/0/indicators/0/actual"] == "政策1!L26"
    assert result.locations["/division"] == "基本情報!C7"


def test_seed_as_typed_reads_back_to_the_same_record(make_book: Callable[..., Path]) -> None:
    path = make_book(seed_entries_as_typed(), "typed.xlsx")
    [result] = validate_files([path])
    assert result.issues == ()
    assert result.record == seed_record()


def test_every_fault_gives_its_exact_message_and_cell_in_one_run(make_book: Callable[..., Path]) -> None:
    paths = []
    for name, (mutate, _expected) in FAULTS.items():
        entries = copy.deepcopy(seed_entries())
        mutate(entries)
        paths.append(make_book(entries, f"{name}.xlsx"))
    results = validate_files(paths)
    assert len(FAULTS) >= 20
    for (name, (_mutate, expected)), result in zip(FAULTS.items(), results, strict=True):
        found = [(i.sheet, i.cell, i.code, i.severity, i.message) for i in result.issues]
        assert found == expected, name
        assert all(i.file == str(result.display) for i in result.issues)
        errors = any(severity == "error" for *_rest, severity, _msg in expected)
        assert result.accepted is (not errors), name


def test_all_problems_of_one_file_are_reported_together(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    seed.update(department=None, stage="年度末")
    _ind(seed).update(actual="六", direction="上昇")
    _policy(seed).update(achievement=11)
    [result] = validate_files([make_book(seed)])
    assert [(i.sheet, i.cell, i.code) for i in result.issues] == [
        ("基本情報", "C5", "invalid-choice"),
        ("基本情報", "C6", "missing-field"),
        ("政策1", "E26", "invalid-choice"),
        ("政策1", "L26", "not-a-number"),
        ("政策1", "C52", "out-of-range"),
    ]


def test_unknown_division_against_the_master(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    master = Master((DivisionKey("1001", "総務部", "行政課"),))
    [result] = validate_files([make_book(seed)], master=master)
    assert [(i.sheet, i.cell, i.code, i.message) for i in result.issues] == [
        (
            "基本情報",
            "C7",
            "unknown-division",
            "基本情報!C7「所属名」: 所属名簿にない所属です（総務部 情報政策課）。所属コード・部局名・所属名を名簿どおりに入力してください",
        ),
    ]
    known = Master((DivisionKey(None, "総務部", "情報政策課"),))
    assert validate_files([make_book(seed, "known.xlsx")], master=known)[0].issues == ()


def test_a_workbook_without_the_template_names_is_not_a_template(tmp_path: Path) -> None:
    book = Workbook()
    book.active["A1"] = "工程表"
    path = tmp_path / "plain.xlsx"
    book.save(path)
    [result] = validate_files([path])
    assert [(i.code, i.message) for i in result.issues] == [
        (
            "not-a-template",
            "工程表テンプレートの名前（名前の定義）が見つかりません。配布された最新のテンプレートに入力し直してください",
        ),
    ]


@pytest.mark.parametrize("stage", ["当初", "中間"])
def test_evaluation_is_optional_before_the_final_stage(
    make_book: Callable[..., Path], seed: dict[str, Any], stage: str
) -> None:
    seed["stage"] = stage
    _policy(seed).update(
        achievement=None,
        progress=None if stage == "当初" else "○",
        evaluation_reason=None if stage == "当初" else "順調",
    )
    [result] = validate_files([make_book(seed)])
    assert result.issues == ()

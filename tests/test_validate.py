"""Validation: the seed reads back exactly, and each faulty input gives its exact message and cell."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.api import validate_files
from pipeline.checks.normalise import clean_text
from pipeline.checks.validate import DivisionKey, Master, validate_raw
from pipeline.intake.read import RawSubmission, read_submission
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
                "",
                "",
                "unplaceable",
                "blocking",
                "部局名が読めないため、どの所属・年度・評価時点の工程表か決められず受理できません。部局名を正しく入力してください",
            ),
            (
                "基本情報",
                "C6",
                "missing-field",
                "error",
                "基本情報!C6「部局名」: 入力が必要です。部局名を入力してください（例: 総務部）。",
            ),
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
    "spaced_digits": (
        lambda e: _ind(e).update(actual="1 234"),
        [
            (
                "政策1",
                "L26",
                "not-a-number",
                "error",
                "政策1!L26「今年度実績値」: 数値を入力してください。数字の間に空白があります。「1234」のように続けて入力してください"
                "（入力値: 「1 234」）",
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
    "ratio_with_a_note": (
        lambda e: _ind(e, 1).update(unit="%", actual="18%(=3/16施設)"),
        [
            (
                "政策1",
                "L27",
                "value-note",
                "warning",
                "政策1!L27「今年度実績値」: 18% として読み取り、「=3/16施設」は注記として値に添えました"
                "（入力値: 「18%(=3/16施設)」）",
            )
        ],
    ),
    "bad_stage": (
        lambda e: e.update(stage="年度末"),
        [
            (
                "",
                "",
                "unplaceable",
                "blocking",
                "評価時点が読めないため、どの所属・年度・評価時点の工程表か決められず受理できません。評価時点を正しく入力してください",
            ),
            (
                "基本情報",
                "C5",
                "invalid-choice",
                "error",
                "基本情報!C5「評価時点」: 当初・中間・最終 のいずれかを選んでください（入力値: 「年度末」）",
            ),
        ],
    ),
    "bad_fiscal_year": (
        lambda e: e.update(fiscal_year="来年度"),
        [
            (
                "",
                "",
                "unplaceable",
                "blocking",
                "年度が読めないため、どの所属・年度・評価時点の工程表か決められず受理できません。年度を正しく入力してください",
            ),
            (
                "基本情報",
                "C4",
                "invalid-fiscal-year",
                "error",
                "基本情報!C4「年度」: 年度として読めません。2015、H27、平成27年度、R7 のように入力してください（入力値: 「来年度」）",
            ),
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
                "日付に変えます）。数値を入力し直してください（分数は割合か件数で。例: 18.8%、3件）"
                "（入力値: 「2026-03-16 00:00:00」）",
            )
        ],
    ),
    "words_after_the_unit": (
        lambda e: _ind(e, 1).update(unit="%", actual="100%達成"),
        [
            (
                "政策1",
                "L27",
                "value-note",
                "warning",
                "政策1!L27「今年度実績値」: 100% として読み取り、「達成」は注記として値に添えました（入力値: 「100%達成」）",
            )
        ],
    ),
    "unit_mismatch_is_not_evaluable": (
        lambda e: _ind(e).update(actual="6件"),
        [
            (
                "政策1",
                "L26",
                "unit-mismatch",
                "warning",
                "政策1!L26「今年度実績値」: 単位「件」が指標の単位「部会」（「単位」欄）と違うため、この値は判定できません（判定不可）。"
                "「部会」で入力するか、単位ごとに指標の行を分けてください（入力値: 「6件」）",
            )
        ],
    ),
    "unit_from_the_values": (
        lambda e: _ind(e).update(unit=None, target="2部会", actual="6部会"),
        [
            (
                "政策1",
                "D26",
                "unit-inferred",
                "warning",
                "政策1!D26「単位」: 「単位」欄が空欄のため、値に付いている「部会」をこの指標の単位として読み取りました。"
                "「単位」欄にも「部会」と入力してください",
            )
        ],
    ),
    "values_in_two_units_with_the_unit_blank": (
        lambda e: _ind(e, 1).update(unit=None, target="75%", actual="97.1%", long_term_target="16施設"),
        [
            (
                "政策1",
                "D27",
                "unit-inferred",
                "warning",
                "政策1!D27「単位」: 「単位」欄が空欄のため、値に付いている「%」をこの指標の単位として読み取りました。"
                "「単位」欄にも「%」と入力してください",
            ),
            (
                "政策1",
                "N27",
                "unit-mismatch",
                "warning",
                "政策1!N27「長期的目標値」: 単位「施設」が指標の単位「%」（値から読み取り）と違うため、この値は判定できません"
                "（判定不可）。「%」で入力するか、単位ごとに指標の行を分けてください（入力値: 「16施設」）",
            ),
        ],
    ),
    "unit_from_the_values_without_the_words_after_it": (
        lambda e: _ind(e, 1).update(unit=None, target="80%達成", actual="85%"),
        [
            (
                "政策1",
                "D27",
                "unit-inferred",
                "warning",
                "政策1!D27「単位」: 「単位」欄が空欄のため、値に付いている「%」をこの指標の単位として読み取りました。"
                "「単位」欄にも「%」と入力してください",
            ),
            (
                "政策1",
                "J27",
                "value-note",
                "warning",
                "政策1!J27「今年度目標値」: 80% として読み取り、「達成」は注記として値に添えました（入力値: 「80%達成」）",
            ),
        ],
    ),
    "value_in_a_larger_unit": (
        lambda e: _ind(e).update(
            unit="人", baseline=9000, start=10000, target=11000, actual="1.2万人", long_term_target=15000
        ),
        [
            (
                "政策1",
                "L26",
                "unit-converted",
                "warning",
                "政策1!L26「今年度実績値」: 12,000人 として読み取りました（万人から人に換算）。違う場合は人単位の数値で入力してください"
                "（入力値: 「1.2万人」）",
            )
        ],
    ),
    "budget_in_oku_yen": (
        lambda e: _policy(e)["projects"][0].update(budget="1億円"),
        [
            (
                "政策1",
                "G39",
                "unit-converted",
                "warning",
                "政策1!G39「予算額(千円)」: 100,000千円 として読み取りました（億円から千円に換算）。違う場合は千円単位の数値で"
                "入力してください（入力値: 「1億円」）",
            )
        ],
    ),
    "budget_in_people": (
        lambda e: _policy(e)["projects"][0].update(budget="6人"),
        [
            (
                "政策1",
                "G39",
                "budget-unit",
                "error",
                "政策1!G39「予算額(千円)」: 予算額に金額ではない単位「人」が付いています。千円単位の金額を数値で入力してください"
                "（入力値: 「6人」）",
            )
        ],
    ),
    "budget_not_decided": (
        lambda e: _policy(e)["projects"][0].update(budget="未定"),
        [
            (
                "政策1",
                "G39",
                "budget-not-a-number",
                "warning",
                "政策1!G39「予算額(千円)」: 予算額が数値でないため、予算の合計に含めていません。金額が決まっていれば千円単位の"
                "数値で入力してください（入力値: 「未定」）",
            )
        ],
    ),
    "approximate_actual": (  # read and used: not sent to 計画指標の選定理由
        lambda e: _ind(e).update(actual="約6"),
        [
            (
                "政策1",
                "L26",
                "approximate-value",
                "warning",
                "政策1!L26「今年度実績値」: 概数を 6部会 として読み取り、判定に使いました。確定した値があれば数値で入力してください"
                "（入力値: 「約6」）",
            )
        ],
    ),
    "two_measures_in_one_cell": (
        lambda e: _ind(e, 1).update(target="住宅耐震化率68% 耐震義務付け対象建築物の耐震化48%"),
        [
            (
                "政策1",
                "J27",
                "several-values",
                "warning",
                "政策1!J27「今年度目標値」: 1つのセルに複数の測定値があるため判定できません（判定不可）。"
                "測定値ごとに指標を1行ずつ分けて入力してください（入力値: 「住宅耐震化率68% 耐震義務付け対象建築物の耐震化48%」）",
            )
        ],
    ),
    "relative_target": (
        lambda e: _ind(e, 1).update(target="700億円の増"),
        [
            (
                "政策1",
                "J27",
                "relative-value",
                "warning",
                "政策1!J27「今年度目標値」: 増減で書かれているため判定できません（判定不可）。判定するには、増減後に到達する値を"
                "数値で入力してください（入力値: 「700億円の増」）",
            )
        ],
    ),
    "number_inside_a_sentence": (
        lambda e: _ind(e, 1).update(target="限りなく100%に近付ける。"),
        [
            (
                "政策1",
                "J27",
                "value-in-text",
                "warning",
                "政策1!J27「今年度目標値」: 文章の中の数値は判定に使えません（判定不可）。判定するには「100%」のように数値と単位だけを"
                "入力してください（補足は「100%（見込み）」のように括弧で添えられます）（入力値: 「限りなく100%に近付ける。」）",
            )
        ],
    ),
    "fraction_actual": (
        lambda e: _ind(e, 1).update(actual="3/16"),
        [
            (
                "政策1",
                "L27",
                "fraction-value",
                "warning",
                "政策1!L27「今年度実績値」: 分数のため判定できません（判定不可）。判定するには割合（18.8%）か件数を数値で"
                "入力してください（入力値: 「3/16」）",
            )
        ],
    ),
    "era_less_as_of": (
        lambda e: _ind(e).update(baseline_as_of="23年度当初"),
        [
            (
                "政策1",
                "G26",
                "era-inferred",
                "warning",
                "政策1!G26「基準値時点」: 元号のない年を「平成23年度当初」（2011年4月）として読み取りました。"
                "違う場合は元号を付けて入力してください（入力値: 「23年度当初」）",
            )
        ],
    ),
    "two_as_of_in_one_cell": (
        lambda e: _ind(e).update(target_as_of="住宅:H27年度\n耐震義務付け対象建築物:H27年度"),
        [
            (
                "政策1",
                "K26",
                "several-as-of",
                "warning",
                "政策1!K26「今年度目標値時点」: 1つのセルに複数の時点があります（2015年度として読み取りました）。"
                "指標ごとに1行ずつ分けて入力してください（入力値: 「住宅:H27年度\n耐震義務付け対象建築物:H27年度」）",
            )
        ],
    ),
    "missing_actual_at_final": (
        lambda e: _ind(e, 1).update(actual="なし"),
        [
            (
                "政策1",
                "L27",
                "missing-actual",
                "warning",
                "政策1!L27「今年度実績値」: 今年度目標値があるのに今年度実績値が入力されていません（実績未記入）。"
                "最終評価では実績値を入力してください",
            )
        ],
    ),
    "no_indicators_at_final": (
        lambda e: _policy(e).update(indicators=[]),
        [
            (
                "政策1",
                "B25",
                "no-indicators",
                "warning",
                "政策1!B25「測定指標」: 測定指標が入力されていません。測定指標を設けない政策は、指標名に「測定指標なし」と"
                "入力してください",
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
        blocking = any(severity == "blocking" for *_rest, severity, _msg in expected)
        errors = any(severity == "error" for *_rest, severity, _msg in expected)
        assert result.accepted is (not blocking), name
        assert result.needs_correction is (errors and not blocking), name


def test_all_problems_of_one_file_are_reported_together(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    seed.update(department=None, stage="年度末")
    _ind(seed).update(actual="6,,0", direction="上昇")
    _policy(seed).update(achievement=11)
    [result] = validate_files([make_book(seed)])
    assert [(i.sheet, i.cell, i.code) for i in result.issues] == [
        ("", "", "unplaceable"),
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


def test_what_real_divisions_type_is_read_without_an_issue(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    seed["head"] = "課長 岩下 浩之"
    _policy(seed)["progress"] = "◎(予定以上)"
    _ind(seed).update(unit="部会", baseline="〇部会", start="０", target="二", actual="六部会", long_term_target="四")
    _ind(seed, 1).update(baseline_as_of="H26.4", target_as_of="2016年3月", actual_as_of="R4.3.31")
    second = copy.deepcopy(_policy(seed))
    second.update(indicators=[{"name": "測定指標なし"}], progress="○(予定どおり)", achievement=8)
    seed["policies"].append(second)
    [result] = validate_files([make_book(seed)])
    assert result.issues == ()
    assert result.record is not None
    first, other = result.record["policies"]
    assert result.record["head"] == "課長 岩下 浩之"
    assert [first["indicators"][0][k] for k in ("baseline", "start", "target", "actual", "long_term_target")] == [
        0,
        0,
        2,
        6,
        4,
    ]
    assert [first["indicators"][1][k]["normalised"] for k in ("baseline_as_of", "target_as_of", "actual_as_of")] == [
        "2014-04",
        "2016-03",
        "2022-03",
    ]
    assert (other["indicators"], other["progress"]) == ([], "○")


def test_values_reach_the_record_in_the_rows_unit_with_their_notes(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    _ind(seed).update(unit=None, baseline="0部会", target="2部会（見込み）", actual="約6", long_term_target="16施設")
    _ind(seed, 1).update(unit="千円", target="1億円", actual="1兆7,319億円", long_term_target="全て達成する")
    _policy(seed)["projects"][0].update(budget="628,500円(補正後)")
    _policy(seed)["indicators"].append(
        {"name": "受講者数", "unit": "人", "target": "1,200人", "actual": "3万5千人（見込み）"}
    )
    [result] = validate_files([make_book(seed)])
    assert result.accepted
    assert result.record is not None
    policy = result.record["policies"][0]
    keys = ("unit", "target", "target_note", "actual", "actual_note", "long_term_target", "long_term_target_note")
    assert [tuple(ind[k] for k in keys) for ind in policy["indicators"]] == [
        ("部会", 2, "見込み", 6, "約", "16施設", None),
        ("千円", 100000, None, 1_731_900_000, None, "全て達成する", None),
        ("人", 1200, None, 35000, "見込み", None, None),
    ]
    assert (policy["projects"][0]["budget"], policy["projects"][0]["budget_note"]) == (628.5, "補正後")
    assert [(i.cell, i.code) for i in result.issues] == [
        ("D26", "unit-inferred"),
        ("J26", "value-note"),
        ("L26", "approximate-value"),
        ("N26", "unit-mismatch"),
        ("J27", "unit-converted"),
        ("L27", "unit-converted"),
        ("N27", "qualitative-value"),
        ("L28", "value-note"),
        ("G39", "unit-converted"),
    ]


def test_a_policy_that_says_it_has_no_indicators_gets_no_warning(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    _policy(seed)["indicators"] = [{"name": "測定指標なし", "selection_reason": "数値化になじまないため"}]
    [result] = validate_files([make_book(seed)])
    assert result.issues == ()
    assert result.record is not None and result.record["policies"][0]["indicators"] == []


@pytest.mark.parametrize("stage", ["当初", "中間"])
def test_missing_actuals_and_indicators_are_only_asked_for_at_the_final_stage(
    make_book: Callable[..., Path], seed: dict[str, Any], stage: str
) -> None:
    seed["stage"] = stage
    _ind(seed).update(actual=None)
    second = copy.deepcopy(_policy(seed))
    second["indicators"] = []
    seed["policies"].append(second)
    [result] = validate_files([make_book(seed)])
    assert [i.code for i in result.issues if i.code in ("missing-actual", "no-indicators")] == []


@pytest.fixture(scope="module")
def seed_raw(template_path: Path, tmp_path_factory: pytest.TempPathFactory) -> RawSubmission:
    """The seed's raw cells, read once: value cells are then replaced in memory."""
    from pipeline.contract.fill import fill_template

    path = fill_template(seed_entries(), tmp_path_factory.mktemp("raw") / "seed.xlsx", template=template_path)
    return read_submission(path.read_bytes())


VALUE_COLUMNS = ("baseline", "start", "target", "actual", "long_term_target")
AS_OF_COLUMNS = ("baseline_as_of", "start_as_of", "target_as_of", "actual_as_of", "long_term_as_of")
CELL_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet="0123456789０１２,.%％▲△-− 億万千十六〇円人件施設()（）約見込み以上※:/\n増の年度HR元末当初",
        max_size=25,
    ),
)


@given(
    st.sampled_from((*VALUE_COLUMNS, *AS_OF_COLUMNS, "unit", "budget")),
    st.integers(min_value=0, max_value=1),
    CELL_TEXT,
    CELL_TEXT,
)
@settings(max_examples=150, deadline=None)
def test_any_text_in_any_value_cell_is_a_value_a_text_or_an_issue(
    seed_raw: RawSubmission, key: str, row: int, text: str, other: str
) -> None:
    raw = copy.deepcopy(seed_raw)
    policy = raw.policies[0]
    table = "projects" if key == "budget" else "indicators"
    cells = policy.tables[table][0 if key == "budget" else row]
    cells[key] = replace(cells[key], text=text)
    if key in VALUE_COLUMNS:  # a second value of the same row, so that units meet
        partner = VALUE_COLUMNS[(VALUE_COLUMNS.index(key) + 1) % len(VALUE_COLUMNS)]
        cells[partner] = replace(cells[partner], text=other)
    validated = validate_raw(raw, file="seed.xlsx")
    assert validated.record is not None
    record = validated.record["policies"][0][table][0 if key == "budget" else row]
    at_cell = [i for i in validated.issues if (i.sheet, i.cell) == (cells[key].sheet, cells[key].address)]
    value = record[key]
    if key == "unit":
        assert value is None or isinstance(value, str)
    elif key in AS_OF_COLUMNS:
        assert value is None or isinstance(value["text"], str)
        assert value is not None or not clean_text(text) or at_cell
    elif isinstance(value, str):  # kept as typed: 判定不可, and the division is told why
        assert key != "budget"
        assert value == clean_text(text)
        assert [i.severity for i in at_cell] == ["warning"]
    elif value is None:
        assert not clean_text(text) or at_cell
    else:
        assert isinstance(value, int | float) and not isinstance(value, bool)
    assert validated.issues == tuple(sorted(set(validated.issues), key=validated.issues.index))

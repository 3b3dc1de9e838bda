"""The issue catalogue is one typed enum: every code kebab-case and unique, with a level and a Japanese message."""

from __future__ import annotations

import re

from pipeline.model import Code, make_issue


def test_every_code_has_a_kebab_case_value_a_level_and_a_japanese_template() -> None:
    values = [code.value for code in Code]
    assert len(values) == len(set(values)) >= 80
    for code in Code:
        assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", code.value), code
        assert code.severity in ("blocking", "error", "warning"), code
        assert re.search(r"[ぁ-んァ-ン一-龥]", code.template), code


def test_file_level_problems_block_and_wrong_values_do_not() -> None:
    assert {Code.CORRUPT_ZIP.severity, Code.UNPLACEABLE.severity, Code.RESUBMISSION_TIE.severity} == {"blocking"}
    assert (Code.OUT_OF_RANGE.severity, Code.NOT_A_NUMBER.severity) == ("error", "error")
    assert (Code.UNIT_INFERRED.severity, Code.MISSING_ACTUAL.severity) == ("warning", "warning")


def test_an_issue_carries_its_code_as_text_and_its_level() -> None:
    issue = make_issue(Code.OUT_OF_RANGE, sheet="政策1", cell="C52", field="達成度の評価", found="11", low=0, high=10)
    assert (issue.code, issue.severity) == ("out-of-range", "error")
    assert issue.message == "政策1!C52「達成度の評価」: 0～10の整数を入力してください（入力値: 「11」）"
    assert issue.to_dict()["code"] == "out-of-range" and type(issue.to_dict()["code"]) is str

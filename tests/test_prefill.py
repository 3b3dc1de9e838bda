"""prefill: next year's and next stage's workbooks from the history, validated and merged back."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipeline.api import merge_inbox, validate_files
from pipeline.config import Settings
from pipeline.contract.fill import fill_template, type_into
from pipeline.history import store
from pipeline.history.lineage import IndicatorRename, LineageRow
from pipeline.history.prefill import STATE_FILE, PrefillError, plan, prefill
from pipeline.model import DivisionKey
from pipeline.outputs.lock import outbox_lock
from scripts.seed import seed_entries
from tests.history_tables import division, indicator, table

# ---------------------------------------------------------------- a real history: two divisions merged and recorded


def _kasen() -> dict[str, Any]:
    """A second division: two policies, a qualitative actual, 時点 typed, a budget, results and challenges."""
    return {
        "fiscal_year": "H27",
        "stage": "最終",
        "department": "県土整備部",
        "division": "河川課",
        "division_code": "5102",
        "head": "森田誠",
        "phone": "0857-26-7374",
        "missions": ["○治水対策の推進。", "○河川環境の保全。"],
        "policies": [
            {
                "policy_title": "河川改修の推進",
                "goals": ["・河川改修を計画どおり進める"],
                "related_plans": {"将来ビジョン": "○", "その他": "○"},
                "related_plans_note": "河川整備計画",
                "long_term_goal": "平成31年度までに改修率を60%にする。",
                "indicators": [
                    {
                        "name": "河川改修率",
                        "category": "成果指標",
                        "unit": "%",
                        "baseline": 50.5,
                        "baseline_as_of": "H26",
                        "start": 50.5,
                        "start_as_of": "H26",
                        "target": 52,
                        "actual": 52.3,
                        "actual_as_of": "H28.3",
                        "long_term_target": 60,
                        "long_term_as_of": "H31",
                        "plan": "河川整備計画",
                        "selection_reason": "治水の進み具合を表す",
                    },
                    {
                        "name": "水防訓練の実施",
                        "category": "活動指標",
                        "unit": "回",
                        "target": "全ての水防管理団体で実施",
                        "actual": "全ての水防管理団体で実施した",
                    },
                ],
                "projects": [{"number": "1", "name": "河川改修事業", "budget": 1250000, "summary": "改修工事"}],
                "progress": "○（予定通り）",
                "achievement": 8,
                "evaluation_reason": "計画どおり進んだ。",
                "results": [{"action": "改修工事", "outcome": "3.2km を改修した。"}],
                "challenges": [{"challenge": "用地取得", "next_action": "早めに地元と調整する。"}],
            },
            {
                "sheet": "政策2",
                "policy_title": "河川の維持管理",
                "goals": ["・堆積土砂を除去する"],
                "related_plans": {},
                "indicators": [
                    {"name": "土砂撤去量", "category": "活動指標", "unit": "千m3", "target": 40, "actual": 38}
                ],
                "projects": [],
                "progress": "△（やや遅れ）",
                "achievement": 6,
                "evaluation_reason": "出水で遅れた。",
                "results": [],
                "challenges": [],
            },
        ],
    }


def _merge(inbox: Path, outbox: Path) -> pl.DataFrame:
    run = merge_inbox(Settings(inbox=inbox, outbox=outbox))
    return run.result.tables["indicators"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The history of one merge: the seed and 河川課, FY H27 最終."""
    root = tmp_path_factory.mktemp("prefill")
    for entries in (seed_entries(), _kasen()):
        (root / "inbox" / entries["department"]).mkdir(parents=True, exist_ok=True)
        fill_template(entries, root / "inbox" / entries["department"] / f"{entries['division']}.xlsx")
    run = merge_inbox(Settings(inbox=root / "inbox", outbox=root / "outbox"))
    assert len(run.result.tables["divisions"]) == 2
    store.record_merge(root / "history", run.result)
    return root / "history"


def _issues(paths: list[Path]) -> list[tuple[str, str, str, str]]:
    return [(Path(r.display).name, i.sheet, i.cell, i.code) for r in validate_files(paths) for i in r.issues]


def _record(path: Path) -> dict[str, Any]:
    (result,) = validate_files([path])
    assert result.record is not None
    return result.record


# ---------------------------------------------------------------- next year


def test_next_year_workbooks_are_named_by_division_and_validate_as_they_stand(history: Path, tmp_path: Path) -> None:
    done = prefill(history, fiscal_year=2016, outdir=tmp_path)

    assert [p.relative_to(tmp_path).as_posix() for p in done.files] == [
        "県土整備部/河川課.xlsx",
        "総務部/情報政策課.xlsx",
    ]
    assert (done.skipped, done.notes) == ((), ())
    # at 当初 nothing that was cleared is required: the division only types this year's targets; the one warning is
    # last year's qualitative 実績, now the 年度当初値
    assert _issues(list(done.files)) == [("河川課.xlsx", "政策1", "H27", "qualitative-value")]


def test_next_year_at_final_stage_asks_only_for_the_evaluation(history: Path, tmp_path: Path) -> None:
    done = prefill(history, fiscal_year=2016, stage="最終", outdir=tmp_path)

    missing = [("河川課.xlsx", s, cell, "missing-field") for s in ("政策1", "政策2") for cell in ("C51", "C52", "C53")]
    assert sorted(_issues([tmp_path / "県土整備部" / "河川課.xlsx"])) == sorted(
        [*missing, ("河川課.xlsx", "政策1", "H27", "qualitative-value")]
    )
    assert len(done.files) == 2


def test_next_year_carries_the_plan_and_starts_from_last_years_actuals(history: Path, tmp_path: Path) -> None:
    prefill(history, fiscal_year=2016, outdir=tmp_path)
    record = _record(tmp_path / "県土整備部" / "河川課.xlsx")

    assert (record["fiscal_year"], record["stage"], record["division_code"]) == (2016, "当初", "5102")
    assert (record["head"], record["phone"], record["missions"]) == ("森田誠", "0857-26-7374", _kasen()["missions"])
    first, second = record["policies"]
    assert (first["sheet"], first["policy_title"], second["sheet"], second["policy_title"]) == (
        "政策1",
        "河川改修の推進",
        "政策2",
        "河川の維持管理",
    )
    assert first["goals"] == ["・河川改修を計画どおり進める"]
    assert [p["label"] for p in first["related_plans"] if p["marked"]] == ["将来ビジョン", "その他"]
    assert (first["related_plans_note"], first["long_term_goal"]) == (
        "河川整備計画",
        "平成31年度までに改修率を60%にする。",
    )
    rate, drill = first["indicators"]
    assert {k: rate[k] for k in ("start", "baseline", "long_term_target", "unit", "category", "plan")} == {
        "start": 52.3,
        "baseline": 50.5,
        "long_term_target": 60,
        "unit": "%",
        "category": "成果指標",
        "plan": "河川整備計画",
    }
    assert [rate[k]["text"] for k in ("start_as_of", "baseline_as_of", "long_term_as_of")] == ["H28.3", "H26", "H31"]
    assert [rate[k] for k in ("target", "target_as_of", "actual", "actual_as_of")] == [None] * 4
    assert (drill["start"], drill["target"], drill["actual"]) == ("全ての水防管理団体で実施した", None, None)
    assert drill["start_as_of"]["text"] == "H27"  # no 時点 typed for the actual: last year
    assert [{k: p[k] for k in ("number", "name", "budget", "summary")} for p in first["projects"]] == [
        {"number": "1", "name": "河川改修事業", "budget": None, "summary": "改修工事"}
    ]
    for policy in record["policies"]:
        assert (policy["progress"], policy["achievement"], policy["evaluation_reason"]) == (None, None, None)
        assert (policy["results"], policy["challenges"]) == ([], [])
    seed = _record(tmp_path / "総務部" / "情報政策課.xlsx")
    assert [(i["name"], i["start"], i["start_as_of"]["text"]) for i in seed["policies"][0]["indicators"]] == [
        ("システム共同化に向けた具体的な検討を行う部会の設置数", 6, "H27"),
        ("共同化が実現したシステム数", 0, "H27"),
    ]


def test_prefilled_typed_and_merged_has_last_years_actuals_as_start(history: Path, tmp_path: Path) -> None:
    done = prefill(history, fiscal_year=2016, outdir=tmp_path / "inbox")
    for path in done.files:
        record = _record(path)
        type_into(
            path,
            {
                "policies": [
                    {"indicators": [{"target": 10, "actual": 11} for _ in policy["indicators"]]}
                    for policy in record["policies"]
                ]
            },
        )

    merged = _merge(tmp_path / "inbox", tmp_path / "outbox")

    last = store.load(history, "indicators").select("name", last_actual="actual", last_text="actual_text")
    joined = merged.join(last, on="name", how="left").sort("name")
    assert joined.select("name", "start", "start_text", "actual").rows() == [
        (name, actual, text, 11.0)
        for name, actual, text in last.sort("name").select("name", "last_actual", "last_text").rows()
    ]
    assert set(merged["fiscal_year"].to_list()) == {2016}


# ---------------------------------------------------------------- next stage of the same year


def test_next_stage_carries_the_whole_record_and_clears_the_actual_and_the_evaluation(
    history: Path, tmp_path: Path
) -> None:
    first_half = tmp_path / "history"
    tables = {t: store.load(history, t).drop("fiscal_year", "stage") for t in store.recorded_tables(history)}
    store.record(first_half, tables, 2015, "当初")

    done = prefill(first_half, fiscal_year=2015, stage="中間", outdir=tmp_path / "out")

    path = tmp_path / "out" / "県土整備部" / "河川課.xlsx"
    assert path in done.files
    record = _record(path)
    assert (record["fiscal_year"], record["stage"]) == (2015, "中間")
    rate = record["policies"][0]["indicators"][0]
    assert (rate["start"], rate["target"], rate["actual"], rate["actual_as_of"]) == (50.5, 52, None, None)
    assert record["policies"][0]["projects"][0]["budget"] == 1250000
    assert record["policies"][0]["results"] == [{"action": "改修工事", "outcome": "3.2km を改修した。"}]
    missing = [("河川課.xlsx", sheet, cell, "missing-field") for sheet in ("政策1", "政策2") for cell in ("C51", "C53")]
    # the qualitative target is carried (the year's targets stay): its warning with it
    assert sorted(_issues([path])) == sorted([*missing, ("河川課.xlsx", "政策1", "J27", "qualitative-value")])


# ---------------------------------------------------------------- lineage: the current name


def _small_history(root: Path, year: int, *names: tuple[str, str, str | None]) -> Path:
    """A history of one record: divisions (部局名, 所属名, code), one policy and one indicator each."""
    rows = [
        division(year, dept, name, code, head=f"{name}長", phone="0857-26-7000", missions="○ミッション")
        for dept, name, code in names
    ]
    policies = [
        {
            **{k: r[k] for k in ("file", "department", "division", "division_code", "fiscal_year", "stage")},
            "sheet": "政策1",
            "policy_no": 1,
            "policy_title": f"{r['division']}の政策",
            "goals": "・目標",
        }
        for r in rows
    ]
    indicators = [indicator(year, dept, name, f"{name}の指標", code=code, actual=5.0) for dept, name, code in names]
    store.record(
        root,
        {
            "divisions": table("divisions", rows),
            "policies": table(
                "policies", [{k: v for k, v in p.items() if k not in ("fiscal_year", "stage")} for p in policies]
            ),
            "indicators": table("indicators", indicators),
        },
        year,
        "最終",
    )
    return root


def _row(year: int, old: tuple[str, str], new: tuple[str, str], kind: str, line: int = 2) -> LineageRow:
    return LineageRow(year, DivisionKey(None, *old), DivisionKey(None, *new), kind, line)


def test_renamed_division_is_written_under_its_new_name_with_its_head(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2015, ("総務部", "情報政策課", None), ("総務部", "税務課", "1104"))
    lineage = [_row(2016, ("総務部", "情報政策課"), ("総務部", "デジタル推進課"), "改称")]

    drafts, skipped, notes = plan(history, fiscal_year=2016, lineage=lineage)

    assert [(d.key.division, d.entries["head"], d.kinds, [s.key.division for s in d.sources]) for d in drafts] == [
        ("デジタル推進課", "情報政策課長", ("改称",), ["情報政策課"]),
        ("税務課", "税務課長", (), ["税務課"]),
    ]
    assert (skipped, notes) == ([], [])


def test_merged_divisions_become_one_workbook_and_a_split_one_two(tmp_path: Path) -> None:
    history = _small_history(
        tmp_path / "h",
        2015,
        ("農林水産部", "農政課", None),
        ("農林水産部", "経営支援課", None),
        ("総務部", "財政課", None),
    )
    lineage = [
        _row(2016, ("農林水産部", "農政課"), ("農林水産部", "農業振興課"), "統合", 2),
        _row(2016, ("農林水産部", "経営支援課"), ("農林水産部", "農業振興課"), "統合", 3),
        _row(2016, ("総務部", "財政課"), ("総務部", "予算課"), "分割", 4),
        _row(2016, ("総務部", "財政課"), ("総務部", "資産活用課"), "分割", 5),
        _row(2016, ("総務部", "秘書課"), ("総務部", "広報課"), "改称", 6),
    ]

    drafts, _, notes = plan(history, fiscal_year=2016, lineage=lineage)

    assert [
        (d.key.division, [p["policy_title"] for p in d.entries["policies"]], d.entries["head"]) for d in drafts
    ] == [
        ("予算課", ["財政課の政策"], None),
        ("資産活用課", ["財政課の政策"], None),
        ("農業振興課", ["経営支援課の政策", "農政課の政策"], None),
    ]
    assert notes == ["lineage.csv 6行目: 旧所属「総務部 秘書課」が、作成元の記録にないため使いませんでした。"]
    merged = drafts[2].entries
    assert "sheet" not in merged["policies"][0]  # both predecessors had 政策1: numbered anew
    assert merged["missions"] == ["○ミッション"]


def test_rename_twice_across_a_missing_year_is_followed(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2015, ("総務部", "情報政策課", None))
    lineage = [
        _row(2016, ("総務部", "情報政策課"), ("総務部", "情報戦略課"), "改称"),
        _row(2017, ("総務部", "情報戦略課"), ("総務部", "デジタル推進課"), "改称"),
    ]

    (draft,), _, _ = plan(history, fiscal_year=2017, lineage=lineage)

    assert (draft.key.division, draft.kinds, draft.entries["fiscal_year"]) == ("デジタル推進課", ("改称", "改称"), 2017)


def test_lineage_rows_of_recorded_years_are_the_historys_and_raise_no_note(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2015, ("総務部", "情報政策課", None))
    _small_history(history, 2016, ("総務部", "情報戦略課", None))
    _small_history(history, 2017, ("総務部", "デジタル推進課", None))
    lineage = [
        _row(2016, ("総務部", "情報政策課"), ("総務部", "情報戦略課"), "改称", 2),
        _row(2017, ("総務部", "情報戦略課"), ("総務部", "デジタル推進課"), "改称", 3),
    ]

    drafts, skipped, notes = plan(history, fiscal_year=2018, lineage=lineage)

    assert [(d.key.division, d.kinds, d.sources[0].fiscal_year) for d in drafts] == [("デジタル推進課", (), 2017)]
    assert (skipped, notes) == ([], [])


def test_indicator_renames_of_the_new_year_rename_the_prefilled_indicator(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2015, ("総務部", "税務課", "1104"))
    renames = [IndicatorRename(2016, "1104", "税務課の指標", "県税収入率", 2)]

    (draft,), _, _ = plan(history, fiscal_year=2016, renames=renames)

    assert [i["name"] for i in draft.entries["policies"][0]["indicators"]] == ["県税収入率"]


def test_a_division_last_seen_before_last_year_is_skipped_and_said_so(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2014, ("総務部", "秘書課", None))
    _small_history(history, 2015, ("総務部", "税務課", None))

    drafts, skipped, _ = plan(history, fiscal_year=2016)

    assert [d.key.division for d in drafts] == ["税務課"]
    assert skipped == [
        "総務部 秘書課: 最新の記録が平成26年度（2014年度）最終で、平成27年度（2015年度）の記録がないため作りませんでした"
        "（廃止していなければ、平成27年度（2015年度）の工程表が集約・記録されているか確かめてください）"
    ]


def test_nothing_recorded_before_the_year_is_an_error(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2015, ("総務部", "税務課", None))

    with pytest.raises(PrefillError, match="平成27年度（2015年度）当初より前の記録がありません"):
        plan(history, fiscal_year=2015, stage="当初")
    with pytest.raises(PrefillError, match="評価時点「年度末」では作れません"):
        plan(history, fiscal_year=2016, stage="年度末")


def test_more_indicators_than_the_template_has_rows_are_all_written(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2015, ("総務部", "税務課", None))
    many = [indicator(2015, "総務部", "税務課", f"指標{i:02d}", row=26 + i, actual=float(i)) for i in range(13)]
    frames = {t: store.load(history, t).drop("fiscal_year", "stage") for t in ("divisions", "policies")}
    store.record(history, {**frames, "indicators": table("indicators", many)}, 2015, "最終")

    done = prefill(history, fiscal_year=2016, outdir=tmp_path / "out")

    indicators = _record(done.files[0])["policies"][0]["indicators"]
    assert [(i["name"], i["start"]) for i in indicators] == [(f"指標{i:02d}", i) for i in range(13)]


# ---------------------------------------------------------------- the output folder


def test_prefill_again_replaces_its_own_files_but_never_an_edited_or_foreign_one(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    prefill(history, fiscal_year=2016, outdir=out)
    prefill(history, fiscal_year=2016, outdir=out)  # unchanged since written: replaced
    edited = out / "総務部" / "情報政策課.xlsx"
    type_into(edited, {"head": "別の人"})

    with pytest.raises(
        PrefillError, match=re.escape("総務部/情報政策課.xlsx（prefill が書き出した後に編集されています）")
    ):
        prefill(history, fiscal_year=2016, outdir=out)
    assert _record(edited)["head"] == "別の人"

    foreign = tmp_path / "foreign"
    (foreign / "総務部").mkdir(parents=True)
    (foreign / "総務部" / "情報政策課.xlsx").write_bytes(b"the division's own file")
    with pytest.raises(PrefillError, match="prefill が書き出したものではありません"):
        prefill(history, fiscal_year=2016, outdir=foreign)
    assert (foreign / "総務部" / "情報政策課.xlsx").read_bytes() == b"the division's own file"

    done = prefill(history, fiscal_year=2016, outdir=out, force=True)
    assert _record(edited)["head"] == "田中健一"
    assert set(json.loads((out / STATE_FILE).read_text(encoding="utf-8"))) == {
        p.relative_to(out).as_posix() for p in done.files
    }


def test_prefill_refuses_a_folder_holding_a_merges_outputs(history: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "総務部").mkdir(parents=True)
    fill_template(copy.deepcopy(seed_entries()), inbox / "総務部" / "情報政策課.xlsx")
    merge_inbox(Settings(inbox=inbox, outbox=tmp_path / "outbox"))

    with pytest.raises(PrefillError, match="pipeline の別の出力"):
        prefill(history, fiscal_year=2016, outdir=tmp_path / "outbox")


def test_prefill_while_another_writes_the_folder_is_refused(history: Path, tmp_path: Path) -> None:
    with outbox_lock(tmp_path), pytest.raises(PrefillError, match="別の処理が出力先"):
        prefill(history, fiscal_year=2016, outdir=tmp_path)
    assert list(tmp_path.rglob("*.xlsx")) == []


def test_what_prefill_tells_the_office(tmp_path: Path) -> None:
    history = _small_history(tmp_path / "h", 2014, ("総務部", "秘書課", None))
    _small_history(history, 2015, ("総務部", "情報政策課", None), ("総務部", "税務課", "1104"))
    lineage = [_row(2016, ("総務部", "情報政策課"), ("総務部", "デジタル推進課"), "改称")]

    done = prefill(history, fiscal_year=2016, lineage=lineage, outdir=tmp_path / "out")

    assert done.lines() == [
        f"平成28年度（2016年度）当初の工程表を 2 所属分、{tmp_path / 'out'} に書き出しました。",
        "- 総務部 デジタル推進課: 改称（元: 総務部 情報政策課）",
        "作らなかった所属: 総務部 秘書課: 最新の記録が平成26年度（2014年度）最終で、平成27年度（2015年度）の記録がないため"
        "作りませんでした（廃止していなければ、平成27年度（2015年度）の工程表が集約・記録されているか確かめてください）",
    ]

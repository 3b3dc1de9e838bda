"""Write the sample's second fiscal year (samples/2016/, FY H28 最終) and samples/lineage.csv, derived from the
sample inbox (inbox/, FY H27 最終), for the two-year demo of the history:

    pipeline merge --inbox inbox --history history/
    pipeline merge --inbox samples/2016 --history history/ --lineage samples/lineage.csv

Run: `.venv/bin/python scripts/make_history_sample.py [--out samples]`. The content is fixed (no randomness).

What changes from H27 to H28 (exactly these, so each continuity check shows once and nowhere else):

- 総務部 情報政策課 is renamed デジタル推進課 (lineage.csv: 改称 in 2016); its indicators continue on the same rows.
- 商工労働部 企業立地課 企業誘致・増設件数: 年度当初値 21 where last year's 実績 was 22 (a correction, or a mistake).
- 商工労働部 就業支援課 drops ふるさと就職フェアの参加企業数; 総務部 人事企画課 adds テレワーク実施職員数.
- Every other indicator continues: 年度当初値 = last 実績 (its 時点 the 実績's, else H27), this year's target = last
  実績 plus last year's planned step (目標値 − 当初値), this year's 実績 = last 実績 plus last year's achieved step
  (実績値 − 当初値), so an indicator behind target last year is behind again (two years in a row) and one that met
  it meets it again; 間伐実施面積, without an 実績 last year, keeps its 当初値 and target and again has no 実績
  (実績未記入 both years).
  基準値 and 長期的目標値 with their 時点 do not change; 時点 of targets and actuals move one year on.
"""

from __future__ import annotations

import copy
import csv
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.checks import normalise as nz  # noqa: E402
from pipeline.contract.fill import fill_template  # noqa: E402
from pipeline.history.lineage import LINEAGE_COLUMNS  # noqa: E402
from pipeline.intake.roster import COLUMNS as MASTER_COLUMNS  # noqa: E402
from scripts.make_sample_inbox import (  # noqa: E402
    MASTER_FILE,
    as_people_type,
    master_rows,
    sample_divisions,
    workbook_path,
)

YEAR = 2016
FOLDER = "2016"
LINEAGE_FILE = "lineage.csv"
# (部局名, 旧所属名, 新所属名)
RENAMED = ("総務部", "情報政策課", "デジタル推進課")
# (所属名, 指標名, 年度当初値 typed this year)
START_MISMATCH = ("企業立地課", "企業誘致・増設件数", 21)
DROPPED = ("就業支援課", "ふるさと就職フェアの参加企業数")
NEW = (
    "人事企画課",
    {
        "name": "テレワーク実施職員数",
        "category": "活動指標",
        "unit": "人",
        "baseline": 40,
        "baseline_as_of": "H27",
        "start": 40,
        "start_as_of": "H27",
        "target": 150,
        "actual": 180,
        "actual_as_of": "H29.3",
        "long_term_target": 500,
        "long_term_as_of": "H31",
        "selection_reason": "多様な働き方の広がりを表す",
    },
)

_ERA_YEAR = re.compile(r"(?P<era>[HR])(?P<n>\d+)")
_YEAR_FORMS = (("２７", "２８"), ("27", "28"), ("2015", "2016"))


def _number(value: Any) -> float | int | None:
    """The number a typed value reads as (units, full-width digits and ▲ included), else None."""
    parsed = nz.parse_value(None if value is None else str(value))
    return parsed.value if isinstance(parsed, nz.Number) else None


def _next_year_text(text: str | None) -> str | None:
    """A 時点 one year on: H28.3 → H29.3."""
    if text is None:
        return None
    return _ERA_YEAR.sub(lambda m: f"{m['era']}{int(m['n']) + 1}", text)


def _fiscal_year(typed: Any) -> Any:
    """This year typed the way the division typed last year (H27 → H28, 平成２７年度 → 平成２８年度, 2015 → 2016)."""
    if isinstance(typed, int):
        return typed + 1
    text = str(typed)
    for old, new in _YEAR_FORMS:
        if old in text:
            return text.replace(old, new)
    return text


def _rounded(value: float, *like: Any) -> float | int:
    """``value`` with as many decimals as the numbers it comes from."""
    decimals = max((len(str(v).partition(".")[2]) for v in like if isinstance(v, float)), default=0)
    out = round(value, decimals)
    return int(out) if decimals == 0 else out


def _continued(row: dict[str, Any]) -> dict[str, Any]:
    """An indicator's H28 row from its H27 row (module docstring)."""
    out = dict(row)
    start, target, actual = _number(row.get("start")), _number(row.get("target")), _number(row.get("actual"))
    out["start_as_of"] = (row.get("actual_as_of") or "H27") if row.get("actual") is not None else row.get("start_as_of")
    out["target_as_of"] = _next_year_text(row.get("target_as_of"))
    out["actual_as_of"] = _next_year_text(row.get("actual_as_of"))
    if row.get("actual") is None:  # no 実績 last year: the same 当初値 and target, and again no 実績
        return out
    out["start"] = actual if actual is not None else row["actual"]
    if actual is None or start is None:
        return out
    floor = 0.0 if min(start, actual) >= 0 else float("-inf")
    if target is not None:
        out["target"] = _rounded(max(floor, actual + (target - start)), start, target, actual)
    out["actual"] = _rounded(max(floor, actual + (actual - start)), start, actual)
    return out


def second_year(divisions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The H28 entries of the sample divisions (module docstring)."""
    out = []
    for last in divisions:
        entries = copy.deepcopy(dict(last))
        entries["fiscal_year"] = _fiscal_year(last["fiscal_year"])
        if (entries["department"], entries["division"]) == RENAMED[:2]:
            entries["division"] = RENAMED[2]
        for policy in entries["policies"]:
            rows = []
            for row in policy["indicators"]:
                if (last["division"], row["name"]) == DROPPED:
                    continue
                new = _continued(row)
                if (last["division"], row["name"]) == START_MISMATCH[:2]:
                    new["start"] = START_MISMATCH[2]
                rows.append(new)
            policy["indicators"] = rows
        if entries["division"] == NEW[0]:
            entries["policies"][0]["indicators"].append(dict(NEW[1]))
        out.append(entries)
    return out


def lineage_rows() -> list[tuple[str, ...]]:
    """samples/lineage.csv: the one 改称 of the sample."""
    department, old, new = RENAMED
    return [(str(YEAR), "", department, old, "", department, new, "改称")]


def write_samples(out: Path) -> list[Path]:
    """Write <out>/2016/<部局名>/<所属名>.xlsx, <out>/2016/所属名簿.csv and <out>/lineage.csv; return the paths."""
    # from the inbox as the divisions typed it (units with values, notes, 億円, an era-less 時点, one wrong value)
    divisions = second_year(as_people_type(sample_divisions()))
    folder = out / FOLDER
    paths = [workbook_path(folder, entries) for entries in divisions]
    for entries, path in zip(divisions, paths, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        fill_template(entries, path)
    master = folder / MASTER_FILE
    with master.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MASTER_COLUMNS)
        writer.writerows(master_rows(divisions))
    lineage = out / LINEAGE_FILE
    with lineage.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LINEAGE_COLUMNS)
        writer.writerows(lineage_rows())
    return [*paths, master, lineage]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("samples"),
    show_default=True,
    help="サンプルの2年目を書き出すフォルダ。",
)
def main(out: Path) -> None:
    """サンプルの2年目（平成28年度 最終、18 所属）と lineage.csv を作り直します。"""
    written = write_samples(out)
    click.echo(
        f"{out / FOLDER} に工程表 {len(written) - 2} ファイルと {MASTER_FILE}、{out / LINEAGE_FILE} を書き出しました。"
    )


if __name__ == "__main__":
    main()

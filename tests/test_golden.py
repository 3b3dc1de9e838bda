"""Golden outputs of the sample inbox: every table, summary.json, behind_target.md and the workbook's cell values.

The outputs are compared by content (design: never by the bytes of an xlsx). A deliberate change of an output is
recorded by regenerating the golden files, ``UPDATE_GOLDEN=1 pytest tests/test_golden.py``, and reviewing the diff.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline import api
from pipeline.config import Settings

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
# what changes from one run or checkout to the next, not with the pipeline: clock and file times
_VOLATILE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?Z?|\d{4}年\d{1,2}月\d{1,2}日(?: ?\d{1,2}:\d{2})?"
)


def _stable(text: str) -> str:
    return _VOLATILE.sub("<time>", text)


def _tables(outbox: Path) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for path in sorted((outbox / "tables").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            tables[path.stem] = [[_stable(cell) for cell in row] for row in csv.reader(handle)]
    return tables


def _workbook(path: Path) -> dict[str, Any]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    sheets: dict[str, Any] = {}
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            values = ["" if v is None else _stable(str(v)) for v in row]
            while values and values[-1] == "":
                values.pop()
            rows.append(values)
        while rows and not rows[-1]:
            rows.pop()
        sheets[sheet.title] = rows
    book.close()
    return sheets


def _outputs(outbox: Path) -> dict[str, Any]:
    summary = json.loads((outbox / "summary.json").read_text(encoding="utf-8"))
    return {
        "summary.json": json.loads(_stable(json.dumps(summary, ensure_ascii=False))),
        "behind_target.md": _stable((outbox / "behind_target.md").read_text(encoding="utf-8")).splitlines(),
        "tables": _tables(outbox),
        "consolidated.xlsx": _workbook(outbox / "consolidated.xlsx"),
        "feedback": sorted(
            p.relative_to(outbox / "feedback").as_posix() for p in (outbox / "feedback").rglob("*.xlsx")
        ),
    }


@pytest.fixture(scope="module")
def sample_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outbox = tmp_path_factory.mktemp("golden") / "outbox"
    settings = Settings(inbox=ROOT / "inbox", outbox=outbox, divisions=ROOT / "inbox" / "所属名簿.csv")
    api.merge_inbox(settings)
    return _outputs(outbox)


@pytest.mark.parametrize("part", ["summary.json", "behind_target.md", "tables", "consolidated.xlsx", "feedback"])
def test_sample_inbox_outputs_match_golden(sample_outputs: dict[str, Any], part: str) -> None:
    path = GOLDEN / f"{part}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(sample_outputs[part], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert sample_outputs[part] == expected

"""Time a feedback copy made by patching the package (`pipeline.outputs.patch`) against annotate's openpyxl re-save.

Run: `.venv/bin/python benchmarks/bench_patch.py [--copies 200]`.

The workbook is the standard template filled with the seed division and three policies (6 sheets),
with ten findings of validation on four sheets, as a division's week brings them. It prints the
median and best wall time per copy, the CPU time per copy (less disturbed by other processes on the
machine), and the same for annotate, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.api import validate_files  # noqa: E402
from pipeline.contract.fill import fill_template  # noqa: E402
from pipeline.model import Issue  # noqa: E402
from pipeline.outputs.feedback import annotate  # noqa: E402
from pipeline.outputs.patch import patch_workbook  # noqa: E402
from scripts.seed import seed_entries  # noqa: E402


def _faulty_entries() -> dict[str, Any]:
    """The seed with three policies and ten problems (errors and warnings) on 基本情報 and 政策1-3."""
    entries = seed_entries()
    first = entries["policies"][0]
    copies = [{**first, "indicators": [dict(i) for i in first["indicators"]]} for _ in range(2)]
    entries["policies"] += copies
    entries.update(fiscal_year="来年度", department=None, phone="内線1234")
    first["indicators"][0].update(actual="六", direction="上昇")
    first.update(achievement=11)
    copies[0]["indicators"][0].update(actual="6件", target="全て達成する")
    copies[0].update(progress=None)
    copies[1]["indicators"][0].update(target="全て達成する")
    return entries


def _timed(make: Any, copies: int) -> dict[str, float]:
    """Median and best wall ms, and mean CPU ms, per call."""
    walls = []
    cpu_start = time.process_time()
    for _ in range(copies):
        start = time.perf_counter()
        make()
        walls.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000 / copies
    return {"median_ms": statistics.median(walls), "best_ms": min(walls), "cpu_ms": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=200, help="copies to time (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = fill_template(_faulty_entries(), Path(folder) / "総務部_情報政策課.xlsx")
        [result] = validate_files([source])
        issues: tuple[Issue, ...] = result.issues
        data = source.read_bytes()
        patch_workbook(data, issues, filename=source.name)  # warm: imports, compiled patterns
        patched = _timed(lambda: patch_workbook(data, issues, filename=source.name), args.copies)
        target = Path(folder) / "annotated.xlsx"
        annotated = _timed(lambda: annotate(source, issues, target, data=data), max(5, args.copies // 20))
    sheets = len(_sheet_names(data))
    print(f"workbook: {sheets} sheets, {len(data):,} bytes, {len(issues)} issues")
    print(f"{'':10}{'median ms':>12}{'best ms':>10}{'cpu ms':>10}")
    for name, figures in (("patch", patched), ("annotate", annotated)):
        print(f"{name:10}{figures['median_ms']:12.2f}{figures['best_ms']:10.2f}{figures['cpu_ms']:10.2f}")
    print(json.dumps({"sheets": sheets, "issues": len(issues), "patch": patched, "annotate": annotated}))


def _sheet_names(data: bytes) -> list[str]:
    import io

    import fastexcel

    return list(fastexcel.read_excel(io.BytesIO(data).getvalue()).sheet_names)


if __name__ == "__main__":
    main()

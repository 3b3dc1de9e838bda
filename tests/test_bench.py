"""The merge benchmark runs end to end on a small generated corpus and prints its one JSON line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "bench_merge.py"
KEYS = [
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
]


@pytest.mark.slow
def test_bench_merge_prints_json_line_and_the_merge_treats_each_generated_file_as_meant(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(BENCH),
        *("--n", "20", "--runs", "1", "--naive-sample", "3", "--corpus-dir", str(tmp_path), "--rerun"),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert list(result) == KEYS
    assert result["n"] == 20
    for key in ("merge_s", "read_floor_s", "write_floor_s", "naive_s"):
        assert result[key] > 0, key
    table = done.stdout
    for stage in ("discover", "parse", "merge", "write", "start-up"):  # the merge's stages, from --timings
        assert re.search(rf"^  {stage} +[0-9.]+s", table, re.MULTILINE), stage
    if sys.platform.startswith("linux"):  # the CPU time of the whole process tree needs a child subreaper
        cpu = float(re.search(r"^  cpu +([0-9.]+)s", table, re.MULTILINE)[1])  # type: ignore[index]
        spread = float(re.search(r"^  cpu / cores +([0-9.]+)s", table, re.MULTILINE)[1])  # type: ignore[index]
        assert cpu > 0
        assert spread == pytest.approx(cpu / (os.cpu_count() or 1), abs=0.002)

    (summary_path,) = tmp_path.glob("v*-n20-week/last-outbox/summary.json")
    files = json.loads(summary_path.read_text(encoding="utf-8"))["files"]
    # a week of 20: file 17 broken (不受理), file 3 with a value error (受理（要修正）), 6 more with warnings
    assert (files["seen"], files["accepted"] + files["needs_correction"], files["rejected"]) == (20, 19, 1)
    assert files["needs_correction"] == 1
    assert result["feedback_copies"] >= 7
    assert result["copy_ms"] > 0
    assert result["rerun_nothing_s"] > 0 and result["rerun_one_s"] > 0

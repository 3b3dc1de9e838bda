"""Defaults in one place: folders, file patterns, grade bands, worker limits."""

from __future__ import annotations

from pathlib import Path

DEFAULT_INBOX = Path("inbox")
DEFAULT_OUTBOX = Path("outbox")
DEFAULT_TEMPLATE = Path("templates") / "工程表テンプレート_v1.xlsx"
CONFIG_FILE = Path("pipeline.toml")

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Formats divisions sometimes send instead of the template, reported as unsupported.
UNSUPPORTED_SUFFIXES = {
    ".xls": "Excel 97-2003 (.xls)",
    ".ods": "OpenDocument (.ods)",
    ".csv": "CSV",
    ".xlsb": "Excel バイナリ (.xlsb)",
    ".numbers": "Numbers",
}
# Files the operating system puts in any folder (thumbnail caches, folder settings): ignored without a word.
OS_FILES = frozenset(
    {"thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini", ".ds_store", ".localized", "icon\r"}
)
OS_FOLDERS = frozenset({"__macosx", "$recycle.bin", "system volume information"})
# The division master list (所属名簿) has these columns; a CSV in the inbox with them is the roster, not a submission.
ROSTER_COLUMNS = ("所属コード", "部局名", "所属名")
# What the pipeline writes into a folder it publishes to: a folder holding this file is an outbox, never read as
# an inbox (the same name as pipeline.outputs.publish.MANIFEST).
MANIFEST_NAME = ".pipeline-manifest.json"
LOCK_PREFIX = "~$"
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".crdownload", ".partial")

# 評価区分: (grade, minimum achievement rate in percent), best first; below the last → "D".
DEFAULT_GRADE_BANDS: tuple[tuple[str, float], ...] = (("A", 100.0), ("B", 80.0), ("C", 50.0))
LOWEST_GRADE = "D"
# The rate the grade is taken from: 達成率 (実績÷目標) or 進捗率 (当初値比).
DEFAULT_GRADE_BASIS = "達成率"
# 信号 on 概要: a department's share of indicators met (percent) at or above the first is 青, at or above the
# second 黄, below it 赤.
DEFAULT_SIGNAL_THRESHOLDS: tuple[float, float] = (90.0, 70.0)

# A file whose size or mtime changed within this many seconds may still be being written: when its bytes are not a
# complete workbook yet, it is held over (保留) rather than rejected as broken.
SETTLE_SECONDS = 2.0
# A workbook's own saved time later than now by more than this is a wrong clock, not a later version.
FUTURE_TOLERANCE_SECONDS = 86_400.0

# Worker isolation: each parse runs in a process with these caps.
WORKER_MEMORY_MB = 1024
WORKER_TIMEOUT_S = 60.0

# Annotated copies of files with issues: outbox/feedback/<部局名>/<所属名>.xlsx
FEEDBACK_FOLDER = "feedback"

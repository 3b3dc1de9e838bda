"""Merge per-file results into prefecture-wide polars tables: scope, resubmissions, fates.

One merge is one (fiscal year, stage). Every file seen gets a row in ``submissions``
with its fate; every value row carries its source file, sheet and cell.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from pipeline.combine.flatten import VALUE_TABLES, columns, columns_of_result
from pipeline.combine.identity import Identities, identify
from pipeline.constants import FUTURE_TOLERANCE_SECONDS
from pipeline.contract import layout
from pipeline.intake.discover import Found
from pipeline.model import Code, DivisionKey, FileResult, Issue, Master, make_issue

FATES = {
    "accepted": "受理",
    "needs-correction": "受理（要修正）",
    "rejected": "不受理",
    "superseded": "置換済み",
    "out-of-scope": "対象外",
    "unsupported": "形式対象外",
    "skipped": "除外",
    "in-transit": "保留（書き込み中）",
}
STAGE_ORDER = {stage: i for i, stage in enumerate(layout.STAGES)}
TABLES = (*VALUE_TABLES, "submissions", "errors")
# The fates whose files are merged into the tables: a file with a wrong value stays in every output, that value
# marked (design §4), unless the merge is strict.
MERGED_FATES = frozenset({"accepted", "needs-correction"})


@dataclass(frozen=True)
class MergeResult:
    """The merged tables and what the run decided."""

    fiscal_year: int | None
    stage: str | None
    tables: dict[str, pl.DataFrame]
    not_submitted: tuple[DivisionKey, ...] = ()
    fates: dict[str, int] = field(default_factory=dict)
    roster: tuple[DivisionKey, ...] = ()  # the division master in its row order: the outputs' 組織順


def _saved_time(result: FileResult, now: datetime) -> tuple[datetime, bool]:
    """When the workbook says it was saved (core properties), else the file's mtime; and whether the workbook's own
    time lay in the future (a wrong clock: then the mtime is used, and a time in the future is no time at all)."""
    limit = now + timedelta(seconds=FUTURE_TOLERANCE_SECONDS)
    mtime = datetime.fromtimestamp(result.mtime, tz=UTC)
    fallback = mtime if mtime <= limit else _UNKNOWN_TIME
    if result.saved_at:
        try:
            stamp = datetime.fromisoformat(result.saved_at.replace("Z", "+00:00"))
        except ValueError:
            return fallback, False
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        return (fallback, True) if stamp > limit else (stamp, False)
    return fallback, False


_UNKNOWN_TIME = datetime.min.replace(tzinfo=UTC)


def division_key(record: dict[str, Any]) -> tuple[str, ...]:
    """Identity of a division by its record alone: its code, else department + division (see combine.identity for
    how files are grouped: code and names together)."""
    code = record.get("division_code")
    return ("code", code) if code else ("name", record.get("department") or "", record.get("division") or "")


def choose_scope(results: Sequence[FileResult], year: int | None, stage: str | None) -> tuple[int | None, str | None]:
    """The (fiscal year, stage) of this merge: given, else the most common among readable files."""
    pairs = Counter(
        (r.record.get("fiscal_year"), r.record.get("stage")) for r in results if r.accepted and r.record is not None
    )
    if not pairs:
        pairs = Counter((r.record.get("fiscal_year"), r.record.get("stage")) for r in results if r.record)
    candidates = [
        (n, y, STAGE_ORDER.get(s or "", -1), y, s)
        for (y, s), n in pairs.items()
        if isinstance(y, int) and s in STAGE_ORDER and (year is None or y == year) and (stage is None or s == stage)
    ]
    if not candidates:
        return year, stage
    best = max(candidates)
    return best[3], best[4]


def _with_issue(result: FileResult, issue: Issue) -> FileResult:
    return replace(result, issues=(*result.issues, issue))


def _decide_fates(
    results: Sequence[FileResult],
    year: int | None,
    stage: str | None,
    master: Master | None = None,
    strict: bool = False,
) -> tuple[list[str], list[FileResult], Identities]:
    """A fate for every workbook result; division identity, resubmissions and ties decided; issues added where the
    fate needs one."""
    fates: list[str] = []
    updated = list(results)
    scope_text = f"{year}年度・{stage}"
    in_scope: list[int] = []
    for i, r in enumerate(results):
        if r.in_transit:
            fates.append("in-transit")
        elif any(issue.code == Code.ROSTER_IN_INBOX for issue in r.issues):
            fates.append("skipped")  # the roster kept in the inbox, as a workbook: not a submission
        elif not r.accepted or r.record is None or (strict and r.needs_correction):
            fates.append("rejected")  # strict: a file with a wrong value never supersedes an earlier correct one
        elif (r.record.get("fiscal_year"), r.record.get("stage")) != (year, stage):
            fates.append("out-of-scope")
            found = f"{r.record.get('fiscal_year')}年度・{r.record.get('stage')}"
            issue = make_issue(Code.OUT_OF_SCOPE, file=r.display, found=found, quote=False, scope=scope_text)
            updated[i] = _with_issue(r, issue)
        else:
            fates.append("accepted")
            in_scope.append(i)
    identities = identify([(results[i].display, results[i].record or {}) for i in in_scope], master)
    now = datetime.now(UTC)
    times: dict[int, datetime] = {}
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in in_scope:
        display = results[i].display
        if display in identities.conflicts:
            fates[i] = "rejected"
            updated[i] = _with_issue(updated[i], identities.conflicts[display])
            continue
        times[i], future = _saved_time(results[i], now)
        if future:
            decision = (
                "新旧の判断にはファイルの更新日時を使いました。"
                if times[i] != _UNKNOWN_TIME
                else "ファイルの更新日時も未来のため、同じ所属のファイルのうち最も古いものとして扱いました。"
            )
            stamp = results[i].saved_at
            issue = make_issue(Code.FUTURE_SAVED_TIME, file=display, found=stamp, decision=decision, quote=False)
            updated[i] = _with_issue(updated[i], issue)
        groups[identities.keys[display]].append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        members = _without_copies(members, results, fates, updated)
        ordered = sorted(members, key=lambda i: times[i], reverse=True)
        latest = times[ordered[0]]
        tied = [i for i in ordered if times[i] == latest]
        if len(tied) > 1:
            for i in tied:
                others = "、".join(results[j].display for j in tied if j != i)
                fates[i] = "rejected"
                updated[i] = _with_issue(
                    updated[i], make_issue(Code.RESUBMISSION_TIE, file=results[i].display, other=others)
                )
        winner = ordered[0] if len(tied) == 1 else None
        for i in ordered:
            if i in tied:
                continue
            fates[i] = "superseded"
            other = results[winner].display if winner is not None else "、".join(results[j].display for j in tied)
            updated[i] = _with_issue(updated[i], make_issue(Code.SUPERSEDED, file=results[i].display, other=other))
    for i, r in enumerate(updated):  # the file used for its division, with wrong values: merged, marked
        if fates[i] == "accepted" and r.needs_correction:
            fates[i] = "needs-correction"
    return fates, updated, identities


def _without_copies(
    members: list[int], results: Sequence[FileResult], fates: list[str], updated: list[FileResult]
) -> list[int]:
    """One file of each set of byte-identical copies (``税務課 - コピー.xlsx``): the one with the shortest name
    stays; the copies are superseded by it, never a tie."""
    by_content: dict[str, list[int]] = defaultdict(list)
    for i in members:
        by_content[results[i].sha256 or f"#{i}"].append(i)
    kept = []
    for same in by_content.values():
        same.sort(key=lambda i: (len(results[i].display), results[i].display))
        kept.append(same[0])
        for i in same[1:]:
            fates[i] = "superseded"
            issue = make_issue(Code.DUPLICATE_COPY, file=results[i].display, other=results[same[0]].display)
            updated[i] = _with_issue(updated[i], issue)
    return kept


class Prepared:
    """Value rows of parsed files, appended column by column as they arrive and kept as typed frames."""

    CHUNK = 256  # files per frame: bounded memory for the rows not yet in a frame

    def __init__(self) -> None:
        self.files: set[str] = set()
        self._columns: dict[str, dict[str, list[Any]]] = {}
        self._frames: dict[str, list[pl.DataFrame]] = defaultdict(list)
        self._pending = 0

    def add(self, result: FileResult) -> None:
        """Append one accepted file's rows: flattened by its worker, or here from its record."""
        flattened = result.rows if result.rows is not None else columns_of_result(result)
        for table, table_columns in flattened.items():
            target = self._columns.get(table)
            if target is None:
                target = self._columns[table] = {name: [] for name in table_columns}
            for name, values in table_columns.items():
                target[name].extend(values)
        self.files.add(result.display)
        self._pending += 1
        if self._pending >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        for table, table_columns in self._columns.items():
            if any(table_columns.values()):
                self._frames[table].append(pl.DataFrame(table_columns, schema=table_schema(table)))
        self._columns = {}
        self._pending = 0

    def add_frames(self, frames: dict[str, pl.DataFrame], files: Iterable[str]) -> None:
        """Append rows already in frames (table → frame of the table's columns): every row of these files."""
        self._flush()
        for table, frame in frames.items():
            if frame.height:
                self._frames[table].append(frame)
        self.files.update(files)

    def take(self, table: str) -> list[pl.DataFrame]:
        """All rows of one table, as frames, handed over (not kept here, so their memory goes with them)."""
        self._flush()
        return self._frames.pop(table, [])


def _unsupported(found: Found) -> Issue:
    """The rejection of a file the pipeline does not read: an old .xls gets its own advice."""
    if found.display.lower().endswith(".xls"):
        return make_issue(Code.LEGACY_FORMAT, file=found.display)
    return make_issue(Code.UNSUPPORTED_FORMAT, file=found.display, format=found.detail)


_DTYPES = {"str": pl.String, "int": pl.Int64, "float": pl.Float64}


def table_schema(table: str) -> dict[str, Any]:
    """Column dtypes of a table, so that an empty merge still has typed columns."""
    return {name: _DTYPES[kind] for name, kind in columns(table).items()}


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _kept(frames: list[pl.DataFrame], merged_files: list[str]) -> list[pl.DataFrame]:
    """The frames' rows of the merged files (superseded and out-of-scope files drop out here); a frame whose
    rows are all kept is kept as it is, not copied."""
    kept = []
    for frame in frames:
        merged = frame.get_column("file").is_in(merged_files)
        kept.append(frame if merged.all() else frame.filter(merged))
    return kept


def merge(
    found: Sequence[Found],
    results: dict[str, FileResult],
    *,
    year: int | None = None,
    stage: str | None = None,
    master: Master | None = None,
    prepared: Prepared | None = None,
    strict: bool = False,
) -> MergeResult:
    """Merge the results of the workbooks found (keyed by display name) into the prefecture-wide tables.

    ``prepared`` may hold the value rows of files flattened earlier (while other files were still parsing);
    accepted files not in it are flattened here.
    """
    prepared = prepared if prepared is not None else Prepared()
    books = [f for f in found if f.kind == "workbook" and f.display in results]
    book_results = [results[f.display] for f in books]
    year, stage = choose_scope(book_results, year, stage)
    fates, book_results, identities = _decide_fates(book_results, year, stage, master, strict)
    by_display = {f.display: (fate, r) for f, fate, r in zip(books, fates, book_results, strict=True)}

    submissions: list[dict[str, Any]] = []
    merged_files: list[str] = []
    issues: list[Issue] = []
    for f in found:
        if f.display in by_display:
            fate, r = by_display[f.display]
        else:
            fate = {"unsupported": "unsupported", "other": "out-of-scope"}.get(f.kind, "skipped")
            extra: tuple[Issue, ...] = ()
            if fate == "unsupported":
                extra = (_unsupported(f),)
            r = FileResult(f.display, size=f.size, issues=extra)
        rec = r.record or {}
        errors = [i for i in r.issues if i.severity in ("blocking", "error")]
        first = sorted(errors, key=lambda i: i.severity != "blocking")
        note = first[0].message if first else (r.issues[0].message if r.issues else f.detail)
        submissions.append(
            {
                "file": f.display,
                "status": fate,
                "status_ja": FATES[fate],
                "sha256": r.sha256 or None,
                "size": f.size,
                "saved_at": r.saved_at,
                "fiscal_year": rec.get("fiscal_year"),
                "stage": rec.get("stage"),
                "department": rec.get("department"),
                "division": rec.get("division"),
                "division_code": rec.get("division_code"),
                "errors": len(errors),
                "warnings": sum(1 for i in r.issues if i.severity == "warning"),
                "note": note,
                "feedback": r.feedback,
            }
        )
        issues.extend(r.issues)
        if fate in MERGED_FATES:
            merged_files.append(f.display)
            if f.display not in prepared.files:
                prepared.add(r)

    tables: dict[str, pl.DataFrame] = {}
    for name in VALUE_TABLES:  # sorted by file, as if built in discovery order; rows keep their order
        frames = [_frame([], table_schema(name)), *_kept(prepared.take(name), merged_files)]
        tables[name] = pl.concat(frames, how="vertical", rechunk=False).sort("file", maintain_order=True)
        del frames
    tables["submissions"] = _frame(submissions, table_schema("submissions"))
    tables["errors"] = _frame([i.to_dict() for i in issues], table_schema("errors"))

    not_submitted: tuple[DivisionKey, ...] = ()
    if master is not None:
        submitted = {identities.roster_index[d] for d in merged_files if d in identities.roster_index}
        not_submitted = tuple(d for i, d in enumerate(master.divisions) if i not in submitted)
    counts = Counter(s["status"] for s in submissions)
    return MergeResult(year, stage, tables, not_submitted, dict(counts), master.divisions if master else ())

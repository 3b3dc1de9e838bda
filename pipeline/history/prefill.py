"""The next cycle's workbooks from the history (design §10): one standard 工程表 per division, filled from its latest
record so that the division updates instead of retyping.

Which record: each division (its identity line, through ``lineage.csv``) is written from its latest record before
the asked fiscal year and stage. Divisions whose latest record is older than the latest fiscal year the history holds
before the asked one are not written (listed in `Prefilled.skipped`): nothing tells an abolished division from one
that missed a year.

What is carried and what is cleared depends on where the record is from:

- **Next year** (the record is of an earlier fiscal year): mission, policies (title, goals, related plans, long-term
  goal), indicators with 年度当初値 = last 実績 and its 時点 (the 実績's 時点, else last year as ``H27``; blank when
  the 実績 was blank), 基準値, 長期的目標値 and their 時点, 単位, 方向, 分類, plans and reasons; projects without
  their budgets. Cleared: 今年度目標値 and 今年度実績値 with their 時点, 取組と成果, 課題と今後の取組, 進捗評価,
  達成度の評価, 評価理由.
- **Next stage of the same year** (当初 → 中間 → 最終): the whole record. Cleared: what each stage adds
  (design §2, ``layout.REQUIRED_AT_STAGE``): 進捗評価, 達成度の評価, 評価理由 are judged afresh at each stage,
  and 今年度実績値 with its 時点 is the value as of the stage, so a 中間 actual never passes as the year-end one.

Lineage rows after the record's year (up to the asked year) are applied: 改称 and 移管 write the workbook under the
new name (所属長名 and 電話番号 carried); 統合 writes one workbook with every predecessor's policies; 分割 writes the
predecessor's content to each new division (each deletes what is not its own). After 統合 and 分割 the 所属長名 and
電話番号 are left for the division to enter. Indicator renames of those years are applied to the indicator names.

Files go to ``outdir/<部局名>/<所属名>.xlsx`` in one publication (all or none). A file already in ``outdir`` is
replaced only if an earlier prefill wrote it and nobody changed it since; otherwise prefill refuses (``force``
overrides), so a division's typing is never lost.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.checks.normalise import AsOf, parse_as_of
from pipeline.combine.flatten import VALUE_TABLES
from pipeline.contract import layout
from pipeline.contract.eras import fiscal_year_label, short_fiscal_year
from pipeline.contract.fill import fill_template, insert_rows_in_range
from pipeline.contract.layout import Kind, Shape
from pipeline.contract.template import build_template
from pipeline.errors import OutboxLocked, PipelineError
from pipeline.history.identity import key_text, matches, normalised_name, resolve
from pipeline.history.lineage import IndicatorRename, LineageRow
from pipeline.history.store import STAGE_ORDER, load
from pipeline.model import DivisionKey
from pipeline.outputs.lock import outbox_lock
from pipeline.outputs.publish import MANIFEST, Publication, portable_name, read_manifest

STATE_FILE = ".prefill.json"  # beside the manifest: the sha256 of each workbook the last prefill wrote
_STAGES_TEXT = "・".join(layout.STAGES)
_CLEARED_NEXT_YEAR = ("target", "target_as_of", "actual", "actual_as_of")
_CLEARED_NEXT_STAGE = ("actual", "actual_as_of")
_EVALUATION = tuple(layout.REQUIRED_AT_STAGE)  # progress, achievement, evaluation_reason
_CARRY_HEAD = frozenset({"改称", "移管"})


class PrefillError(PipelineError):
    """The history has nothing to prefill from, or the output folder holds files prefill must not replace."""


@dataclass(frozen=True)
class Source:
    """One recorded submission: its fiscal year, stage and file (as the merge named it)."""

    fiscal_year: int
    stage: str
    file: str
    key: DivisionKey

    def text(self) -> str:
        """How the source is quoted: 平成27年度（2015年度）最終 総務部/情報政策課.xlsx."""
        return f"{fiscal_year_label(self.fiscal_year)}{self.stage} {self.file}"


@dataclass(frozen=True)
class Draft:
    """One workbook to write: the division's current name, its template entries, and where they came from."""

    key: DivisionKey
    entries: dict[str, Any]
    sources: tuple[Source, ...]
    kinds: tuple[str, ...] = ()  # lineage kinds applied since the record (改称, 統合, …)

    @property
    def relative(self) -> str:
        """``<部局名>/<所属名>.xlsx``, each part made portable."""
        department = portable_name(self.key.department) or "部局名なし"
        return f"{department}/{portable_name(self.key.division) or '所属名なし'}.xlsx"


@dataclass(frozen=True)
class Prefilled:
    """What prefill wrote, for the command to report."""

    fiscal_year: int
    stage: str
    outdir: Path
    files: tuple[Path, ...]
    drafts: tuple[Draft, ...]
    skipped: tuple[str, ...] = ()  # divisions not written, and why (Japanese)
    notes: tuple[str, ...] = ()  # lineage rows that matched nothing, expired long-term targets

    def lines(self) -> list[str]:
        """What to tell the office, in Japanese: the files written, the divisions skipped, what to check."""
        out = [
            f"{fiscal_year_label(self.fiscal_year)}{self.stage}の工程表を {len(self.files)} 所属分、"
            f"{self.outdir} に書き出しました。"
        ]
        renamed = [d for d in self.drafts if d.kinds]
        out += [
            f"- {key_text(d.key)}: {'・'.join(dict.fromkeys(d.kinds))}（元: {'、'.join(key_text(s.key) for s in d.sources)}）"
            for d in renamed
        ]
        out += [f"作らなかった所属: {line}" for line in self.skipped]
        out += [f"確認: {line}" for line in self.notes]
        return out


# ---------------------------------------------------------------- the command's one call


def prefill(
    history_dir: Path,
    *,
    fiscal_year: int,
    stage: str = "当初",
    lineage: Sequence[LineageRow] = (),
    renames: Sequence[IndicatorRename] = (),
    outdir: Path,
    force: bool = False,
) -> Prefilled:
    """Write one prefilled workbook per division for ``fiscal_year`` and ``stage`` into ``outdir``, all or none."""
    drafts, skipped, notes = plan(history_dir, fiscal_year=fiscal_year, stage=stage, lineage=lineage, renames=renames)
    try:
        with outbox_lock(outdir):
            return _publish(drafts, skipped, notes, fiscal_year, stage, outdir, force)
    except OutboxLocked:
        raise PrefillError(
            f"別の処理が出力先 {outdir} に書き込み中です。終わるのを待ってからもう一度実行してください。"
        ) from None


def _publish(
    drafts: Sequence[Draft],
    skipped: Sequence[str],
    notes: Sequence[str],
    fiscal_year: int,
    stage: str,
    outdir: Path,
    force: bool,
) -> Prefilled:
    """Write the drafts into one publication in ``outdir`` (its lock held), with the hash of each file."""
    with Publication(outdir, manifest=True) as publication:
        names = _unique_names(drafts)
        _check_replaceable(outdir, set(names), force)
        hashes: dict[str, str] = {}
        for draft, name in zip(drafts, names, strict=True):
            target = publication.path(name)
            fill_template(draft.entries, target, template=_sized_template(draft.entries, publication.scratch))
            hashes[name] = _sha256(target)
        state = publication.path(STATE_FILE)
        state.write_text(json.dumps(hashes, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        published = publication.commit()
    files = tuple(p for p in published if p.name != STATE_FILE)
    return Prefilled(fiscal_year, stage, outdir, files, tuple(drafts), tuple(skipped), tuple(notes))


# ---------------------------------------------------------------- what to write (no files written)


def plan(
    history_dir: Path,
    *,
    fiscal_year: int,
    stage: str = "当初",
    lineage: Sequence[LineageRow] = (),
    renames: Sequence[IndicatorRename] = (),
) -> tuple[list[Draft], list[str], list[str]]:
    """The workbooks prefill would write (drafts in name order), the divisions it skips and notes on the lineage."""
    if stage not in STAGE_ORDER:
        raise PrefillError(f"評価時点「{stage}」では作れません（{_STAGES_TEXT} のいずれか）。")
    tables = {table: load(history_dir, table) for table in VALUE_TABLES}
    divisions = tables["divisions"]
    before = divisions.filter(
        (pl.col("fiscal_year") < fiscal_year)
        | (
            (pl.col("fiscal_year") == fiscal_year)
            & pl.col("stage").replace_strict(STAGE_ORDER, default=-1).lt(STAGE_ORDER[stage])
        )
    )
    if before.is_empty():
        raise PrefillError(
            f"履歴 {history_dir} に、{fiscal_year_label(fiscal_year)}{stage}より前の記録がありません。"
            "先に pipeline merge --history で記録してください。"
        )
    identity = resolve(divisions.select("fiscal_year", "division_code", "department", "division"), lineage, renames)
    before = identity.annotate(before).with_columns(order=pl.col("stage").replace_strict(STAGE_ORDER, default=-1))
    # the latest fiscal year before the asked one (else the asked one): a division must have reported since then
    floor = max((y for y in before["fiscal_year"].to_list() if y < fiscal_year), default=fiscal_year)
    latest = before.sort("fiscal_year", "order").group_by("division_id", maintain_order=True).last()
    sources: list[Source] = []
    skipped: list[str] = []
    for row in latest.sort("department", "division").iter_rows(named=True):
        key = DivisionKey(row["division_code"], row["department"] or "", row["division"] or "")
        source = Source(int(row["fiscal_year"]), str(row["stage"]), str(row["file"]), key)
        if source.fiscal_year < floor:
            skipped.append(
                f"{key_text(key)}: 最新の記録が{fiscal_year_label(source.fiscal_year)}{source.stage}で、"
                f"{fiscal_year_label(floor)}の記録がないため作りませんでした"
                f"（廃止していなければ、{fiscal_year_label(floor)}の工程表が集約・記録されているか確かめてください）"
            )
            continue
        sources.append(source)
    records = _records(tables, sources)
    groups, notes = _follow_lineage(sources, lineage, fiscal_year)
    drafts = [_draft(new_key, group, kinds, records, fiscal_year, stage, renames) for new_key, group, kinds in groups]
    drafts.sort(key=lambda d: (d.key.department, d.key.division, d.key.code or ""))
    notes += [note for draft in drafts for note in _expired_long_term(draft, fiscal_year)]
    return drafts, skipped, notes


# ---------------------------------------------------------------- lineage after the record


def _follow_lineage(
    sources: Sequence[Source], lineage: Sequence[LineageRow], fiscal_year: int
) -> tuple[list[tuple[DivisionKey, list[Source], tuple[str, ...]]], list[str]]:
    """Each source carried through the lineage rows after its own year up to ``fiscal_year``: (current key,
    sources, kinds applied); 統合 gathers several sources under one key, 分割 gives one source several keys."""
    groups: list[tuple[DivisionKey, list[Source], tuple[str, ...]]] = [(s.key, [s], ()) for s in sources]
    notes: list[str] = []
    years = sorted({r.fiscal_year for r in lineage if r.fiscal_year <= fiscal_year})
    for year in years:
        if all(max(s.fiscal_year for s in group) >= year for _, group, _ in groups):
            continue  # rows of a year the history holds: identity.resolve followed them (and lists what to confirm)
        rows = [r for r in lineage if r.fiscal_year == year]
        used: set[int] = set()
        out: list[tuple[DivisionKey, list[Source], tuple[str, ...]]] = []
        for key, group, kinds in groups:
            if max(s.fiscal_year for s in group) >= year:  # the record already shows the division as of that year
                out.append((key, group, kinds))
                continue
            found = [r for r in rows if matches(r.old, key)]
            if not found:
                out.append((key, group, kinds))
                continue
            used.update(r.line for r in found)
            for row in found:
                new = row.new if row.new.code or row.kind not in _CARRY_HEAD else replace(row.new, code=key.code)
                out.append((new, list(group), (*kinds, row.kind)))
        groups = _gather(out)
        for row in rows:
            if row.line in used or any(matches(row.new, key) for key, _, _ in groups):
                continue
            notes.append(
                f"lineage.csv {row.line}行目: 旧所属「{key_text(row.old)}」が、作成元の記録にないため使いませんでした。"
            )
    return groups, notes


def _gather(
    groups: Iterable[tuple[DivisionKey, list[Source], tuple[str, ...]]],
) -> list[tuple[DivisionKey, list[Source], tuple[str, ...]]]:
    """Groups under the same division become one (統合): their sources together, in name order."""
    out: list[tuple[DivisionKey, list[Source], tuple[str, ...]]] = []
    for key, group, kinds in groups:
        same = next((i for i, (k, _, _) in enumerate(out) if matches(k, key)), None)
        if same is None:
            out.append((key, group, kinds))
            continue
        known, known_group, known_kinds = out[same]
        merged = sorted({*known_group, *group}, key=lambda s: (s.key.department, s.key.division))
        out[same] = (known, merged, tuple(dict.fromkeys((*known_kinds, *kinds, "統合"))))
    return out


# ---------------------------------------------------------------- one record's rows → template entries


_RecordKey = tuple[int, str, str]  # (fiscal year, stage, file)


def _records(
    tables: dict[str, pl.DataFrame], sources: Sequence[Source]
) -> dict[str, dict[_RecordKey, list[dict[str, Any]]]]:
    """The rows of each source record (fiscal year, stage, file) in each table, in sheet order."""
    wanted = pl.DataFrame(
        [(s.fiscal_year, s.stage, s.file) for s in sources],
        schema={"fiscal_year": pl.Int64, "stage": pl.String, "file": pl.String},
        orient="row",
    )
    out: dict[str, dict[_RecordKey, list[dict[str, Any]]]] = {}
    for table, frame in tables.items():
        by_record: dict[_RecordKey, list[dict[str, Any]]] = defaultdict(list)
        if "file" in frame.columns:
            order = [c for c in ("policy_no", "item_no") if c in frame.columns]
            rows = frame.join(wanted, on=["fiscal_year", "stage", "file"], how="semi")
            for row in (rows.sort(order) if order else rows).iter_rows(named=True):
                by_record[(row["fiscal_year"], row["stage"], row["file"])].append(row)
        out[table] = by_record
    return out


def _draft(
    key: DivisionKey,
    sources: Sequence[Source],
    kinds: tuple[str, ...],
    records: dict[str, dict[_RecordKey, list[dict[str, Any]]]],
    fiscal_year: int,
    stage: str,
    renames: Sequence[IndicatorRename],
) -> Draft:
    """The entries of one division's workbook from its source records (several after 統合)."""
    parts = [_entries(records, s, fiscal_year) for s in sources]
    first = parts[0]
    entries: dict[str, Any] = {
        "fiscal_year": fiscal_year,
        "stage": stage,
        "department": key.department,
        "division": key.division,
        "division_code": key.code,
        "head": first["head"] if set(kinds) <= _CARRY_HEAD else None,
        "phone": first["phone"] if set(kinds) <= _CARRY_HEAD else None,
        "missions": list(dict.fromkeys(m for part in parts for m in part["missions"])),
        "policies": [p for part in parts for p in part["policies"]],
    }
    titles = [p.get("sheet") for p in entries["policies"]]
    if len(parts) > 1 and len(set(titles)) != len(titles):  # predecessors' sheets share names: number them anew
        entries["policies"] = [{k: v for k, v in p.items() if k != "sheet"} for p in entries["policies"]]
    newest = max(s.fiscal_year for s in sources)
    _rename_indicators(entries, key, sources, [r for r in renames if newest < r.fiscal_year <= fiscal_year])
    return Draft(key, entries, tuple(sources), kinds)


def _entries(
    records: dict[str, dict[_RecordKey, list[dict[str, Any]]]], source: Source, fiscal_year: int
) -> dict[str, Any]:
    """Template entries of one recorded submission carried to ``fiscal_year``: to the next year when the record is
    of an earlier one, else to the next stage (module docstring). Columns an older history lacks read as blank."""
    record = (source.fiscal_year, source.stage, source.file)
    next_year = source.fiscal_year < fiscal_year
    division = records["divisions"][record][0]
    items: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for table in ("indicators", "projects", "results", "challenges"):
        by_policy: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in records[table].get(record, []):
            by_policy[row["policy_no"]].append(_row_entries(table, row))
        items[table] = by_policy
    policies = []
    for row in records["policies"].get(record, []):
        number = row["policy_no"]
        policy: dict[str, Any] = {
            "sheet": row.get("sheet"),
            "policy_title": row.get("policy_title"),
            "goals": _lines(row.get("goals")),
            **_related_plans(row.get("related_plans"), row.get("related_plans_note")),
            "long_term_goal": row.get("long_term_goal"),
            "indicators": [_carry_indicator(i, source.fiscal_year, next_year) for i in items["indicators"][number]],
            "projects": [{**p, "budget": None} if next_year else p for p in items["projects"][number]],
            "results": [] if next_year else items["results"][number],
            "challenges": [] if next_year else items["challenges"][number],
            **dict.fromkeys(_EVALUATION),
        }
        policies.append(policy)
    return {
        "head": division.get("head"),
        "phone": division.get("phone"),
        "missions": _lines(division.get("missions")),
        "policies": policies,
    }


def _row_entries(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """One flattened table row back as the template's column entries: a number or its qualitative text, 時点 as typed."""
    out: dict[str, Any] = {}
    for column in layout.ALL_FIELDS[table].columns:
        value = row.get(column.key)
        if column.kind is Kind.VALUE:
            value = _cell_number(value) if value is not None else row.get(f"{column.key}_text")
        elif column.kind is Kind.BUDGET:
            value = _cell_number(value)
        out[column.key] = value
    return out


def _carry_indicator(indicator: dict[str, Any], source_year: int, next_year: bool) -> dict[str, Any]:
    """An indicator for the next year (年度当初値 from the last 実績) or the next stage (実績 cleared)."""
    out = dict(indicator)
    if next_year:
        actual = indicator["actual"]
        out["start"] = actual
        out["start_as_of"] = (
            (indicator["actual_as_of"] or short_fiscal_year(source_year)) if actual is not None else None
        )
    out.update(dict.fromkeys(_CLEARED_NEXT_YEAR if next_year else _CLEARED_NEXT_STAGE))
    return out


def _cell_number(value: float | None) -> int | float | None:
    """A recorded number as a division types it: 628, not 628.0."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _lines(text: str | None) -> list[str]:
    """A list field back from its column (one line each)."""
    return [line for line in (text or "").split("\n") if line.strip()]


def _related_plans(marked: str | None, note: str | None) -> dict[str, Any]:
    """The marks of the template's related-plan rows; a plan the template has no row for is marked その他 and named
    in the note."""
    labels = [label for label in (marked or "").split("、") if label]
    known = [label for label in labels if label in layout.RELATED_PLAN_LABELS]
    unknown = [label for label in labels if label not in layout.RELATED_PLAN_LABELS]
    other = layout.RELATED_PLAN_LABELS[-1]
    if unknown:
        known = list(dict.fromkeys((*known, other)))
        note = "、".join(dict.fromkeys(part for part in (note, *unknown) if part))
    return {"related_plans": dict.fromkeys(known, "○"), "related_plans_note": note}


def _rename_indicators(
    entries: dict[str, Any], key: DivisionKey, sources: Sequence[Source], renames: Sequence[IndicatorRename]
) -> None:
    """Apply indicator_renames.csv rows of the years since the record to this division's indicator names."""
    names = {normalised_name(k.division) for k in (key, *(s.key for s in sources))}
    codes = {k.code.lstrip("0") for k in (key, *(s.key for s in sources)) if k.code}
    for rename in sorted(renames, key=lambda r: r.fiscal_year):
        if normalised_name(rename.division) not in names and rename.division.lstrip("0") not in codes:
            continue
        old = normalised_name(rename.old_name)
        for policy in entries["policies"]:
            for indicator in policy["indicators"]:
                if indicator["name"] and normalised_name(indicator["name"]) == old:
                    indicator["name"] = rename.new_name


def _expired_long_term(draft: Draft, fiscal_year: int) -> Iterable[str]:
    """A note per carried 長期的目標値 whose year is before ``fiscal_year``: the division must set a new one (the
    workbook says so as an error on the cell)."""
    for policy in draft.entries["policies"]:
        for indicator in policy["indicators"]:
            as_of = parse_as_of(indicator["long_term_as_of"])
            if isinstance(as_of, AsOf) and as_of.fiscal_year is not None and as_of.fiscal_year < fiscal_year:
                yield (
                    f"{key_text(draft.key)}「{indicator['name']}」: 長期的目標値の時点（{as_of.text}）が"
                    f"{fiscal_year_label(fiscal_year)}より前です。新しい長期的目標値とその時点の入力が必要です。"
                )


# ---------------------------------------------------------------- writing


def _sized_template(entries: dict[str, Any], scratch: Path) -> Path | None:
    """A template whose lists and tables hold every row of ``entries`` (rows inserted as Excel does), or None when
    the standard one does."""
    needs: dict[tuple[str, str], int] = {}
    fields = [(layout.SHEET_BASIC, f, [entries.get(f.name) or []]) for f in layout.BASIC_FIELDS]
    fields += [
        (layout.SHEET_POLICY, f, [p.get(f.name) or [] for p in entries["policies"]]) for f in layout.POLICY_FIELDS
    ]
    for sheet, spec, values in fields:
        if spec.shape is Shape.CELL or (spec.columns and spec.shape is Shape.LIST):
            continue
        first, _, last = spec.ref.partition(":")
        capacity = _row(last) - _row(first) + 1 - (1 if spec.shape is Shape.TABLE else 0)
        most = max(len(v) for v in values) if values else 0
        if most > capacity:
            needs[(sheet, spec.name)] = most - capacity
    if not needs:
        return None
    path = scratch / f"template-{len(list(scratch.iterdir()))}.xlsx"
    build_template().save(path)
    for (sheet, name), count in needs.items():
        rows = _row(layout.field(name).ref.partition(":")[2]) - _row(layout.field(name).first_cell) + 1
        insert_rows_in_range(path, sheet, name, rows - 1, count)
    return path


def _row(cell: str) -> int:
    return int("".join(ch for ch in cell if ch.isdigit()))


def _unique_names(drafts: Sequence[Draft]) -> list[str]:
    """Each draft's relative path; a second division with the same names gets ``_2`` (compared as Windows does)."""
    taken: set[str] = set()
    out = []
    for draft in drafts:
        stem, n = draft.relative.removesuffix(".xlsx"), 1
        name = draft.relative
        while unicodedata.normalize("NFC", name).casefold() in taken:
            n += 1
            name = f"{stem}_{n}.xlsx"
        taken.add(unicodedata.normalize("NFC", name).casefold())
        out.append(name)
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_replaceable(outdir: Path, names: set[str], force: bool) -> None:
    """Refuse to replace or remove a file the last prefill did not write, or one changed since it wrote it."""
    written = _state(outdir)
    manifest = read_manifest(outdir)
    if manifest and not written and not force:
        raise PrefillError(
            f"出力先 {outdir} には pipeline の別の出力（集約結果など）があります。prefill 用の別のフォルダを指定してください。"
        )
    affected = sorted(n for n in names | (manifest - {STATE_FILE, MANIFEST}) if (outdir / n).is_file())
    foreign = [n for n in affected if n not in written]
    edited = [n for n in affected if n in written and _sha256(outdir / n) != written[n]]
    if force or not (foreign or edited):
        return
    lines = [f"- {n}（prefill が書き出したものではありません）" for n in foreign]
    lines += [f"- {n}（prefill が書き出した後に編集されています）" for n in edited]
    raise PrefillError(
        f"出力先 {outdir} の次のファイルを上書き・削除すると、入力された内容が失われます。"
        "別の出力先を指定するか、上書きしてよい場合は --force を付けてください。\n" + "\n".join(lines)
    )


def _state(outdir: Path) -> dict[str, str]:
    """The sha256 of each workbook the last prefill in ``outdir`` wrote (empty when none did)."""
    try:
        data = json.loads((outdir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

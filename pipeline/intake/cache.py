"""What a re-run may reuse: each file's results from an earlier run, and whether anything changed at all.

Kept in the outbox's own hidden folder (``.pipeline-cache/``), outside the publication and its manifest. The
outbox is a shared folder, so nothing in it is trusted: entries are plain JSON (never pickle, which would run
code) checked field by field on load, each under the key it was stored for, and a feedback copy is used only when
its bytes hash to what the entry says. A corrupt, foreign or stale entry is a miss: the file is read again.

An entry's key is the file's sha256 and name with everything else that shapes a file's result: the pipeline's
own code (its version and the hash of every file of the package), the template contract version, the division
master's content and whether feedback copies are made. The index maps what discovery sees of a file (size, mtime,
device, inode) to its sha256, as git's index does, so that a re-run does not read unchanged files at all; a file
whose stat differs is read by a worker as usual.

An entry's table rows are kept apart from it (``<key>.rows.json``), and the last run's merged rows are kept whole
as a snapshot (one Parquet file per table, its sha256 and the entry key of each file it holds in the index): a hit
on a file the last run merged reads only the small entry, and its rows come from the snapshot in one read. A
snapshot whose bytes or columns are not what the index says is not used; the rows are then read from the entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any

from pipeline.model import FileResult, Issue

CACHE_FOLDER = ".pipeline-cache"
FORMAT = 2  # bump when the layout of an entry changes
PACKAGE = Path(__file__).resolve().parents[1]  # the pipeline package: all of its code shapes a result
_ENTRIES = "files"
_ROWS = ".rows.json"  # beside an entry: its file's table rows (kept apart, so that a hit from the snapshot skips them)
_SNAPSHOT = "snapshot"
_SNAPSHOT_ROW_GROUP = 8_192  # rows encoded at a time: the writer's memory stays small however large the table
_INDEX = "index.json"
_LAST_RUN = "last-run.json"
# Results that say something about this run, not about the file's bytes: never reused.
_TRANSIENT = frozenset(
    {"reader-crashed", "too-slow", "internal-error", "file-swapped", "in-transit", "feedback-failed"}
)
_ISSUE_FIELDS = ("code", "severity", "message", "file", "sheet", "cell", "field", "found", "body")
_SEVERITIES = frozenset({"blocking", "error", "warning"})
_SCALARS = frozenset({str, int, float, type(None)})  # JSON's scalars but true and false


@cache
def code_fingerprint() -> str:
    """The pipeline's own identity: its version, the template contract version and the hash of every file of the
    package (a changed rule or output, even without a new version, makes every cached result stale)."""
    from pipeline import __version__
    from pipeline.contract.layout import TEMPLATE_VERSION

    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{TEMPLATE_VERSION}".encode())
    package = PACKAGE
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def content_hash(path: Path | None) -> str:
    """sha256 of a settings file's bytes ('' for none, 'missing' when it cannot be read)."""
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write by a temporary name and rename: a reader never sees half an entry."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _link_or_copy(source: Path, target: Path) -> None:
    """A second name for the same bytes where the file system allows it (no copy), else a copy. A copy edited in
    place later changes both names: the entry's hash of the copy then no longer matches, and it is not used."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# ---------------------------------------------------------------- results as JSON, checked on the way back


def encode(result: FileResult) -> dict[str, Any]:
    """A file's result as JSON-ready data, its rows apart (`encode_rows`; the feedback copy is stored beside)."""
    return {
        "display": result.display,
        "sha256": result.sha256,
        "size": result.size,
        "mtime": result.mtime,
        "saved_at": result.saved_at,
        "issues": [[getattr(i, name) for name in _ISSUE_FIELDS] for i in result.issues],
        "record": result.record,
        "rows": result.rows is not None,
    }


class _Invalid(Exception):
    """An entry that is not what this pipeline writes."""


def _expect(condition: bool) -> None:
    if not condition:
        raise _Invalid


def _scalars(values: Any) -> list[Any]:
    _expect(isinstance(values, list) and set(map(type, values)) <= _SCALARS)
    return values  # type: ignore[no-any-return]


def decode(data: Any, rows: Any = None) -> FileResult:
    """The result an entry holds (with ``rows``, its rows as `encode` and json gave them back), every field checked
    for its type; _Invalid when anything is off."""
    _expect(isinstance(data, dict))
    display, sha, size, mtime, saved_at = (data.get(k) for k in ("display", "sha256", "size", "mtime", "saved_at"))
    _expect(isinstance(display, str) and isinstance(sha, str) and len(sha) == 64)
    _expect(isinstance(size, int) and isinstance(mtime, int | float) and isinstance(saved_at, str | None))
    issues = []
    for item in data.get("issues", None) or []:
        _expect(isinstance(item, list) and len(item) == len(_ISSUE_FIELDS) and all(isinstance(v, str) for v in item))
        fields = dict(zip(_ISSUE_FIELDS, item, strict=True))
        _expect(fields["severity"] in _SEVERITIES)
        issues.append(Issue(**fields))
    record = data.get("record")
    _expect(record is None or (isinstance(record, dict) and all(isinstance(k, str) for k in record)))
    if record is not None:
        _scalars(list(record.values()))
    if rows is not None:
        _expect(isinstance(rows, dict))
        for table in rows.values():
            _expect(isinstance(table, dict) and all(type(column) is list for column in table.values()))
            _expect(len({len(column) for column in table.values()}) <= 1)
            _expect(set(map(type, chain.from_iterable(table.values()))) <= _SCALARS)
    return FileResult(display, sha, size, float(mtime), saved_at, tuple(issues), record, rows=rows)


def cacheable(result: FileResult) -> bool:
    """Whether a result says only what the file's bytes say (and may be reused for the same bytes)."""
    return bool(result.sha256) and not result.in_transit and not any(i.code in _TRANSIENT for i in result.issues)


# ---------------------------------------------------------------- the per-file cache


@dataclass(frozen=True)
class Seen:
    """What discovery saw of a file: the index's key."""

    display: str
    size: int
    mtime_ns: int
    identity: tuple[int, int] | None

    def stat(self) -> list[Any]:
        """The index's record of the file, as JSON holds it: size, mtime (ns), device, inode."""
        return [self.size, self.mtime_ns, *(self.identity or (None, None))]


@dataclass
class ResultCache:
    """Per-file results of earlier runs into this outbox, for files whose bytes and settings are the same; the
    last run's merged rows (the snapshot) for those of them it merged."""

    folder: Path
    settings: str  # the key part of everything besides the file that shapes its result
    index: dict[str, list[Any]] = field(default_factory=dict)
    used: dict[str, list[Any]] = field(default_factory=dict)  # this run's index: display → [*stat, sha256]
    keys: set[str] = field(default_factory=set)
    # the last run's snapshot as its index records it: the entry key of each file whose rows it holds, and the
    # sha256 of each table's file
    snapshot_files: dict[str, str] = field(default_factory=dict)
    snapshot_tables: dict[str, str] = field(default_factory=dict)
    snapshot: dict[str, Any] | None = None  # its tables, once loaded and found sound
    from_snapshot: set[str] = field(default_factory=set)  # files of this run whose rows are the snapshot's
    kept: dict[str, Any] | None = None  # this run's snapshot, once written: what the next index records of it

    @classmethod
    def open(cls, outbox: Path, *, master: Path | None, annotate: bool) -> ResultCache:
        """The cache of an outbox (empty when there is none or it is not ours)."""
        folder = outbox / CACHE_FOLDER
        cache_ = cls(folder, _key(code_fingerprint(), content_hash(master), annotate))
        try:
            index = json.loads((folder / _INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cache_
        if isinstance(index, dict) and index.get("format") == FORMAT and index.get("settings") == cache_.settings:
            files = index.get("files")
            if isinstance(files, dict):
                cache_.index = {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, list)}
            snapshot = index.get("snapshot")
            if isinstance(snapshot, dict):
                cache_.snapshot_files = _strings(snapshot.get("files"))
                cache_.snapshot_tables = _strings(snapshot.get("tables"))
        return cache_

    def _entry_key(self, display: str, sha256: str) -> str:
        return _key(self.settings, display, sha256)

    def indexed(self, seen: Seen) -> bool:
        """Whether the file is as the last run saw it (by its stat): its result may be in the cache."""
        known = self.index.get(seen.display)
        return bool(known) and known[:-1] == seen.stat()  # type: ignore[index]

    def load_snapshot(self, schemas: dict[str, dict[str, Any]]) -> None:
        """Read the last run's snapshot, each table's bytes checked against the sha256 the index recorded and its
        columns against ``schemas`` (table → column → polars type); a snapshot that is not sound is not used (the
        files' rows are then read from their entries)."""
        if not self.snapshot_files or set(self.snapshot_tables) != set(schemas):
            return
        import io

        import polars as pl

        tables = {}
        try:
            for table, schema in schemas.items():
                data = (self.folder / _SNAPSHOT / f"{table}.parquet").read_bytes()
                _expect(hashlib.sha256(data).hexdigest() == self.snapshot_tables[table])
                frame = pl.read_parquet(io.BytesIO(data))
                _expect(frame.schema == pl.Schema(schema))
                tables[table] = frame
        except Exception:  # the reader's error on bytes it cannot read: the snapshot is not used
            return
        except BaseException as exc:  # a panic in the reader (pyo3's PanicException is not an Exception)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return
        self.snapshot = tables

    def lookup(self, seen: Seen, feedback_to: Path | None) -> FileResult | None:
        """The file's earlier result when its stat is the one indexed and its entry is sound; its feedback copy
        placed at ``feedback_to``; its rows left in the snapshot (`snapshot_rows`) when the snapshot holds them for
        this entry. None: read the file again."""
        known = self.index.get(seen.display)
        if not known or known[:-1] != seen.stat() or not isinstance(known[-1], str):
            return None
        sha = known[-1]
        key = self._entry_key(seen.display, sha)
        in_snapshot = self.snapshot is not None and self.snapshot_files.get(seen.display) == key
        try:
            entry = json.loads((self.folder / _ENTRIES / f"{key}.json").read_text(encoding="utf-8"))
            _expect(isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == key)
            data = entry.get("result")
            _expect(isinstance(data, dict) and isinstance(data.get("rows"), bool))
            rows = None
            if data["rows"] and not in_snapshot:
                rows = json.loads((self.folder / _ENTRIES / f"{key}{_ROWS}").read_text(encoding="utf-8"))
                _expect(rows is not None)
            result = decode(data, rows)
            _expect(result.display == seen.display and result.sha256 == sha and result.size == seen.size)
            copy = entry.get("feedback")
            _expect(copy is None or (isinstance(copy, str) and len(copy) == 64))
            if copy is not None:
                _expect(feedback_to is not None)
                kept = self.folder / _ENTRIES / f"{key}.xlsx"
                _expect(hashlib.sha256(kept.read_bytes()).hexdigest() == copy)
                assert feedback_to is not None
                _link_or_copy(kept, feedback_to)
                result = replace(result, feedback=str(feedback_to))
        except (OSError, ValueError, TypeError, RecursionError, _Invalid):  # JSON nested too deep: RecursionError
            return None
        if data["rows"] and in_snapshot:
            self.from_snapshot.add(seen.display)
        self.used[seen.display] = [*seen.stat(), sha]
        self.keys.add(key)
        return result

    def look_up(self, files: Sequence[tuple[Seen, Path | None]], schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The sound earlier result of each file (seen, where its feedback copy goes), by display name, the
        snapshot loaded first (`load_snapshot`). The cache is an optimisation only: a look-up that fails for any
        reason ends the look-ups, and every file without a result here is read again."""
        hits: dict[str, FileResult] = {}
        try:
            self.load_snapshot(schemas)
            for seen, feedback_to in files:
                hit = self.lookup(seen, feedback_to)
                if hit is not None:
                    hits[seen.display] = hit
        except Exception:  # a miss, as the docstring says
            pass
        self.from_snapshot &= hits.keys()
        return hits

    def snapshot_rows(self) -> dict[str, Any]:
        """The snapshot's rows of the files whose results `lookup` left them there: table → frame."""
        if self.snapshot is None or not self.from_snapshot:
            return {}
        import polars as pl

        files = sorted(self.from_snapshot)
        return {table: frame.filter(pl.col("file").is_in(files)) for table, frame in self.snapshot.items()}

    def task_cache(self) -> tuple[str, str]:
        """What a worker needs to store its file's result: the entries' folder and the settings' key part."""
        return str(self.folder / _ENTRIES), self.settings

    def stored(self, seen: Seen, result: FileResult) -> None:
        """Note a fresh result that its worker stored (see `store`) as this run's, for the next run's index."""
        if cacheable(result) and result.size == seen.size:
            self.used[seen.display] = [*seen.stat(), result.sha256]
            self.keys.add(self._entry_key(seen.display, result.sha256))

    def keep_snapshot(self, tables: dict[str, Any], merged: Iterable[str]) -> None:
        """Write this run's value tables (table → frame, each with its ``file`` column) as the next run's
        snapshot: the rows of the ``merged`` files (all of each one's rows are in the tables) whose results are
        kept. Called once every file was looked up or stored; a snapshot that cannot be written is only a slower
        next run."""
        import polars as pl

        files = {
            display: self._entry_key(display, self.used[display][-1]) for display in merged if display in self.used
        }
        if not files:
            return
        names = sorted(files)
        digests = {}
        try:
            (self.folder / _SNAPSHOT).mkdir(parents=True, exist_ok=True)
            for table, frame in tables.items():
                ours = frame.get_column("file").is_in(names)
                path = self.folder / _SNAPSHOT / f"{table}.parquet"
                temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                (frame if ours.all() else frame.filter(ours)).write_parquet(
                    temporary, statistics=False, row_group_size=_SNAPSHOT_ROW_GROUP
                )
                with temporary.open("rb") as written:
                    digests[table] = hashlib.file_digest(written, "sha256").hexdigest()
                temporary.replace(path)
        except (OSError, pl.exceptions.PolarsError):
            return
        self.kept = {"files": files, "tables": digests}

    def save(self) -> None:
        """Write this run's index and drop the entries no file of this run used."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            index = {"format": FORMAT, "settings": self.settings, "files": self.used, "snapshot": self.kept}
            _write_atomic(self.folder / _INDEX, json.dumps(index, ensure_ascii=False).encode())
            entries = self.folder / _ENTRIES
            if entries.is_dir():
                for path in entries.iterdir():
                    if path.name.split(".")[0] not in self.keys:
                        with contextlib.suppress(OSError):
                            path.unlink()
        except OSError:
            return


def _strings(value: Any) -> dict[str, str]:
    """A JSON object of strings to strings, or nothing."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def store(where: tuple[str, str], result: FileResult) -> None:
    """In the worker: keep a fresh result, with its feedback copy (still where the worker wrote it) and its rows
    apart, as an entry for the next run. A cache that cannot be written is only a slower next run."""
    if not cacheable(result):
        return
    folder, settings = Path(where[0]), where[1]
    key = _key(settings, result.display, result.sha256)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        copy = None
        if result.feedback:
            copy = hashlib.sha256(Path(result.feedback).read_bytes()).hexdigest()
            temporary = folder / f".{key}.{os.getpid()}.tmp"
            _link_or_copy(Path(result.feedback), temporary)
            temporary.replace(folder / f"{key}.xlsx")
        if result.rows is not None:  # written before the entry that says it is there
            rows = json.dumps(result.rows, ensure_ascii=False, separators=(",", ":"), check_circular=False)
            _write_atomic(folder / f"{key}{_ROWS}", rows.encode())
        entry = {"format": FORMAT, "key": key, "feedback": copy, "result": encode(result)}
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), check_circular=False)
        _write_atomic(folder / f"{key}.json", text.encode())
    except (OSError, ValueError):
        return


def clear(outbox: Path) -> None:
    """Remove an outbox's cache (--no-cache: the next run starts from nothing too)."""
    shutil.rmtree(outbox / CACHE_FOLDER, ignore_errors=True)


# ---------------------------------------------------------------- the whole run: did anything change?


def run_fingerprint(settings: Any, files: Iterable[Sequence[Any]], today: str) -> str:
    """Everything a run's outputs depend on: the pipeline, every setting (and the content of the files they
    name), what discovery saw of every file of the inbox, and the date the outputs carry."""
    named = [content_hash(getattr(settings, name)) for name in ("divisions", "lineage", "renames")]
    chosen = {k: str(v) for k, v in sorted(settings.__dict__.items()) if k != "workers"}
    return _key(code_fingerprint(), chosen, named, sorted(list(f) for f in files), today)


def _outputs_state(outbox: Path, names: Iterable[str]) -> dict[str, list[int]] | None:
    state = {}
    for name in names:
        try:
            st = (outbox / name).stat()
        except OSError:
            return None
        state[name] = [st.st_size, st.st_mtime_ns]
    return state


def remember_run(outbox: Path, fingerprint: str, fates: dict[str, int], report: str) -> None:
    """Record the run just published: its fingerprint, its outputs as they now are (the manifest's files and the
    manifest itself), its fates and summary."""
    from pipeline.outputs.publish import MANIFEST, read_manifest

    outputs = _outputs_state(outbox, [*sorted(read_manifest(outbox)), MANIFEST])
    if outputs is None:
        return
    state = {"format": FORMAT, "fingerprint": fingerprint, "outputs": outputs, "fates": fates, "report": report}
    with contextlib.suppress(OSError):
        (outbox / CACHE_FOLDER).mkdir(parents=True, exist_ok=True)
        _write_atomic(outbox / CACHE_FOLDER / _LAST_RUN, json.dumps(state, ensure_ascii=False).encode())


def forget_run(outbox: Path) -> None:
    """Drop the record of the last run (its outputs are about to change)."""
    with contextlib.suppress(OSError):
        (outbox / CACHE_FOLDER / _LAST_RUN).unlink(missing_ok=True)


@dataclass(frozen=True)
class LastRun:
    """The run whose outputs are still in place: its fates and summary."""

    fates: dict[str, int]
    report: str


def unchanged(outbox: Path, fingerprint: str) -> LastRun | None:
    """The last run, when nothing it depended on changed and its outputs are in place as it left them (and as the
    manifest says); None when the merge must run."""
    from pipeline.outputs.publish import MANIFEST, read_manifest

    try:
        state = json.loads((outbox / CACHE_FOLDER / _LAST_RUN).read_text(encoding="utf-8"))
        _expect(isinstance(state, dict) and state.get("format") == FORMAT and state.get("fingerprint") == fingerprint)
        outputs, fates, report = state.get("outputs"), state.get("fates"), state.get("report")
        _expect(isinstance(outputs, dict) and isinstance(fates, dict) and isinstance(report, str))
        _expect(all(isinstance(k, str) and isinstance(v, int) for k, v in fates.items()))
        _expect(set(outputs) - {MANIFEST} == read_manifest(outbox))
        _expect(_outputs_state(outbox, outputs) == outputs)
    except (OSError, ValueError, _Invalid):
        return None
    return LastRun(fates, report)

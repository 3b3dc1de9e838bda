"""Feedback copies made by patching the division's xlsx package: only the parts that carry marks change.

`pipeline.outputs.feedback` loads the workbook with openpyxl and saves it again, which costs ~200 ms and drops
what openpyxl does not model (shapes, form controls, threaded comments, chart extensions). Here the copy
is the division's own zip with a few parts edited as text, every other member copied as it was
compressed:

- ``xl/styles.xml``: mark fills, borders and cell formats appended (each derived from the cell's own
  format, so number formats, fonts, alignment and protection survive), plus the formats of the 確認結果
  sheet; an equal entry already there is reused, so re-annotating does not make the lists grow;
- each marked worksheet: the ``s`` of its marked cells (every cell of a merged area; cells missing from
  ``sheetData`` inserted in row and column order) and a ``legacyDrawing`` when it had none; its comments
  part and VML drawing, merged with the comments, form controls and shapes the division already has
  (a division comment on a marked cell is kept inside the pipeline's and given back once the cell is
  fixed, as annotate does; a threaded comment is left alone);
- the 確認結果 sheet put first: ``workbook.xml`` (its ``sheet``, the ``localSheetId`` of sheet-scoped names
  shifted, the first tab active), the workbook's relationships, ``[Content_Types].xml`` and the titles
  of ``docProps/app.xml``; a sheet selected in the division's tab bar is deselected;
- a macro-enabled workbook becomes a plain one (the copy is always .xlsx), its VBA project left out.

Re-annotating a copy replaces the pipeline's own 確認結果 sheet, its comments (told by their author, or by
their 【エラー】/【警告】 label when LibreOffice dropped the author) and its marks (told by their fill and
border colours, as annotate does: fixed cells get the template's input look back). Parts are edited with
regular expressions on their text, never through an XML parser, so no entity is ever expanded; the
package has passed preflight before it gets here. The 確認結果 sheet says what annotate's says, in the same
words: its texts and helpers are imported from there.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import os
import posixpath
import re
import secrets
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html import unescape
from pathlib import Path

from pipeline.contract.template import FONT_NAME
from pipeline.errors import PipelineError
from pipeline.model import Issue

# The texts and helpers of the 確認結果 sheet and the comments are annotate's, so both copies say the same.
# The underscored ones should become public (or move to a light module beside this one) in the restructure.
from pipeline.outputs.feedback import (
    _COMMENT_WIDTH_PX,
    _ERROR_EDGE_RGB,
    _ERROR_RGB,
    _HEADER_ROW,
    _ORIGINAL_COMMENT,
    _ORIGINAL_COMMENT_RE,
    _WARNING_EDGE_RGB,
    _WARNING_RGB,
    _WIDTHS,
    AUTHOR,
    HEADERS,
    HOW_TO_RESUBMIT,
    SEVERITY_LABELS,
    SHEET_RESULTS,
    _by_severity,
    _clean,
    _comment_height,
    _height,
    _list_key,
    _parse_cell,
)

__all__ = ["PatchError", "patch_file", "patch_workbook"]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_RT_OFFICE_DOCUMENT = f"{_REL_NS}/officeDocument"
_RT_WORKSHEET = f"{_REL_NS}/worksheet"
_RT_STYLES = f"{_REL_NS}/styles"
_RT_COMMENTS = f"{_REL_NS}/comments"
_RT_VML = f"{_REL_NS}/vmlDrawing"
_RT_EXTENDED = f"{_REL_NS}/extended-properties"
_RT_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_CONTENT_TYPES = "[Content_Types].xml"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_INPUT_RGB, _INPUT_EDGE = "FFF2CC", ("thin", "808080")  # the template's input look, given back to fixed cells
_MARKS = {
    "blocking": (_ERROR_RGB, _ERROR_EDGE_RGB),
    "error": (_ERROR_RGB, _ERROR_EDGE_RGB),
    "warning": (_WARNING_RGB, _WARNING_EDGE_RGB),
}
_MARK_PAIRS = frozenset(_MARKS.values())
_MARK_EDGES = frozenset(edge for _, edge in _MARKS.values())
_SIDES = ("left", "right", "top", "bottom")
_MAX_MARKED_AREA = 1_000  # cells of a merged area given the mark's border (beyond it only the first cell is)

_ATTRIBUTE = re.compile(r"([\w:.\-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TAG = re.compile(r"<(/?)([\w:.\-]+)((?:\s+[\w:.\-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
_TEXT = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t\s*>|<(?:\w+:)?t\s*/>", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh[\s>].*?</(?:\w+:)?rPh\s*>", re.S)
# A reference into 確認結果 (not into a sheet whose name merely ends so, like 旧確認結果).
_INTO_RESULTS = re.compile(rf"(?<![\w.'\]]){SHEET_RESULTS}!|'{SHEET_RESULTS}'!")
_LOCAL_SHEET_ID = re.compile(r"(\slocalSheetId\s*=\s*[\"'])(\d+)([\"'])")
_WORKSHEETS_HEADINGS = frozenset({"Worksheets", "ワークシート"})  # app.xml's first heading, as Excel writes it
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


class PatchError(PipelineError):
    """The workbook's package is built in a way the patcher does not handle; annotate's re-save can stand in."""


def patch_workbook(data: bytes, issues: Sequence[Issue], *, filename: str, now: dt.datetime | None = None) -> bytes:
    """The division's workbook (its bytes) with every issue marked on its cell and listed on a first sheet 確認結果.

    ``filename`` is the name the division knows the file by (shown on 確認結果); ``now`` the time shown
    there (default: the current time). Raises PatchError for a package it cannot patch faithfully.
    """
    try:
        package = _Package(data)
        book = _Book(package)
        book.drop_macros()
        again = book.drop_results_sheet()
        styles = _Styles(package, book.styles_part())
        sheets = [sheet for sheet in book.sheets if sheet.kind == _RT_WORKSHEET and package.has(sheet.part)]
        marks, placed = _plan(package, sheets, issues)
        clear = styles.marked_formats()
        if again or clear:
            styles.compare_thoroughly()
        for sheet in sheets:
            if sheet.part is not None:
                _patch_sheet(package, styles, sheet.part, marks.get(sheet.name, {}), clear)
        order = {sheet.name: index for index, sheet in enumerate(book.sheets)}
        ordered = sorted(issues, key=lambda issue: _list_key(issue, order))
        stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
        book.add_results_sheet(_results_sheet(styles, filename, stamp, ordered, placed))
        book.select_first()
        styles.save()
        return package.save()
    except (KeyError, ValueError, IndexError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise PatchError(f"{type(error).__name__}: {error}") from error


def patch_file(source: Path, issues: Sequence[Issue], target: Path, *, data: bytes | None = None) -> Path:
    """Write the patched copy of ``source`` (or of ``data``, its bytes already read) to ``target`` as .xlsx, atomically;
    annotate's signature, so that the worker can call either."""
    source, target = Path(source), Path(target).with_suffix(".xlsx")
    if target.resolve() == source.resolve():
        raise ValueError(f"refusing to overwrite the original workbook {source}")
    copy = patch_workbook(source.read_bytes() if data is None else data, issues, filename=source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A hidden name in the same folder, so that the rename is atomic and a crash leaves no half-written copy.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        temporary.write_bytes(copy)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


# --- the package ------------------------------------------------------------------------------------------


class _Package:
    """The zip's members: the original bytes, and the parts edited as text, added or removed."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.infos = self.zip.infolist()
        self.names = {info.filename.lower(): info.filename for info in self.infos}  # part names ignore case
        self.texts: dict[str, str] = {}
        self.changed: set[str] = set()
        self.removed: set[str] = set()
        self.added: list[str] = []
        self._latin: set[str] = set()
        self.rels: dict[str, tuple[str, list[_Rel]]] = {}  # relationships parsed, with the text they came from

    def name(self, part: str) -> str:
        """The member's name as written in the zip (part names are case-insensitive)."""
        return self.names.get(part.lower(), part)

    def has(self, part: str | None) -> bool:
        """Whether the part is in the package (and not removed)."""
        return part is not None and part.lower() in self.names and self.name(part) not in self.removed

    def text(self, part: str) -> str:
        """The part as text (UTF-8; a VML drawing byte for byte as Latin-1, since Excel's are not always UTF-8)."""
        part = self.name(part)
        if part not in self.texts:
            raw = self._inflate(self.zip.getinfo(part))
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise PatchError(f"{part} is UTF-16")
            if part.lower().endswith(".vml"):
                self._latin.add(part)
                self.texts[part] = raw.decode("latin-1")
            else:
                self.texts[part] = raw.decode("utf-8")
        return self.texts[part]

    def _packed(self, info: zipfile.ZipInfo) -> bytes:
        """A member's compressed bytes, which follow its local header (30 bytes, its name and extra field)."""
        name_length, extra_length = struct.unpack_from("<HH", self.data, info.header_offset + 26)
        start = info.header_offset + 30 + name_length + extra_length
        return self.data[start : start + info.compress_size]

    def _inflate(self, info: zipfile.ZipInfo) -> bytes:
        """A member's bytes, inflated straight from the data (zipfile's reader costs more than the inflating)."""
        if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
            return self.zip.read(info)
        raw = zlib.decompress(self._packed(info), -15)
        if zlib.crc32(raw) != info.CRC or len(raw) != info.file_size:
            raise PatchError(f"{info.filename} is corrupt")
        return raw

    def put(self, part: str, text: str) -> None:
        """Replace or add a part."""
        if part.lower() not in self.names:
            self.names[part.lower()] = part
            self.added.append(part)
        part = self.name(part)
        self.removed.discard(part)
        self.texts[part] = text
        self.changed.add(part)

    def remove(self, part: str) -> None:
        """Leave a part out of the copy."""
        if self.has(part):
            self.removed.add(self.name(part))

    def free(self, pattern: str) -> str:
        """The first part name ``pattern.format(n)``, n = 1, 2, …, that the package does not hold."""
        n = 1
        while pattern.format(n).lower() in self.names:
            n += 1
        return pattern.format(n)

    def parts(self, suffix: str) -> list[str]:
        """The parts whose names end with ``suffix`` (lower case)."""
        return [name for key, name in self.names.items() if key.endswith(suffix) and name not in self.removed]

    def save(self) -> bytes:
        """The new zip: untouched members copied as they were compressed, edited and new ones deflated."""
        unusual = any(
            info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            for info in self.infos
        )
        if unusual or len(self.data) >= 0xFFFFFFFF or len(self.infos) >= 0xFFFF:
            return self._save_with_zipfile()  # encryption, other methods, ZIP64: let zipfile work it out
        writer = _ZipWriter()
        for info in self.infos:
            name = info.filename
            if name in self.removed:
                continue
            if name in self.changed:
                writer.add(name, info.date_time, self._encoded(name))
                continue
            writer.copy(info, self._packed(info))
        for name in self.added:
            if name not in self.removed:
                writer.add(name, (1980, 1, 1, 0, 0, 0), self._encoded(name))
        return writer.finish()

    def _save_with_zipfile(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in self.infos:
                if info.filename in self.removed:
                    continue
                if info.filename in self.changed:
                    target.writestr(_fresh(info.filename, info.date_time), self._encoded(info.filename))
                else:
                    target.writestr(_copy_info(info), self.zip.read(info))
            for name in self.added:
                if name not in self.removed:
                    target.writestr(_fresh(name, (1980, 1, 1, 0, 0, 0)), self._encoded(name))
        return out.getvalue()

    def _encoded(self, name: str) -> bytes:
        return self.texts[name].encode("latin-1" if name in self._latin else "utf-8")


class _ZipWriter:
    """A zip written member by member: copied members keep their compressed bytes, so copying costs no deflate."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.directory: list[bytes] = []

    def add(self, name: str, date_time: tuple[int, int, int, int, int, int], data: bytes) -> None:
        # Level 1: a third of level 6's time, ~15 % larger. A window no larger than the part: setting up a full
        # one costs more than deflating a small part.
        bits = min(15, max(9, (len(data) - 1).bit_length()))
        deflate = zlib.compressobj(1, zlib.DEFLATED, -bits, max(1, min(8, bits - 7)))
        packed = deflate.compress(data) + deflate.flush()
        self._member(name, date_time, zipfile.ZIP_DEFLATED, zlib.crc32(data), packed, len(data))

    def copy(self, info: zipfile.ZipInfo, packed: bytes) -> None:
        self._member(info.filename, info.date_time, info.compress_type, info.CRC, packed, info.file_size)

    def _member(
        self,
        name: str,
        date_time: tuple[int, int, int, int, int, int],
        method: int,
        crc: int,
        packed: bytes,
        size: int,
    ) -> None:
        encoded = name.encode()
        flags = 0x800 if not name.isascii() else 0
        year, month, day, hour, minute, second = date_time
        dos_date = max(year - 1980, 0) << 9 | month << 5 | day
        dos_time = hour << 11 | minute << 5 | second // 2
        offset = self.out.tell()
        fields = (20, flags, method, dos_time, dos_date, crc, len(packed), size, len(encoded))
        self.out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + encoded + packed)
        self.directory.append(struct.pack("<4sH5H3L5HLL", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + encoded)

    def finish(self) -> bytes:
        start = self.out.tell()
        directory = b"".join(self.directory)
        count = len(self.directory)
        self.out.write(directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0))
        return self.out.getvalue()


def _fresh(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh ZipInfo with the member's name, time, method and attributes (writing must not alter the reader's)."""
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type if info.compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
    copy.external_attr, copy.create_system, copy.comment = info.external_attr, info.create_system, info.comment
    return copy


# --- small text helpers -----------------------------------------------------------------------------------


def _attrs(tag: str) -> dict[str, str]:
    """The attributes of a start tag, values unescaped."""
    return {m[1]: unescape(m[2] if m[2] is not None else m[3]) for m in _ATTRIBUTE.finditer(tag)}


@cache
def _attr_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w:.\-]){re.escape(name)}\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _attr(tag: str, name: str, default: str = "") -> str:
    """One attribute of a start tag, unescaped (``default`` when it is absent)."""
    match = _attr_re(name).search(tag)
    if match is None:
        return default
    value = match[1] if match[1] is not None else match[2]
    return unescape(value) if "&" in value else value


def _set_attr(tag: str, name: str, value: str | None) -> str:
    """A start tag with one attribute set (added before its end) or, for None, removed."""
    pattern = re.compile(rf"\s{re.escape(name)}\s*=\s*(?:\"[^\"]*\"|'[^']*')")
    if value is None:
        return pattern.sub("", tag, count=1)
    new = f' {name}="{_esc(value)}"'
    if pattern.search(tag):
        return pattern.sub(lambda _: new, tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return tag[:end].rstrip() + new + tag[end:]


def _esc(text: str) -> str:
    """Text escaped for an XML attribute value or element content."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@cache
def _element(prefix: str, name: str) -> re.Pattern[str]:
    """A whole element (empty or with content, which must not nest the same element): its start tag in group 1,
    its content in group ``body``."""
    p, n = re.escape(prefix), re.escape(name)
    body = rf"[^<]*+(?:<(?!/{p}{n}\s*>)[^<]*+)*+"  # unrolled: much faster than a lazy .*? in a large part
    return re.compile(rf"(<{p}{n}(?=[\s/>])[^>]*?(?P<empty>/)?>)(?(empty)|(?P<body>{body})</{p}{n}\s*>)")


@cache
def _start(prefix: str, name: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(prefix)}{re.escape(name)}(?=[\s/>])[^>]*>")


@cache
def _end(prefix: str, name: str) -> re.Pattern[str]:
    return re.compile(rf"</{re.escape(prefix)}{re.escape(name)}\s*>")


def _root_prefix(text: str, name: str) -> str:
    """The namespace prefix of the root element (``x:`` or empty)."""
    match = re.search(rf"<(\w+:)?{name}[\s>]", text)
    if match is None:
        raise PatchError(f"no <{name}> element")
    return match[1] or ""


def _ns_prefix(text: str, namespace: str) -> str | None:
    """The prefix bound to a namespace in the part (without ':'), or None."""
    match = re.search(rf"xmlns:([\w.\-]+)\s*=\s*[\"']{re.escape(namespace)}[\"']", text)
    return None if match is None else match[1]


@cache
def _column(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _letters(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


def _ref(row: int, column: int) -> str:
    return f"{_letters(column)}{row}"


def _cell_of(ref: str) -> tuple[int, int] | None:
    """(row, column) of the first cell of a reference."""
    match = _CELL_REF.match(ref.strip())
    return None if match is None else (int(match[2]), _column(match[1]))


# --- relationships and content types ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Rel:
    id: str
    type: str
    target: str | None  # the part it points at; None when external


def _rels_part(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def _rels(package: _Package, part: str) -> list[_Rel]:
    """The relationships of a part (the package's own for ``""``)."""
    rels_part = _rels_part(part)
    if not package.has(rels_part):
        return []
    text = package.text(rels_part)
    cached = package.rels.get(rels_part)
    if cached is not None and cached[0] is text:
        return list(cached[1])
    folder = posixpath.dirname(part)
    found = []
    for match in _start("", "Relationship").finditer(re.sub(r"<(/?)\w+:", r"<\1", text)):
        attrs = _attrs(match[0])
        target = attrs.get("Target", "")
        if attrs.get("TargetMode") == "External":
            resolved = None
        elif target.startswith("/"):
            resolved = package.name(target.lstrip("/"))
        else:
            resolved = package.name(posixpath.normpath(posixpath.join(folder, target)))
        found.append(_Rel(attrs.get("Id", ""), attrs.get("Type", ""), resolved))
    package.rels[rels_part] = (text, found)
    return list(found)


def _add_rel(package: _Package, part: str, rel_type: str, target: str) -> str:
    """Add a relationship from a part to another; return its id."""
    rels_part = _rels_part(part)
    text = (
        package.text(rels_part)
        if package.has(rels_part)
        else f'{_XML_DECLARATION}<Relationships xmlns="{_PKG_REL_NS}"></Relationships>'
    )
    taken = {rel.id for rel in _rels(package, part)} if package.has(rels_part) else set()
    n = len(taken) + 1
    while f"rId{n}" in taken:
        n += 1
    rid = f"rId{n}"
    relative = _relative(target, posixpath.dirname(part))
    prefix = _root_prefix(text, "Relationships")
    entry = f'<{prefix}Relationship Id="{rid}" Type="{rel_type}" Target="{_esc(relative)}"/>'
    text, count = re.subn(rf"</{re.escape(prefix)}Relationships\s*>", lambda m: entry + m[0], text, count=1)
    if not count:
        text = re.sub(
            rf"<{re.escape(prefix)}Relationships([^>]*)/>",
            rf"<{prefix}Relationships\1>{entry}</{prefix}Relationships>",
            text,
        )
    package.put(rels_part, text)
    return rid


def _relative(target: str, folder: str) -> str:
    """The path of a part relative to a folder of the package (posixpath.relpath asks the OS for its cwd)."""
    to, base = target.split("/"), folder.split("/") if folder else []
    common = 0
    while common < min(len(to) - 1, len(base)) and to[common] == base[common]:
        common += 1
    return "/".join([".."] * (len(base) - common) + to[common:])


def _remove_rel(package: _Package, part: str, rid: str) -> None:
    rels_part = _rels_part(part)
    text = package.text(rels_part)
    pattern = re.compile(r"<(?:\w+:)?Relationship(?=[\s/>])[^>]*?(?:/>|>.*?</(?:\w+:)?Relationship\s*>)", re.S)
    package.put(rels_part, pattern.sub(lambda m: "" if _attrs(m[0].split(">")[0]).get("Id") == rid else m[0], text))


def _set_override(package: _Package, part: str, content_type: str | None) -> None:
    """Declare a part's content type (None: withdraw its declaration)."""
    text = package.text(_CONTENT_TYPES)
    pattern = re.compile(r"<(?:\w+:)?Override(?=[\s/>])[^>]*?(?:/>|>\s*</(?:\w+:)?Override\s*>)")
    wanted = "/" + part.lower()
    text = pattern.sub(lambda m: "" if _attr(m[0], "PartName").lower() == wanted else m[0], text)
    if content_type is not None:
        entry = f'<Override PartName="/{_esc(part)}" ContentType="{content_type}"/>'
        text = re.sub(r"</(?:\w+:)?Types\s*>", lambda m: entry + m[0], text, count=1)
    package.put(_CONTENT_TYPES, text)


def _ensure_default(package: _Package, extension: str, content_type: str) -> None:
    text = package.text(_CONTENT_TYPES)
    if re.search(rf"Extension\s*=\s*[\"']{re.escape(extension)}[\"']", text, re.I):
        return
    for match in _start("", "Default").finditer(re.sub(r"<(/?)\w+:", r"<\1", text)):
        if _attrs(match[0]).get("Extension", "").lower() == extension:
            return
    entry = f'<Default Extension="{extension}" ContentType="{content_type}"/>'
    package.put(_CONTENT_TYPES, re.sub(r"</(?:\w+:)?Types\s*>", lambda m: entry + m[0], text, count=1))


def _content_type(package: _Package, part: str) -> str | None:
    text = re.sub(r"<(/?)\w+:", r"<\1", package.text(_CONTENT_TYPES))
    for match in _start("", "Override").finditer(text):
        if _attr(match[0], "PartName").lower() == "/" + part.lower():
            return _attr(match[0], "ContentType")
    return None


# --- the workbook part ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sheet:
    name: str
    rid: str
    kind: str  # the relationship type: worksheet, chartsheet, dialogsheet…
    part: str | None


class _Book:
    """workbook.xml, its relationships and its list of sheets, in tab order."""

    def __init__(self, package: _Package) -> None:
        self.package = package
        main = [rel.target for rel in _rels(package, "") if rel.type == _RT_OFFICE_DOCUMENT]
        if not main or main[0] is None or not package.has(main[0]):
            raise PatchError("no workbook part")
        self.part = main[0]
        text = package.text(self.part)
        self.p = _root_prefix(text, "workbook")
        if _ns_prefix(text, _MAIN_NS) is None and f'xmlns="{_MAIN_NS}"' not in text:
            raise PatchError("not a transitional SpreadsheetML workbook")
        self.r = _ns_prefix(text, _REL_NS)
        self.rels = {rel.id: rel for rel in _rels(package, self.part)}
        self.sheets = self._read_sheets()

    @property
    def text(self) -> str:
        return self.package.text(self.part)

    def _read_sheets(self) -> list[_Sheet]:
        found = []
        for match in _start(self.p, "sheet").finditer(self.text):
            attrs = _attrs(match[0])
            rid = attrs.get(f"{self.r}:id", "")
            rel = self.rels.get(rid)
            found.append(_Sheet(attrs.get("name", ""), rid, rel.type if rel else "", rel.target if rel else None))
        return found

    def styles_part(self) -> str:
        found = [rel.target for rel in self.rels.values() if rel.type == _RT_STYLES and rel.target]
        if not found or not self.package.has(found[0]):
            raise PatchError("no styles part")
        return found[0]

    def drop_macros(self) -> None:
        """A copy is always .xlsx: a macro-enabled (or template) workbook becomes a plain one, its VBA left out."""
        if _content_type(self.package, self.part) in (None, _CT_MAIN):
            return
        _set_override(self.package, self.part, _CT_MAIN)
        for rel in list(self.rels.values()):
            if rel.type == _RT_VBA and rel.target:
                for sub in _rels(self.package, rel.target):
                    if sub.target:
                        self._drop_part(sub.target)
                self._drop_part(rel.target)
                _remove_rel(self.package, self.part, rel.id)

    def _drop_part(self, part: str) -> None:
        self.package.remove(part)
        self.package.remove(_rels_part(part))
        if _content_type(self.package, part) is not None:
            _set_override(self.package, part, None)

    def drop_results_sheet(self) -> bool:
        """Remove an earlier 確認結果 sheet (a resubmitted copy), its part and every name on or in it; say if there was one."""
        index = next((i for i, sheet in enumerate(self.sheets) if sheet.name == SHEET_RESULTS), None)
        if index is None:
            return False
        sheet = self.sheets.pop(index)
        text = _element(self.p, "sheet").sub(
            lambda m: "" if _attrs(m[1]).get("name") == SHEET_RESULTS else m[0], self.text
        )
        self.package.put(self.part, text)
        self._renumber(lambda local: None if local == index else local - (local > index))
        if sheet.part is not None:
            self._drop_part(sheet.part)
        _remove_rel(self.package, self.part, sheet.rid)
        return True

    def _renumber(self, new_index: Callable[[int], int | None]) -> None:
        """Give sheet-scoped names their sheet's new index; drop names of a dropped sheet or pointing into 確認結果."""

        def renumber(match: re.Match[str]) -> str:
            start, body = match[1], match["body"] or ""
            if SHEET_RESULTS in body and _INTO_RESULTS.search(unescape(body)):
                return ""
            local = _attr(start, "localSheetId")
            if not local.strip().isdigit():
                return match[0]
            index = new_index(int(local))
            return "" if index is None else _set_attr(start, "localSheetId", str(index)) + match[0][len(start) :]

        def shift(match: re.Match[str]) -> str:
            index = new_index(int(match[2]))
            assert index is not None
            return f"{match[1]}{index}{match[3]}"

        if SHEET_RESULTS in self.text or any(new_index(i) is None for i in range(len(self.sheets) + 1)):
            self.package.put(self.part, _element(self.p, "definedName").sub(renumber, self.text))
        else:  # nothing to drop: only the indices move (a plain substitution, names are many in a template)
            self.package.put(self.part, _LOCAL_SHEET_ID.sub(shift, self.text))

    def add_results_sheet(self, xml: str) -> None:
        """Put the 確認結果 sheet first: its part, relationship, content type, entry in workbook.xml and app.xml."""
        part = self.package.free("xl/worksheets/sheet{}.xml")
        self.package.put(part, xml)
        _set_override(self.package, part, _CT_WORKSHEET)
        rid = _add_rel(self.package, self.part, _RT_WORKSHEET, part)
        ids = [int(v) for v in re.findall(r"\ssheetId\s*=\s*[\"'](\d+)[\"']", self.text)]
        r_prefix = self.r or "r"
        declare = "" if self.r else f' xmlns:r="{_REL_NS}"'
        entry = f'<{self.p}sheet name="{SHEET_RESULTS}" sheetId="{max(ids, default=0) + 1}"{declare} {r_prefix}:id="{rid}"/>'
        text, count = re.subn(rf"<{re.escape(self.p)}sheets(?=[\s>])[^>]*>", lambda m: m[0] + entry, self.text, count=1)
        if not count:
            raise PatchError("no <sheets> element")
        self.package.put(self.part, text)
        self._renumber(lambda local: local + 1)
        self.sheets.insert(0, _Sheet(SHEET_RESULTS, rid, _RT_WORKSHEET, part))
        self._add_title()

    def _add_title(self) -> None:
        """List 確認結果 first among the worksheet titles of docProps/app.xml, when the file keeps them."""
        app = next((rel.target for rel in _rels(self.package, "") if rel.type == _RT_EXTENDED), None)
        if app is None or not self.package.has(app):
            return
        text = self.package.text(app)
        titles = re.search(r"<(\w+:)?TitlesOfParts>\s*<(\w+:)?vector\b([^>]*)>", text)
        pairs = re.search(
            r"<(?:\w+:)?HeadingPairs>\s*<(?:\w+:)?vector\b[^>]*>\s*<(?:\w+:)?variant>\s*<(?:\w+:)?lpstr>([^<]*)<.*?"
            r"<(?:\w+:)?i4>(\d+)</(?:\w+:)?i4>",
            text,
            re.S,
        )
        if titles is None or pairs is None or pairs[1] not in _WORKSHEETS_HEADINGS or f">{SHEET_RESULTS}<" in text:
            return
        vt = titles[2] or ""
        size = _attrs(titles[3]).get("size", "0")
        start = _set_attr(titles[0][titles.start(2) - titles.start() - 1 :], "size", str(int(size) + 1))
        head = titles[0][: titles.start(2) - titles.start() - 1]
        text = (
            text[: pairs.start(2)]
            + str(int(pairs[2]) + 1)
            + text[pairs.end(2) : titles.start()]
            + head
            + start
            + f"<{vt}lpstr>{SHEET_RESULTS}</{vt}lpstr>"
            + text[titles.end() :]
        )
        self.package.put(app, text)

    def select_first(self) -> None:
        """Open on the first tab (確認結果) alone: every other sheet's tabSelected goes, since Excel groups them."""
        text = re.sub(r"(<(?:\w+:)?workbookView(?=[\s/>])[^>]*>)", lambda m: _first_tab(m[1]), self.text)
        self.package.put(self.part, text)
        for sheet in self.sheets[1:]:
            if sheet.part is None or not self.package.has(sheet.part):
                continue
            sheet_text = self.package.text(sheet.part)
            edited = _deselect(sheet_text)
            if edited != sheet_text:
                self.package.put(sheet.part, edited)


def _deselect(text: str) -> str:
    """A sheet's XML with its sheet views' tabSelected removed (found by a plain search: sheets are large)."""
    position = text.find("tabSelected")
    while position >= 0:
        start, end = text.rfind("<", 0, position), text.find(">", position)
        tag = text[start : end + 1]
        if start >= 0 and end >= 0 and re.match(r"<(?:[\w.\-]+:)?sheetView\s", tag):
            tag = _set_attr(tag, "tabSelected", None)
            text = text[:start] + tag + text[end + 1 :]
            end = start + len(tag)
        position = text.find("tabSelected", end)
    return text


def _first_tab(tag: str) -> str:
    return _set_attr(_set_attr(tag, "activeTab", "0"), "firstSheet", None)


# --- styles -----------------------------------------------------------------------------------------------


class _List:
    """One list of styles.xml (fonts, fills, borders, cellXfs, numFmts): its entries and those appended."""

    def __init__(self, text: str, p: str, name: str, item: str) -> None:
        match = _element(p, name).search(text)
        if match is None:
            raise PatchError(f"styles.xml has no <{name}>")
        self.span = match.span()
        self.start, self.inner = match[1], match["body"] or ""
        self.p, self.name = p, name
        self.items = [m[0] for m in _element(p, item).finditer(self.inner)]
        self.added: list[str] = []
        self._keys: dict[object, int] | None = None
        self.thorough = False
        self.meaning: Callable[[str], object] = _canon  # what entries are compared by, when thorough

    def _key(self, item: str) -> object:
        return self.meaning(item) if self.thorough else item

    def index(self, item: str) -> int:
        """The index of an equal entry, appending this one when there is none.

        Entries are compared as written; after ``compare_thoroughly()`` (a copy annotated before, perhaps
        re-saved by Excel or openpyxl, which write the same entry differently) by what they mean.
        """
        keys = self._known()
        key = self._key(item)
        if key not in keys:
            keys[key] = len(self.items) + len(self.added)
            self.added.append(item)
        return keys[key]

    def first_equal(self, index: int) -> int:
        """The first entry equal to this one (openpyxl keeps duplicates apart: two fills 'none' at 0 and 7)."""
        item = self.get(index)
        return index if item is None else self._known().get(self._key(item), index)

    def _known(self) -> dict[object, int]:
        if self._keys is None:
            self._keys = {}
            for i, existing in enumerate(self.items):
                self._keys.setdefault(self._key(existing), i)
        return self._keys

    def get(self, index: int) -> str | None:
        all_items = self.items + self.added
        return all_items[index] if 0 <= index < len(all_items) else None

    def render(self) -> str:
        start = self.start.removesuffix("/>").rstrip() + ">" if self.start.endswith("/>") else self.start
        start = _set_attr(start, "count", str(len(self.items) + len(self.added)))
        return f"{start}{self.inner}{''.join(self.added)}</{self.p}{self.name}>"


_DEFAULTS = frozenset({("pivotButton", "0"), ("quotePrefix", "0"), ("patternType", "none")})
_FLAGS = frozenset({"b", "i", "strike", "outline", "shadow", "condense", "extend"})


def _canon(element: str) -> tuple[object, ...]:
    """What a style entry means rather than how it is written, so that an entry re-saved by openpyxl or Excel (other
    attribute and child order, ``<b val="1"/>`` for ``<b/>``, alpha in colours, defaults and apply flags written or
    left out) is found again instead of appended once more."""
    tags = []
    for closing, name, attributes, empty in _TAG.findall(element):
        local = name.rpartition(":")[2]
        items = []
        for key, double, single in _ATTRIBUTE.findall(attributes):
            value = double or single
            value = {"true": "1", "false": "0"}.get(value, value)
            if key.startswith("apply") or (key, value) in _DEFAULTS:
                continue
            if key == "val" and ((local in _FLAGS and value == "1") or (local == "u" and value == "single")):
                continue
            items.append((key, value[-6:].upper() if key == "rgb" else value))
        tags.append((closing, local, tuple(sorted(items)), empty))
    inner = tags[1:-1] if len(tags) > 1 and tags[-1][0] == "/" else tags[1:]
    if all(tag[3] for tag in inner):  # children without children of their own (a font's, an xf's): order is free
        inner = sorted(inner)
    return (tags[0], *inner) if tags else ()


class _Styles:
    """styles.xml: finds or appends the fills, borders, fonts, number formats and cell formats the marks need."""

    def __init__(self, package: _Package, part: str) -> None:
        self.package, self.part = package, part
        text = package.text(part)
        self.p = p = _root_prefix(text, "styleSheet")
        self.fonts = _List(text, p, "fonts", "font")
        self.fills = _List(text, p, "fills", "fill")
        self.borders = _List(text, p, "borders", "border")
        self.xfs = _List(text, p, "cellXfs", "xf")
        self.formats = _List(text, p, "numFmts", "numFmt") if _start(p, "numFmts").search(text) else None
        self._new_formats: list[str] = []
        self._marks: dict[tuple[int, str], int] = {}
        self._restored: dict[int, int] = {}
        self._fill_list: list[str | None] | None = None
        self._edge_list: list[tuple[tuple[str, str] | None, ...]] | None = None

    def fill(self, rgb: str | None) -> int:
        """A solid fill of this colour (None: no fill)."""
        p = self.p
        if rgb is None:
            return self.fills.index(f'<{p}fill><{p}patternFill patternType="none"/></{p}fill>')
        if rgb in self._fill_colours():
            return self._fill_colours().index(rgb)
        return self.fills.index(
            f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="FF{rgb}"/><{p}bgColor indexed="64"/>'
            f"</{p}patternFill></{p}fill>"
        )

    def border(self, edge: tuple[str, str] | None) -> int:
        """A border of this style and colour on all four sides (None: no border)."""
        p = self.p
        if edge is None:
            sides = "".join(f"<{p}{side}/>" for side in (*_SIDES, "diagonal"))
            return self.borders.index(f"<{p}border>{sides}</{p}border>")
        if (edge,) * 4 in self._edges():
            return self._edges().index((edge,) * 4)
        style, rgb = edge
        sides = "".join(f'<{p}{side} style="{style}"><{p}color rgb="FF{rgb}"/></{p}{side}>' for side in _SIDES)
        return self.borders.index(f"<{p}border>{sides}<{p}diagonal/></{p}border>")

    def _fill_colours(self) -> list[str | None]:
        if self._fill_list is None:
            self._fill_list = [_fill_rgb(item) for item in self.fills.items]
        return self._fill_list

    def _edges(self) -> list[tuple[tuple[str, str] | None, ...]]:
        if self._edge_list is None:
            self._edge_list = [_border_edges(item) for item in self.borders.items]
        return self._edge_list

    def font(self, *, size: int = 10, bold: bool = False, link: bool = False) -> int:
        p = self.p
        parts = [f"<{p}b/>" if bold else "", f'<{p}u val="single"/>' if link else "", f'<{p}sz val="{size}"/>']
        parts += [f'<{p}color rgb="FF0563C1"/>' if link else "", f'<{p}name val="{FONT_NAME}"/>']
        parts += [f'<{p}family val="3"/>', f'<{p}charset val="128"/>']
        return self.fonts.index(f"<{p}font>{''.join(parts)}</{p}font>")

    def number_format(self, code: str) -> int:
        """The id of a custom number format, declared when the file lacks it."""
        if code == "@":
            return 49
        existing = self.formats.items if self.formats else []
        ids = [163]
        for item in [*existing, *self._new_formats]:
            attrs = _attrs(item)
            if attrs.get("formatCode") == code:
                return int(attrs.get("numFmtId", "0"))
            ids.append(int(attrs.get("numFmtId", "0")))
        new_id = max(ids) + 1
        self._new_formats.append(f'<{self.p}numFmt numFmtId="{new_id}" formatCode="{_esc(code)}"/>')
        return new_id

    def cell_format(
        self, *, font: int, fill: int, border: int, horizontal: str, wrap: bool, number_format: int = 0
    ) -> int:
        """A cell format of the 確認結果 sheet."""
        p = self.p
        wrapped = ' wrapText="1"' if wrap else ""
        return self.xfs.index(
            f'<{p}xf numFmtId="{number_format}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
            f' applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">'
            f'<{p}alignment horizontal="{horizontal}" vertical="top"{wrapped}/></{p}xf>'
        )

    def marked(self, xf: int, severity: str) -> int:
        """The cell format ``xf`` with the fill and border of a mark of this severity."""
        key = (xf, severity)
        if key not in self._marks:
            rgb, edge_rgb = _MARKS[severity]
            self._marks[key] = self._derive(xf, self.fill(rgb), self.border(("medium", edge_rgb)))
        return self._marks[key]

    def restored(self, xf: int) -> int:
        """A marked cell format given back the template's input look (fill and border; the rest kept)."""
        if xf not in self._restored:
            self._restored[xf] = self._derive(xf, self.fill(_INPUT_RGB), self.border(_INPUT_EDGE))
        return self._restored[xf]

    def _derive(self, xf: int, fill: int, border: int) -> int:
        item = self.xfs.get(xf) or self.xfs.get(0)
        if item is None:
            raise PatchError("styles.xml has no cell formats")
        start = _start(self.p, "xf").match(item)
        assert start is not None
        tag = start[0]
        for name, value in (("fillId", fill), ("borderId", border), ("applyFill", 1), ("applyBorder", 1)):
            tag = _set_attr(tag, name, str(value))
        return self.xfs.index(tag + item[start.end() :])

    def compare_thoroughly(self) -> None:
        """Find equal entries however they are written (before any is looked up)."""
        for entries in (self.fonts, self.fills, self.borders, self.xfs):
            entries.thorough = True
        self.xfs.meaning = self._xf_meaning

    def _xf_meaning(self, item: str) -> object:
        """A cell format's meaning, its font, fill and border compared by theirs."""
        head, *rest = _canon(item)
        assert isinstance(head, tuple)
        closing, name, attributes, empty = head
        lists = {"fontId": self.fonts, "fillId": self.fills, "borderId": self.borders}
        attributes = tuple(
            (key, str(lists[key].first_equal(int(value)))) if key in lists and value.isdigit() else (key, value)
            for key, value in attributes
        )
        return ((closing, name, attributes, empty), *rest)

    def marked_formats(self) -> frozenset[int]:
        """The cell formats that carry a mark: a mark's fill with its edge colour (a pair no division applies by
        hand), or no fill and only mark edges (a merged area's inner cells once openpyxl or Excel re-saved the copy)."""
        text = self.package.text(self.part).upper()
        if not any(rgb in text for rgb in _MARK_EDGES):
            return frozenset()  # a workbook never annotated: no need to read every fill and border
        fills = self._fill_colours()
        edges = self._edges()
        found = set()
        for i, item in enumerate(self.xfs.items):
            tag = item.split(">", 1)[0]
            fill_id, border_id = int(_attr(tag, "fillId") or 0), int(_attr(tag, "borderId") or 0)
            fill = fills[fill_id] if fill_id < len(fills) else None
            drawn = {edge for edge in (edges[border_id] if border_id < len(edges) else ()) if edge is not None}
            if not drawn or any(style != "medium" for style, _ in drawn):
                continue
            colours = {rgb for _, rgb in drawn}
            if (fill is not None and any((fill, rgb) in _MARK_PAIRS for rgb in colours)) or (
                fill is None and colours <= _MARK_EDGES
            ):
                found.add(i)
        return frozenset(found)

    def save(self) -> None:
        if not (self.fonts.added or self.fills.added or self.borders.added or self.xfs.added or self._new_formats):
            return
        text = self.package.text(self.part)
        lists = [self.fonts, self.fills, self.borders, self.xfs]
        if self.formats is not None:
            self.formats.added = self._new_formats
            lists.append(self.formats)
        out, position = [], 0
        for item in sorted(lists, key=lambda x: x.span):
            out += [text[position : item.span[0]], item.render()]
            position = item.span[1]
        out.append(text[position:])
        text = "".join(out)
        if self.formats is None and self._new_formats:
            p = self.p
            formats = f'<{p}numFmts count="{len(self._new_formats)}">{"".join(self._new_formats)}</{p}numFmts>'
            text = re.sub(rf"<{re.escape(p)}styleSheet(?=[\s>])[^>]*>", lambda m: m[0] + formats, text, count=1)
        self.package.put(self.part, text)


def _fill_rgb(fill: str) -> str | None:
    """The colour of a solid fill (last six hex digits, upper case), else None."""
    pattern = re.search(r"<(?:\w+:)?patternFill(?=[\s/>])[^>]*>", fill)
    if pattern is None or _attrs(pattern[0]).get("patternType") != "solid":
        return None
    colour = re.search(r"<(?:\w+:)?fgColor(?=[\s/>])[^>]*>", fill)
    rgb = _attrs(colour[0]).get("rgb") if colour else None
    return rgb[-6:].upper() if rgb else None


def _border_edges(border: str) -> tuple[tuple[str, str] | None, ...]:
    """(style, colour) of the left, right, top and bottom edges."""
    edges: list[tuple[str, str] | None] = []
    plain = re.sub(r"<(/?)\w+:", r"<\1", border)
    for side in _SIDES:
        match = _element("", side).search(plain)
        if match is None or "style" not in _attrs(match[1]):
            edges.append(None)
            continue
        colour = re.search(r"<color(?=[\s/>])[^>]*>", match["body"] or "")
        rgb = _attrs(colour[0]).get("rgb", "") if colour else ""
        edges.append((_attrs(match[1])["style"], rgb[-6:].upper()))
    return tuple(edges)


# --- which cells get which marks --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Area:
    """A marked cell, or the merged range that holds it, with the issues on it."""

    first: tuple[int, int]
    last: tuple[int, int]
    issues: tuple[Issue, ...]


def _plan(
    package: _Package, sheets: Sequence[_Sheet], issues: Iterable[Issue]
) -> tuple[dict[str, dict[tuple[int, int], _Area]], set[tuple[str, str]]]:
    """Group the issues by sheet and marked area; return the groups and the (sheet, cell) pairs that exist."""
    parts = {sheet.name: sheet.part for sheet in sheets if sheet.part}
    merges: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    groups: dict[str, dict[tuple[tuple[int, int], tuple[int, int]], list[Issue]]] = {}
    placed: set[tuple[str, str]] = set()
    for issue in issues:
        part = parts.get(issue.sheet) if issue.sheet else None
        where = _parse_cell(issue.cell) if part else None
        if part is None or where is None:
            continue
        if issue.sheet not in merges:
            merges[issue.sheet] = _merged_ranges(package.text(part))
        area = next(
            ((a, b) for a, b in merges[issue.sheet] if a[0] <= where[0] <= b[0] and a[1] <= where[1] <= b[1]),
            (where, where),
        )
        groups.setdefault(issue.sheet, {}).setdefault(area, []).append(issue)
        placed.add((issue.sheet, issue.cell))
    marks = {
        sheet: {a: _Area(a, b, tuple(found)) for (a, b), found in areas.items()} for sheet, areas in groups.items()
    }
    return marks, placed


_MERGE_REF = re.compile(r"<(?:\w+:)?mergeCell\s[^>]*?ref\s*=\s*[\"']\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?[\"']")


def _merged_ranges(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    found: list[tuple[tuple[int, int], tuple[int, int]]] = []
    start = text.find("mergeCells")
    if start < 0:
        return found
    for first_col, first_row, last_col, last_row in _MERGE_REF.findall(text, start - 10):
        a = (int(first_row), _column(first_col))
        b = (int(last_row), _column(last_col)) if last_row else a
        if a[0] > b[0] or a[1] > b[1]:  # written bottom-right first
            a, b = (min(a[0], b[0]), min(a[1], b[1])), (max(a[0], b[0]), max(a[1], b[1]))
        found.append((a, b))
    return found


# --- one worksheet: cell formats, comments, VML -----------------------------------------------------------


def _patch_sheet(
    package: _Package,
    styles: _Styles,
    part: str,
    areas: dict[tuple[int, int], _Area],
    clear: frozenset[int],
) -> None:
    """Mark the areas of one worksheet and clear the marks of an earlier annotation."""
    text = package.text(part)
    p = _root_prefix(text, "worksheet")
    targets: dict[tuple[int, int], str] = {}
    for area in areas.values():
        severity = "warning" if all(issue.severity == "warning" for issue in area.issues) else "error"
        last = area.last
        if (last[0] - area.first[0] + 1) * (last[1] - area.first[1] + 1) > _MAX_MARKED_AREA:
            last = area.first  # a huge merged area: Excel paints it with its first cell's fill alone
        for row in range(area.first[0], last[0] + 1):
            for col in range(area.first[1], last[1] + 1):
                targets[(row, col)] = severity
    if targets or clear:
        text = _restyle(text, p, styles, targets, clear)
    notes = {first: _note_text(area.issues) for first, area in areas.items()}
    text = _comment(package, part, text, p, notes)
    if text != package.text(part):
        package.put(part, text)


def _note_text(issues: Sequence[Issue]) -> str:
    return "\n".join(f"【{SEVERITY_LABELS[issue.severity]}】{issue.message}" for issue in _by_severity(issues))


def _restyle(text: str, p: str, styles: _Styles, targets: dict[tuple[int, int], str], clear: frozenset[int]) -> str:
    """Give the target cells their mark's format and cleared cells theirs back, inserting cells that are missing."""
    data = _start(p, "sheetData").search(text)
    if data is None:
        raise PatchError("worksheet without sheetData")
    if data[0].endswith("/>"):
        text = f"{text[: data.start()]}{data[0][:-2].rstrip()}></{p}sheetData>{text[data.end() :]}"
        data = _start(p, "sheetData").search(text)
        assert data is not None
    end = text.find(f"</{p}sheetData>", data.end())
    if end < 0:
        raise PatchError("sheetData without its end tag")
    column_styles = _ColumnStyles(text[: data.start()], p)
    by_row: dict[int, dict[int, str]] = {}
    for (row, col), severity in targets.items():
        by_row.setdefault(row, {})[col] = severity
    pending = sorted(by_row)
    cleared = _cleared_positions(text, data.end(), end, clear)
    row_end = f"</{p}row>"
    out: list[str] = [text[: data.end()]]
    position, implicit = data.end(), 0
    bounds: list[tuple[int, int]] = []

    def new_row(row: int) -> str:
        cells = "".join(
            f'<{p}c r="{_ref(row, col)}" s="{styles.marked(column_styles.get(col, 0), sev)}"/>'
            for col, sev in sorted(by_row[row].items())
        )
        bounds.extend((row, col) for col in by_row[row])
        return f'<{p}row r="{row}">{cells}</{p}row>'

    # Only start tags are matched (writers put r first): a row is read further only when it changes.
    for match in _row_start(p).finditer(text, data.end(), end):
        start = match[0]
        number = match[1] or _attr(start, "r")
        row = int(number) if number.isdigit() else implicit + 1
        implicit = row
        while pending and pending[0] < row:
            out += [text[position : match.start()], new_row(pending.pop(0))]
            position = match.start()
        if not cleared and row not in by_row and number.isdigit():
            continue
        empty = start.endswith("/>")
        close = match.end() if empty else text.find(row_end, match.end(), end)
        if close < 0:
            raise PatchError("row without its end tag")
        wanted = by_row.get(row, {})
        if pending and pending[0] == row:
            pending.pop(0)
        has_cleared = bool(cleared) and bisect.bisect_left(cleared, match.end()) < bisect.bisect_left(cleared, close)
        if not wanted and not has_cleared and number.isdigit():
            continue
        out.append(text[position : match.start()])
        position = close if empty else close + len(row_end)
        if not number.isdigit():
            start = _set_attr(start, "r", str(row))
        if not wanted and not has_cleared:
            out.append(text[match.start() : position].replace(match[0], start, 1))
            continue
        base = int(_attr(start, "s", "0")) if _attr(start, "customFormat") in ("1", "true") else None
        body = "" if empty else text[match.end() : close]
        cells, inserted = _restyle_row(body, row, p, styles, wanted, clear, base, column_styles)
        bounds.extend((row, col) for col in inserted)
        if inserted:
            start = _set_attr(start, "spans", None)
        if empty:
            start = start[:-2].rstrip() + ">"
        out.append(f"{start}{cells}</{p}row>")
    out.append(text[position:end])
    out.extend(new_row(row) for row in pending)
    out.append(text[end:])
    text = "".join(out)
    return _widen_dimension(text, p, bounds) if bounds else text


@cache
def _row_start(p: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(p)}row(?=[\s/>])(?:\s+r\s*=\s*[\"'](\d+)[\"'])?[^>]*>")


def _cleared_positions(text: str, start: int, end: int, clear: frozenset[int]) -> list[int]:
    """Where cells with a marked format stand in sheetData (sorted), to tell the rows that need clearing."""
    if not clear:
        return []
    pattern = re.compile(r"\ss\s*=\s*[\"'](?:" + "|".join(map(str, sorted(clear))) + r")[\"']")
    return [m.start() for m in pattern.finditer(text, start, end)]


def _restyle_row(
    inner: str,
    row: int,
    p: str,
    styles: _Styles,
    wanted: dict[int, str],
    clear: frozenset[int],
    base: int | None,
    column_styles: _ColumnStyles,
) -> tuple[str, list[int]]:
    """A row's cells with new formats, and the columns of the cells inserted."""
    pending = sorted(wanted)
    out: list[str] = []
    inserted: list[int] = []
    position, implicit = 0, 0

    def new_cell(col: int) -> str:
        inserted.append(col)
        xf = base if base is not None else column_styles.get(col, 0)
        return f'<{p}c r="{_ref(row, col)}" s="{styles.marked(xf, wanted[col])}"/>'

    # Only start tags are matched (a cell's content holds no '<c'): a cell is rewritten only when it changes.
    for match in _cell_start(p).finditer(inner):
        start = match[0]
        col = _column(match[1]) if match[1] else implicit + 1
        if not match[1] and (where := _cell_of(_attr(start, "r"))) is not None:
            col = where[1]
        implicit = col
        while pending and pending[0] < col:
            out += [inner[position : match.start()], new_cell(pending.pop(0))]
            position = match.start()
        if pending and pending[0] == col:
            pending.pop(0)
        xf = int(_attr(start, "s") or 0) if col in wanted or clear else 0
        if col in wanted:
            new = _set_attr(start, "s", str(styles.marked(xf, wanted[col])))
        elif xf in clear:
            new = _set_attr(start, "s", str(styles.restored(xf)))
        elif _attr(start, "r"):
            continue
        else:
            new = start
        if not _attr(new, "r"):
            new = _set_attr(new, "r", _ref(row, col))
        out += [inner[position : match.start()], new]
        position = match.end()
    out.append(inner[position:])
    out.extend(new_cell(col) for col in pending)
    return "".join(out), inserted


@cache
def _cell_start(p: str) -> re.Pattern[str]:
    """A cell's start tag, the letters of its reference in group 1 when r comes first (as every writer puts it)."""
    return re.compile(rf"<{re.escape(p)}c(?=[\s/>])(?:\s+r\s*=\s*[\"']\$?([A-Za-z]{{1,3}})\$?\d+[\"'])?[^>]*>")


class _ColumnStyles:
    """The cell formats of <col style> ranges: what a cell the row does not hold yet looks like."""

    def __init__(self, head: str, p: str) -> None:
        self.head, self.p = head, p
        self._ranges: list[tuple[int, int, int]] | None = None  # read when a cell is inserted, which is rare

    def get(self, column: int, default: int) -> int:
        if self._ranges is None:
            self._ranges = []
            for match in _start(self.p, "col").finditer(self.head):
                tag = match[0]
                low, high, style = _attr(tag, "min"), _attr(tag, "max"), _attr(tag, "style")
                if low.isdigit() and high.isdigit() and style.isdigit():
                    self._ranges.append((int(low), int(high), int(style)))
        return next((style for low, high, style in self._ranges if low <= column <= high), default)


def _widen_dimension(text: str, p: str, cells: list[tuple[int, int]]) -> str:
    match = _start(p, "dimension").search(text)
    if match is None:
        return text
    ref = _attrs(match[0]).get("ref", "")
    first, _, last = ref.partition(":")
    a, b = _cell_of(first), _cell_of(last or first)
    if a is None or b is None:
        return text
    rows = [a[0], b[0], *(c[0] for c in cells)]
    cols = [a[1], b[1], *(c[1] for c in cells)]
    new = f"{_ref(min(rows), min(cols))}:{_ref(max(rows), max(cols))}"
    if new == ref or (a == b and new == f"{first}:{first}"):
        return text
    return text[: match.start()] + _set_attr(match[0], "ref", new) + text[match.end() :]


# --- comments and their VML shapes ------------------------------------------------------------------------


@dataclass
class _Comment:
    cell: tuple[int, int]
    author: str
    text: str
    raw: str | None  # the division's comment as written, kept byte for byte; None for one made here


def _comment(package: _Package, part: str, text: str, p: str, notes: dict[tuple[int, int], str]) -> str:
    """Put the pipeline's comments on a sheet, replacing its earlier ones and keeping the division's."""
    rels = _rels(package, part)
    comments_part = next((rel.target for rel in rels if rel.type == _RT_COMMENTS and package.has(rel.target)), None)
    existing = package.text(comments_part) if comments_part else ""
    if not notes and AUTHOR not in existing and not any(marker in existing for marker in _OWN_MARKERS):
        return text
    cp = _root_prefix(existing, "comments") if existing else ""
    authors, comments = _read_comments(existing, cp) if existing else ([], [])
    changed: set[tuple[int, int]] = set()
    kept: list[_Comment] = []
    division: dict[tuple[int, int], _Comment] = {}
    for comment in comments:
        if _is_own(comment):
            changed.add(comment.cell)
            original = _ORIGINAL_COMMENT_RE.search(comment.text)
            if original is not None:
                division[comment.cell] = _Comment(comment.cell, original["author"], original["text"], None)
        else:
            division.setdefault(comment.cell, comment)
            kept.append(comment)
    final: dict[tuple[int, int], _Comment] = {c.cell: c for c in kept}
    for cell, restored in division.items():
        if restored.raw is None and cell not in notes:
            final[cell] = restored
    for cell, note in notes.items():
        own = division.get(cell)
        if own is not None and own.author.startswith("tc="):
            continue  # a threaded comment (Excel 365) stays: its thread would no longer match a replaced note
        if own is not None:
            note += "\n\n" + _ORIGINAL_COMMENT.format(author=own.author) + "\n" + own.text
        final[cell] = _Comment(cell, AUTHOR, _clean(note), None)
        changed.add(cell)
    ordered = [final[cell] for cell in sorted(final)]
    if not ordered:  # the last pipeline comment went: the sheet has no comments part, as before the first round
        if comments_part is not None:
            package.remove(comments_part)
            _set_override(package, comments_part, None)
            _remove_rel(package, part, next(rel.id for rel in rels if rel.target == comments_part))
        return _shapes(package, part, text, p, ordered, changed)
    if comments_part is None:
        comments_part = package.free("xl/comments{}.xml")
        _set_override(package, comments_part, _CT_COMMENTS)
        _add_rel(package, part, _RT_COMMENTS, comments_part)
        existing = f'{_XML_DECLARATION}<comments xmlns="{_MAIN_NS}"><authors/><commentList/></comments>'
    package.put(comments_part, _write_comments(existing, cp, authors, ordered))
    return _shapes(package, part, text, p, ordered, changed)


# A pipeline comment starts with a severity label: LibreOffice re-saves comments without their author.
_OWN_MARKERS = tuple(f"【{label}】" for label in SEVERITY_LABELS.values())


def _is_own(comment: _Comment) -> bool:
    """Whether a comment is the pipeline's: by its author, or by its first line when the author was lost."""
    return comment.author == AUTHOR or (not comment.author.strip() and comment.text.startswith(_OWN_MARKERS))


def _read_comments(text: str, p: str) -> tuple[list[str], list[_Comment]]:
    authors_block = _element(p, "authors").search(text)
    authors = [
        unescape(m["body"] or "") for m in _element(p, "author").finditer(authors_block[0] if authors_block else "")
    ]
    found = []
    for match in _element(p, "comment").finditer(text):
        attrs = _attrs(match[1])
        cell = _cell_of(attrs.get("ref", ""))
        author_id = attrs.get("authorId", "")
        author = authors[int(author_id)] if author_id.isdigit() and int(author_id) < len(authors) else ""
        body = _PHONETIC.sub("", match["body"] or "")
        words = "".join(unescape(m[1] or "") for m in _TEXT.finditer(body))
        if cell is not None:
            found.append(_Comment(cell, author, words, match[0]))
    return authors, found


def _write_comments(text: str, p: str, authors: list[str], comments: list[_Comment]) -> str:
    """The comments part with this list of comments; the authors list only grows, so kept comments keep their ids."""
    authors = list(authors)
    out = []
    for comment in comments:
        if comment.raw is not None:
            out.append(comment.raw)
            continue
        if comment.author not in authors:
            authors.append(comment.author)
        body = _esc(comment.text).replace("\r", "&#13;")
        out.append(
            f'<{p}comment ref="{_ref(*comment.cell)}" authorId="{authors.index(comment.author)}" shapeId="0">'
            f'<{p}text><{p}t xml:space="preserve">{body}</{p}t></{p}text></{p}comment>'
        )
    names = "".join(f"<{p}author>{_esc(name)}</{p}author>" for name in authors)
    for name, inner in (("authors", names), ("commentList", "".join(out))):
        match = _element(p, name).search(text)
        element = f"<{p}{name}>{inner}</{p}{name}>"
        if match is None:
            raise PatchError(f"comments part without <{name}>")
        text = text[: match.start()] + element + text[match.end() :]
    return text


_VML_NS = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office"}
_VML_NS["x"] = "urn:schemas-microsoft-com:office:excel"
# Any prefix: openpyxl writes ns0/ns1/ns2 where Excel writes o/v/x.
_SHAPE = re.compile(r"<([\w.\-]+):shape(?=[\s>])[^>]*>.*?</\1:shape\s*>", re.S)
_SHAPE_ID = re.compile(r"_x0000_s(\d+)")
_ROW = re.compile(r"<(?:[\w.\-]+:)?Row>\s*(\d+)\s*</(?:[\w.\-]+:)?Row>")
_COLUMN = re.compile(r"<(?:[\w.\-]+:)?Column>\s*(\d+)\s*</(?:[\w.\-]+:)?Column>")
_IDMAP = re.compile(r"<(?:[\w.\-]+:)?idmap\s[^>]*>")
_EMPTY_VML = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout></xml>'
)


def _note_cell(shape: str) -> tuple[int, int] | None:
    """The cell (1-based) of a VML comment shape, or None for another shape (a form control, a picture)."""
    if not re.search(r"ObjectType\s*=\s*[\"']Note[\"']", shape):
        return None
    row, col = _ROW.search(shape), _COLUMN.search(shape)
    return None if row is None or col is None else (int(row[1]) + 1, int(col[1]) + 1)


def _shapes(
    package: _Package, part: str, text: str, p: str, comments: list[_Comment], changed: set[tuple[int, int]]
) -> str:
    """Give every comment a VML box: the sheet's drawing keeps its other shapes, the changed comments get new boxes."""
    drawing = re.search(rf"<{re.escape(p)}legacyDrawing\s[^>]*>", text)
    r = _ns_prefix(text, _REL_NS)
    rel = None
    if drawing is not None and r is not None:
        rel = next((x for x in _rels(package, part) if x.id == _attr(drawing[0], f"{r}:id")), None)
    vml_part = rel.target if rel is not None and package.has(rel.target) else None
    if vml_part is None:
        if not comments:
            return text
        block = 1 + max((int(n) for v in package.parts(".vml") for n in _idmaps(package.text(v))), default=0)
        vml = _EMPTY_VML.format(block=block)
        changed = {c.cell for c in comments}
    else:
        vml = package.text(vml_part)
        block = int(next(iter(_idmaps(vml)), "1"))
    vml, prefixes = _declare_vml_prefixes(vml)
    present: set[tuple[int, int]] = set()
    commented = {c.cell for c in comments}

    def keep(match: re.Match[str]) -> str:
        cell = _note_cell(match[0])
        if cell is not None and (cell in changed or cell not in commented):
            return ""
        if cell is not None:
            present.add(cell)
        return match[0]

    vml = _SHAPE.sub(keep, vml)
    if vml_part is not None and rel is not None and drawing is not None and not _SHAPE.search(vml):
        # No shape left (the pipeline's comments were the only ones): the drawing goes, as before the first round.
        package.remove(vml_part)
        _remove_rel(package, part, rel.id)
        return text[: drawing.start()] + text[drawing.end() :]
    next_id = max([block * 1024, *(int(n) for n in _SHAPE_ID.findall(vml))]) + 1
    shapes = []
    for comment in comments:
        if comment.cell in present:
            continue
        shapes.append(_shape(next_id, comment, prefixes))
        next_id += 1
    if shapes and "_x0000_t202" not in vml:
        v, o = prefixes["v"], prefixes["o"]
        shapes.insert(
            0,
            f'<{v}:shapetype id="_x0000_t202" coordsize="21600,21600" {o}:spt="202" path="m,l,21600r21600,l21600,xe">'
            f'<{v}:stroke joinstyle="miter"/><{v}:path gradientshapeok="t" {o}:connecttype="rect"/></{v}:shapetype>',
        )
    end = vml.rfind("</xml>")
    if end < 0:
        raise PatchError("VML drawing without </xml>")
    vml = vml[:end] + "".join(shapes) + vml[end:]
    if vml_part is not None:
        package.put(vml_part, vml)
        return text
    vml_part = package.free("xl/drawings/vmlDrawing{}.vml")
    package.put(vml_part, vml)
    _ensure_default(package, "vml", _CT_VML)
    rid = _add_rel(package, part, _RT_VML, vml_part)
    if drawing is not None:  # a legacyDrawing pointing nowhere: point it at the new drawing
        return text[: drawing.start()] + _set_attr(drawing[0], f"{r}:id", rid) + text[drawing.end() :]
    declare = "" if r else f' xmlns:r="{_REL_NS}"'
    return _insert_legacy_drawing(text, p, f'<{p}legacyDrawing{declare} {r or "r"}:id="{rid}"/>')


def _declare_vml_prefixes(vml: str) -> tuple[str, dict[str, str]]:
    """The prefixes the drawing binds to the VML, Office and Excel namespaces, declaring those it lacks on its root."""
    prefixes: dict[str, str] = {}
    missing = []
    for usual, namespace in _VML_NS.items():
        found = _ns_prefix(vml, namespace)
        if found is None:
            found = usual if not re.search(rf"xmlns:{usual}\s*=", vml) else f"pl{usual}"
            missing.append(f' xmlns:{found}="{namespace}"')
        prefixes[usual] = found
    if missing:
        root = re.search(r"<xml(?=[\s>])[^>]*?(/?)>", vml)
        if root is None or root[1]:
            raise PatchError("VML drawing without its <xml> root")
        at = root.end() - 1
        vml = vml[:at] + "".join(missing) + vml[at:]
    return vml, prefixes


def _idmaps(vml: str) -> list[str]:
    found = []
    for match in _IDMAP.finditer(vml):
        found += re.findall(r"\d+", _attr(match[0], "data"))
    return found


def _shape(shape_id: int, comment: _Comment, prefixes: dict[str, str]) -> str:
    """A hidden comment box beside its cell, sized for its text."""
    v, o, x = prefixes["v"], prefixes["o"], prefixes["x"]
    row, col = comment.cell[0] - 1, comment.cell[1] - 1
    height = _comment_height(comment.text)
    anchor = f"{col + 1}, 15, {max(row - 1, 0)}, 10, {col + 8}, 15, {row + 2 + height // 20}, 4"
    return (
        f'<{v}:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
        f'margin-top:1.5pt;width:{_COMMENT_WIDTH_PX}px;height:{height}px;z-index:1;visibility:hidden"'
        f' fillcolor="#ffffe1" {o}:insetmode="auto"><{v}:fill color2="#ffffe1"/>'
        f'<{v}:shadow on="t" color="black" obscured="t"/><{v}:path {o}:connecttype="none"/>'
        f'<{v}:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></{v}:textbox>'
        f'<{x}:ClientData ObjectType="Note"><{x}:MoveWithCells/><{x}:SizeWithCells/><{x}:Anchor>{anchor}</{x}:Anchor>'
        f"<{x}:AutoFill>False</{x}:AutoFill><{x}:Row>{row}</{x}:Row><{x}:Column>{col}</{x}:Column></{x}:ClientData>"
        f"</{v}:shape>"
    )


# CT_Worksheet's children after <legacyDrawing>, in schema order: the new element goes before the first present.
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts")


def _insert_legacy_drawing(text: str, p: str, element: str) -> str:
    end = text.rfind(f"</{p}worksheet")
    if end < 0:
        raise PatchError("worksheet without its end tag")
    start = max(text.rfind(f"</{p}sheetData>"), 0)
    after = re.compile(rf"<{re.escape(p)}(?:{'|'.join(_AFTER_LEGACY)})(?=[\s/>])").search(text, start)
    position = after.start() if after else _top_level_ext_list(text, p, end)
    return text[:position] + element + text[position:]


def _top_level_ext_list(text: str, p: str, end: int) -> int:
    """Where the worksheet's own <extLst> starts (its last child), or its end tag when it has none."""
    close = _end(p, "extLst")
    closes = list(close.finditer(text, 0, end))
    if not closes or text[closes[-1].end() : end].strip():
        return end
    marks = sorted(
        [(m.start(), 1) for m in _start(p, "extLst").finditer(text, 0, end)] + [(m.start(), -1) for m in closes]
    )
    depth = 0
    for position, step in reversed(marks):
        depth -= step
        if depth == 0:
            return position
    return end


# --- the 確認結果 sheet -------------------------------------------------------------------------------------


def _results_sheet(
    styles: _Styles, filename: str, stamp: str, issues: Sequence[Issue], placed: set[tuple[str, str]]
) -> str:
    """The worksheet XML of 確認結果: title, file, counts, how to resubmit, then one row per issue (as annotate's)."""
    grid = styles.border(("thin", "808080"))
    none_fill, no_border = styles.fill(None), styles.border(None)
    normal, bold = styles.font(), styles.font(bold=True)

    def xf(font: int, fill: int = none_fill, border: int = grid, horizontal: str = "left", wrap: bool = True) -> int:
        return styles.cell_format(font=font, fill=fill, border=border, horizontal=horizontal, wrap=wrap)

    title = xf(styles.font(size=14, bold=True), border=no_border)
    label = xf(bold, styles.fill("DDEBF7"))
    text_value = styles.cell_format(
        font=normal, fill=none_fill, border=grid, horizontal="left", wrap=False, number_format=49
    )
    count_value = styles.cell_format(
        font=normal,
        fill=none_fill,
        border=grid,
        horizontal="left",
        wrap=False,
        number_format=styles.number_format('0"件"'),
    )
    how_to = xf(bold, border=no_border)
    header = xf(bold, styles.fill("BDD7EE"), horizontal="center")
    body, centre = xf(normal), xf(normal, horizontal="center")
    severity_xf = {sev: xf(normal, styles.fill(rgb), horizontal="center") for sev, (rgb, _) in _MARKS.items()}
    link = xf(styles.font(link=True), horizontal="center")

    width = len(HEADERS)
    errors = sum(issue.severity != "warning" for issue in issues)
    rows: list[str] = []
    heights: dict[int, float] = {1: 24.0}

    def text_cell(ref: str, value: str, style: int) -> str:
        value = _clean(value)
        if not value:
            return f'<c r="{ref}" s="{style}"/>'
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_esc(value)}</t></is></c>'

    def row(number: int, cells: list[str]) -> None:
        height = heights.get(number)
        extra = f' ht="{height:g}" customHeight="1"' if height else ""
        rows.append(f'<row r="{number}"{extra}>{"".join(cells)}</row>')

    def padded(number: int, first: str, style: int) -> list[str]:
        return [first] + [f'<c r="{_ref(number, col)}" s="{style}"/>' for col in range(2, width + 1)]

    row(1, padded(1, text_cell("A1", "工程表の確認結果", title), title))
    summary: list[tuple[str, str | int]] = [
        ("ファイル", filename),
        ("エラー", errors),
        ("警告", len(issues) - errors),
        ("確認日時", stamp),
    ]
    for number, (name, value) in enumerate(summary, start=2):
        if isinstance(value, int):
            cell = f'<c r="B{number}" s="{count_value}"><v>{value}</v></c>'
            style = count_value
        else:
            cell, style = text_cell(f"B{number}", value, text_value), text_value
        row(number, [text_cell(f"A{number}", name, label), cell, *padded(number, "", style)[2:]])
    how_to_row = 2 + len(summary)
    heights[how_to_row] = _height([HOW_TO_RESUBMIT], [sum(_WIDTHS)])
    row(how_to_row, padded(how_to_row, text_cell(f"A{how_to_row}", HOW_TO_RESUBMIT, how_to), how_to))
    row(_HEADER_ROW, [text_cell(_ref(_HEADER_ROW, col), name, header) for col, name in enumerate(HEADERS, start=1)])
    links = []
    for number, issue in enumerate(issues, start=_HEADER_ROW + 1):
        values = (SEVERITY_LABELS[issue.severity], issue.sheet, issue.cell, issue.field, issue.code, issue.message)
        heights[number] = _height(values, _WIDTHS)
        linked = (issue.sheet, issue.cell) in placed
        styles_of_row = (severity_xf[issue.severity], body, link if linked else centre, body, body, body)
        row(
            number,
            [
                text_cell(_ref(number, col), str(v), s)
                for col, (v, s) in enumerate(zip(values, styles_of_row, strict=True), start=1)
            ],
        )
        if linked:
            quoted = "'" + issue.sheet.replace("'", "''") + "'"
            links.append(
                f'<hyperlink ref="C{number}" location="{_esc(f"{quoted}!{issue.cell}")}" display="{_esc(issue.cell)}"/>'
            )
    last_row = max(_HEADER_ROW, _HEADER_ROW + len(issues))
    cols = "".join(
        f'<col min="{col}" max="{col}" width="{w:g}" customWidth="1"/>' for col, w in enumerate(_WIDTHS, start=1)
    )
    merges = [f"A1:{_letters(width)}1"] + [f"B{n}:{_letters(width)}{n}" for n in range(2, how_to_row)]
    merges.append(f"A{how_to_row}:{_letters(width)}{how_to_row}")
    top = _HEADER_ROW + 1
    return (
        f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{_letters(width)}{last_row}"/>'
        '<sheetViews><sheetView tabSelected="1" showGridLines="0" workbookViewId="0">'
        f'<pane ySplit="{_HEADER_ROW}" topLeftCell="A{top}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="A{top}" sqref="A{top}"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>'
        f'<mergeCells count="{len(merges)}">{"".join(f"<mergeCell ref={chr(34)}{m}{chr(34)}/>" for m in merges)}'
        "</mergeCells>"
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.2" footer="0.2"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter></worksheet>"
    )

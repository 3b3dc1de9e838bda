"""Preflight: check a submission's raw bytes for hostile or unreadable content before any reader parses them.

calamine (behind fastexcel) aborts the whole interpreter on some tiny crafted
workbooks (cells beyond XFD1048576, a used area that spans the whole grid, a
huge sharedStrings count, dense-cell zip bombs) and trusts neither the zip's
declared sizes nor any bound on inflation. So before any reader sees a file,
this module looks at the bytes itself: the format from the magic number, the
zip structure, every part inflated once by a bounded zlib stream, the XML
parts scanned for DTDs, and the worksheets scanned for cell references with a
compiled regex. It never raises on bad input: every finding is an `Issue`.
"""

from __future__ import annotations

import codecs
import io
import itertools
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from pipeline.intake import xmlscan
from pipeline.intake.cellnotes import CellNotes, Scale, scaled_styles, sheet_notes
from pipeline.intake.grid import DEFAULT_LIMITS, MB, Limits, sheet_problem, shown, unreadable_tag
from pipeline.model import Code, Issue, make_issue


@dataclass(frozen=True)
class Preflight:
    """What the preflight found: issues (errors reject the file before reading), save time, sheet names and what
    calamine will not say of some cells (scaling number formats, formula errors: pipeline.intake.cellnotes)."""

    issues: tuple[Issue, ...]
    saved_at: str | None  # docProps/core.xml dcterms:modified (ISO 8601), if present and valid
    sheet_names: tuple[str, ...]  # from xl/workbook.xml, in order
    cells: CellNotes = field(default_factory=CellNotes)

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Issues that reject the file before any reader opens it."""
        return tuple(issue for issue in self.issues if issue.severity == "error")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_SHARED_STRINGS = "xl/sharedStrings.xml"
_STYLES = "xl/styles.xml"
_CORE = "docProps/core.xml"
_VBA = "xl/vbaProject.bin"
_XML_SUFFIXES = (".xml", ".rels", ".vml")

# Compressed input is fed to zlib in slices so that `unconsumed_tail` stays small,
# and output is taken in bounded pieces so that a bomb is stopped after one piece.
_IN_CHUNK = 64 * 1024
_OUT_CHUNK = 1 * MB
# A central directory entry is 46 bytes plus its name; allow a generous 1 KB per entry
# before handing the directory to zipfile, which would build an object per entry.
_DIRECTORY_BYTES_PER_ENTRY = 1024

# A DTD anywhere (any case: lenient parsers accept <!doctype) means entity tricks: XXE, billion laughs.
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DTD_TEXT = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SST_TAG = xmlscan.tag(rb"sst")
# The smallest string item, <si/>; uniqueCount cannot exceed the part's size over this.
_MIN_STRING_ITEM_BYTES = 5

_XML_ERRORS: tuple[type[Exception], ...] = (SafeET.ParseError, defusedxml.DefusedXmlException, ValueError)
_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    ValueError,  # includes UnicodeDecodeError for names flagged UTF-8 that are not
    struct.error,
    OSError,
    EOFError,
    IndexError,
    KeyError,
    OverflowError,
)


def preflight(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Preflight:
    """Check the raw bytes of a submission before any reader parses them."""
    if not data:
        return _rejected(make_issue(Code.EMPTY_FILE))
    if data.startswith(_OLE_MAGIC):
        if any(name in data for name in _ENCRYPTED_STREAMS):
            return _rejected(make_issue(Code.ENCRYPTED_WORKBOOK))
        return _rejected(make_issue(Code.LEGACY_FORMAT))
    if not data.startswith(_ZIP_MAGICS):
        return _rejected(_sniff_text(data))
    if len(data) > limits.max_file_bytes:
        detail = f"{_megabytes(len(data))}、上限 {_megabytes(limits.max_file_bytes)}"
        return _rejected(make_issue(Code.TOO_LARGE, detail=detail))
    return _Package(data, limits).check()


def _rejected(issue: Issue) -> Preflight:
    return Preflight(issues=(issue,), saved_at=None, sheet_names=())


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f} MB"


def _sniff_text(data: bytes) -> Issue:
    """Name what a non-zip, non-OLE file is: CSV and Excel 2003 XML are named, anything else is not a workbook."""
    text = _decode_text(data[: 64 * 1024], final=len(data) <= 64 * 1024)
    if text is None:
        return make_issue(Code.NOT_A_WORKBOOK)
    body = text.lstrip()
    if body.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            return make_issue(Code.UNSUPPORTED_FORMAT, format="XML スプレッドシート 2003")
        return make_issue(Code.NOT_A_WORKBOOK)
    first_line = body.split("\n", 1)[0]
    if any(separator in first_line for separator in (",", "\t", ";")):
        return make_issue(Code.UNSUPPORTED_FORMAT, format="CSV")
    return make_issue(Code.NOT_A_WORKBOOK)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode_text(sample: bytes, *, final: bool) -> str | None:
    """Decode a sample as text in the encodings Japanese offices save CSV in, or None if it is binary."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp932")
    for encoding in encodings:
        try:
            text = codecs.getincrementaldecoder(encoding)("strict").decode(sample, final)
        except UnicodeDecodeError:
            continue
        return None if _CONTROL.search(text) else text
    return None


class _Stop(Exception):
    """The archive cannot be read further; carries the issue that says why."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


class _Package:
    """One zip submission being checked: inflates each part once, in bounded memory, and collects issues."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.data = data
        self.limits = limits
        self.issues: list[Issue] = []
        self.total = 0
        self.saved_at: str | None = None
        self.sheet_names: tuple[str, ...] = ()
        self.sheet_ids: dict[str, str] = {}  # relationship id -> sheet name
        self.sheet_parts: dict[str, str] = {}  # worksheet part -> sheet name
        self.shared_strings = _SHARED_STRINGS
        self.styles = _STYLES
        self.scaled_styles: dict[int, Scale] = {}
        self.cells = CellNotes()
        self.dtd_found = False

    def check(self) -> Preflight:
        """Run every check; a structural failure stops at its one issue."""
        try:
            self._check()
        except _Stop as stop:
            self.issues = [stop.issue]
            return Preflight(tuple(self.issues), None, ())
        return Preflight(tuple(self.issues), self.saved_at, self.sheet_names, self.cells)

    def _check(self) -> None:
        infos = self._directory()
        names = {info.filename for info in infos}
        if "mimetype" in names:
            mimetype = self._inflate(next(info for info in infos if info.filename == "mimetype"))
            if mimetype.strip().startswith(_ODS_MIMETYPE):
                raise _Stop(make_issue(Code.UNSUPPORTED_FORMAT, format="ODS (OpenDocument)"))
        if "xl/workbook.bin" in names:
            raise _Stop(make_issue(Code.UNSUPPORTED_FORMAT, format="Excel バイナリ ブック（.xlsb）"))
        if _CONTENT_TYPES not in names or _WORKBOOK not in names:
            raise _Stop(make_issue(Code.NOT_A_WORKBOOK))
        # The workbook and its relationships come first: they name the worksheets and the styles; then the
        # styles, which say which numbers are shown scaled (80%); then the rest, worksheets included.
        first = [_WORKBOOK, _WORKBOOK_RELS]
        for info in sorted((info for info in infos if info.filename in first), key=lambda i: first.index(i.filename)):
            self._part(info)
        rest = [info for info in infos if info.filename not in first and not info.is_dir()]
        rest.sort(key=lambda info: info.filename != self.styles)
        for info in rest:
            self._part(info)
        if self.dtd_found:
            self.issues.insert(0, make_issue(Code.XML_ENTITIES))
        lowered = {name.lower() for name in names}
        if _VBA.lower() in lowered:
            self.issues.append(make_issue(Code.HAS_MACROS))
        if any(name.startswith("xl/externallinks/") for name in lowered) and not any(
            issue.code == Code.EXTERNAL_LINKS for issue in self.issues
        ):
            self.issues.append(make_issue(Code.EXTERNAL_LINKS))

    # -- the zip container -------------------------------------------------

    def _directory(self) -> list[zipfile.ZipInfo]:
        """The zip's entries, after checking the directory's size, the names and that entries do not overlap."""
        self._check_directory_size()
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                infos = archive.infolist()
        except _ZIP_ERRORS as error:
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail="ZIP の構造を読めません")) from error
        if len(infos) > self.limits.max_entries:
            raise _Stop(self._too_many_entries(len(infos)))
        seen: set[str] = set()
        for info in infos:
            name = info.orig_filename
            bad = (
                "\\" in name
                or "\x00" in name
                or name.startswith("/")
                or re.match(r"[A-Za-z]:", name) is not None
                or ".." in name.split("/")
            )
            if bad:
                raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"不正な部品名「{name[:80]}」"))
            key = name.casefold()
            if key in seen:
                raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"同じ名前の部品「{name[:80]}」が複数あります"))
            seen.add(key)
        self._check_overlaps(infos)
        return infos

    def _check_directory_size(self) -> None:
        """Read the end-of-central-directory record so that a directory of millions of entries is refused unread."""
        data = self.data
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
        if end < 0 or end + 22 > len(data):
            raise _Stop(
                make_issue(Code.CORRUPT_ZIP, detail="ZIP の目次（末尾）が見つかりません。ファイルが途中で切れています")
            )
        entries, directory_size = struct.unpack_from("<HI", data, end + 10)
        locator = end - 20
        if (
            (entries == 0xFFFF or directory_size == 0xFFFFFFFF)
            and locator >= 0
            and data.startswith(b"PK\x06\x07", locator)
        ):
            (record,) = struct.unpack_from("<Q", data, locator + 8)
            if record + 56 <= len(data) and data.startswith(b"PK\x06\x06", record):
                entries, directory_size = struct.unpack_from("<QQ", data, record + 32)
        if entries > self.limits.max_entries:
            raise _Stop(self._too_many_entries(entries))
        if directory_size > self.limits.max_entries * _DIRECTORY_BYTES_PER_ENTRY:
            raise _Stop(make_issue(Code.TOO_LARGE, detail=f"ZIP の目次が {directory_size:,} バイトあります"))

    def _too_many_entries(self, entries: int) -> Issue:
        return make_issue(
            Code.TOO_LARGE, detail=f"ファイル内の部品数 {entries:,} 個、上限 {self.limits.max_entries:,} 個"
        )

    def _check_overlaps(self, infos: list[zipfile.ZipInfo]) -> None:
        """Refuse entries whose data overlap: the trick that lets one compressed kernel count many times."""
        spans = sorted((info.header_offset, info.header_offset + 30 + info.compress_size) for info in infos)
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                raise _Stop(make_issue(Code.CORRUPT_ZIP, detail="ZIP 内の部品が重なっています"))

    def _inflate(self, info: zipfile.ZipInfo, *, keep: bool = True) -> bytes:
        """Inflate one part with a running count, stopping as soon as a limit is crossed; declared sizes are not trusted.

        Returns the content, or b"" when `keep` is false (the part is only checked).
        """
        name = info.filename[:80]
        if info.flag_bits & 0x1:
            raise _Stop(make_issue(Code.ENCRYPTED_WORKBOOK))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"{name}: 対応していない圧縮方式（{info.compress_type}）"))
        offset = info.header_offset
        if offset < 0 or offset + 30 > len(self.data) or not self.data.startswith(b"PK\x03\x04", offset):
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"{name}: 部品の見出しが壊れています"))
        name_length, extra_length = struct.unpack_from("<HH", self.data, offset + 26)
        start = offset + 30 + name_length + extra_length
        end = start + info.compress_size
        if end > len(self.data):
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"{name}: データが途中で切れています"))
        if info.compress_type == zipfile.ZIP_STORED:
            self._count(name, end - start, end - start, end - start)
            content = self.data[start:end]
            size, crc, complete = len(content), zlib.crc32(content), True
        else:
            content, size, crc, complete = self._inflate_deflated(name, start, end, keep=keep)
        if not complete:
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"{name}: データが途中で切れています"))
        if size != info.file_size:
            detail = f"{name}: 記録されたサイズ {info.file_size:,} バイトと実際のサイズ {size:,} バイトが違います"
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=detail))
        if crc != info.CRC:
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"{name}: CRC が一致しません"))
        return content if keep else b""

    def _inflate_deflated(self, name: str, start: int, end: int, *, keep: bool) -> tuple[bytes, int, int, bool]:
        """(content, size, CRC, complete) of a deflated part, fed to zlib a slice at a time."""
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        pieces: list[bytes] = []
        produced = 0
        crc = 0
        fed = start
        try:
            while fed < end and not inflater.eof:
                pending = self.data[fed : min(end, fed + _IN_CHUNK)]
                fed += len(pending)
                while pending and not inflater.eof:
                    piece = inflater.decompress(pending, _OUT_CHUNK)
                    pending = inflater.unconsumed_tail
                    produced += len(piece)
                    self._count(name, produced, fed - start - len(pending), len(piece))
                    crc = zlib.crc32(piece, crc)
                    if keep:
                        pieces.append(piece)
        except zlib.error:
            raise _Stop(make_issue(Code.CORRUPT_ZIP, detail=f"{name}: 圧縮データが壊れています")) from None
        content = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        return content, produced, crc, inflater.eof

    def _count(self, name: str, produced: int, consumed: int, added: int) -> None:
        """Add `added` inflated bytes to the running totals and stop at the first limit crossed."""
        limits = self.limits
        self.total += added
        if produced > limits.max_part_bytes:
            detail = f"{name} が展開後 {_megabytes(limits.max_part_bytes)} を超えます"
            raise _Stop(make_issue(Code.TOO_LARGE, detail=detail))
        if self.total > limits.max_total_bytes:
            detail = f"展開後の合計が {_megabytes(limits.max_total_bytes)} を超えます"
            raise _Stop(make_issue(Code.TOO_LARGE, detail=detail))
        if produced > limits.ratio_floor_bytes and produced > limits.max_ratio * max(consumed, 1):
            detail = f"{name} の圧縮率が {limits.max_ratio:,} 倍を超えます"
            raise _Stop(make_issue(Code.ZIP_BOMB, detail=detail))

    # -- the parts ---------------------------------------------------------

    def _part(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        is_xml = name.lower().endswith(_XML_SUFFIXES)
        content = self._inflate(info, keep=is_xml)
        if not is_xml:
            return
        if _has_dtd(content):
            # Parsed by nothing, not even defusedxml: the file is rejected anyway.
            self.dtd_found = True
            return
        if name == _WORKBOOK:
            self._workbook(content)
        elif name == _WORKBOOK_RELS:
            self._workbook_rels(content)
        elif name == self.shared_strings or name == _SHARED_STRINGS:
            self._check_shared_strings(content)
        elif name == _CORE:
            self.saved_at = _saved_at(content)
        elif name == self.styles:
            self.scaled_styles = scaled_styles(content)
        if name in self.sheet_parts or (name.startswith("xl/worksheets/") and name.count("/") == 2):
            sheet = self.sheet_parts.get(name, name)
            if self._check_sheet(sheet, content):
                self._note_cells(sheet, content)

    def _workbook(self, content: bytes) -> None:
        root = _parse(content)
        if root is None:
            self.issues.append(make_issue(Code.FILE_UNREADABLE, detail=f"{_WORKBOOK} を解析できません"))
            return
        names: list[str] = []
        external = False
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "sheet":
                name = str(element.get("name", ""))
                names.append(name)
                for key, value in element.attrib.items():
                    if _local(key) == "id" and key.startswith("{"):
                        self.sheet_ids[str(value)] = name
            elif tag == "externalReference":
                external = True
        self.sheet_names = tuple(names)
        if len(names) > self.limits.max_sheets:
            detail = f"{len(names):,} 枚、上限 {self.limits.max_sheets:,} 枚"
            self.issues.append(make_issue(Code.TOO_MANY_SHEETS, detail=detail))
        seen: dict[str, str] = {}
        reported: set[str] = set()
        for name in names:
            key = name.casefold()
            if key in seen and key not in reported:
                reported.add(key)
                self.issues.append(_located(make_issue(Code.DUPLICATE_SHEET, sheet_name=name), sheet=name))
            seen.setdefault(key, name)
        if external:
            self.issues.append(make_issue(Code.EXTERNAL_LINKS))

    def _workbook_rels(self, content: bytes) -> None:
        root = _parse(content)
        if root is None:
            return
        for element in root.iter():
            if _local(element.tag) != "Relationship" or element.get("TargetMode") == "External":
                continue
            target = str(element.get("Target", ""))
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            kind = str(element.get("Type", ""))
            if kind.endswith("/sharedStrings"):
                self.shared_strings = part
            elif kind.endswith("/styles"):
                self.styles = part
            sheet = self.sheet_ids.get(str(element.get("Id", "")))
            if sheet is not None:
                self.sheet_parts[part] = sheet

    def _check_shared_strings(self, content: bytes) -> None:
        start = _SST_TAG.search(content)
        if start is None:
            return
        text = xmlscan.rest_of_tag(content, start)
        if text is None:  # refused, not skipped: a lenient reader might still take its counts
            detail = unreadable_tag(content, start.start())
            self.issues.append(make_issue(Code.BAD_SHARED_STRINGS, detail=detail))
            return
        limit = self.limits.max_shared_strings
        for key, value in xmlscan.attributes(text):
            if _local_bytes(key) not in (b"count", b"uniqueCount"):
                continue
            label = _local_bytes(key).decode()
            text = value.strip()
            if not text.isdigit():
                detail = f"{label}「{shown(value)}」が数値ではありません"
            elif len(text) > 12 or int(text) > limit:
                detail = f"{label} {shown(text)}、上限 {limit:,}"
            elif label == "uniqueCount" and int(text) > len(content) // _MIN_STRING_ITEM_BYTES:
                detail = f"{label} {int(text):,} が部品の大きさ（{len(content):,} バイト）に合いません"
            else:
                continue
            self.issues.append(make_issue(Code.BAD_SHARED_STRINGS, detail=detail))
            return

    def _check_sheet(self, sheet: str, content: bytes) -> bool:
        """Whether the sheet's cells are within bounds (else an issue says why)."""
        problem = sheet_problem(content, self.limits)
        if problem is not None:
            self.issues.append(
                _located(make_issue(Code.GRID_OUT_OF_BOUNDS, sheet_name=sheet, detail=problem), sheet=sheet)
            )
        return problem is None

    def _note_cells(self, sheet: str, content: bytes) -> None:
        """Note the sheet's numbers shown scaled (percentages, thousands) and its formula errors for the reader."""
        scaled, errors = sheet_notes(content, self.scaled_styles)
        if scaled:
            self.cells.scaled[sheet] = scaled
        if errors:
            self.cells.errors[sheet] = errors


def _located(issue: Issue, *, sheet: str) -> Issue:
    """Set the issue's sheet without repeating it in front of a message that already names it."""
    return replace(issue, sheet=sheet)


def _has_dtd(content: bytes) -> bool:
    if b"!" in content and _DTD.search(content):  # "!" is rare in XML; memchr finds it fast
        return True
    head = content[:4]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        encoding = "utf-16-be" if head.startswith((codecs.BOM_UTF16_BE, b"\x00")) else "utf-16-le"
        return _DTD_TEXT.search(content.decode(encoding, "replace")) is not None
    return False


def _parse(content: bytes) -> Any:
    """Parse a small XML part with defusedxml, or None if it is not well formed."""
    try:
        return SafeET.fromstring(content)
    except _XML_ERRORS:
        return None


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def _local_bytes(name: bytes) -> bytes:
    return name.rsplit(b":", 1)[-1]


def _saved_at(content: bytes) -> str | None:
    """dcterms:modified from docProps/core.xml, if it is there and reads as an ISO 8601 time."""
    root = _parse(content)
    if root is None:
        return None
    for element in root.iter():
        if _local(element.tag) == "modified":
            text = (element.text or "").strip()
            try:
                datetime.fromisoformat(text)
            except ValueError:
                return None
            return text
    return None

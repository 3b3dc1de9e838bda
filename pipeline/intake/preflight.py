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
import functools
import io
import itertools
import posixpath
import re
import string
import struct
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from pipeline.contract.cells import address, column_letters, column_number
from pipeline.intake import xmlscan
from pipeline.intake.cellnotes import CellNotes, Scale, scaled_styles, sheet_notes
from pipeline.model import Issue, make_issue

_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on a submission; a 工程表 needs < 100 rows × 30 columns on a few sheets, so each is generous."""

    # The template is ~30 KB; 20 MB leaves room for pasted photos and maps.
    max_file_bytes: int = 20 * _MB
    # Parts in the zip; the template has ~15, a workbook with many images a few hundred.
    max_entries: int = 2_000
    # Inflated size of one part and of all parts together. A 10,000-row sheet is ~5 MB of XML.
    max_part_bytes: int = 50 * _MB
    max_total_bytes: int = 200 * _MB
    # Inflated:compressed ratio of a part, checked once it has inflated past `ratio_floor_bytes`.
    # Spreadsheet XML compresses 10-20x (up to ~50x for very regular sheets); deflate's ceiling is
    # ~1,030x, which only a bomb reaches. Below the floor a part cannot hurt, whatever its ratio.
    max_ratio: int = 100
    ratio_floor_bytes: int = 1 * _MB
    # Excel's classic limit; the template has four sheets.
    max_sheets: int = 255
    # Used area per sheet (last row and last column holding a cell). calamine allocates the whole
    # rectangle from A1, so this bounds the reader's memory at about 10,000 × 256 cells.
    max_rows: int = 10_000
    max_columns: int = 256
    # sharedStrings count/uniqueCount; calamine reserves memory from these attributes.
    max_shared_strings: int = 1_000_000


DEFAULT_LIMITS = Limits()


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


# Excel's grid.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384

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
_OUT_CHUNK = 1 * _MB
# A central directory entry is 46 bytes plus its name; allow a generous 1 KB per entry
# before handing the directory to zipfile, which would build an object per entry.
_DIRECTORY_BYTES_PER_ENTRY = 1024

# A DTD anywhere (any case: lenient parsers accept <!doctype) means entity tricks: XXE, billion laughs.
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DTD_TEXT = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)

# Worksheet scanning (pipeline.intake.xmlscan: linear however hostile the part). A tag start whose rest does not read as a
# well-formed tag is refused, not skipped: a lenient reader might still find a reference in it.
_ROW_OR_CELL = xmlscan.tag(rb"row|c")  # slow path: every <row> and <c>
_DIMENSION = xmlscan.name(b"dimension")  # read on every sheet: found by a literal search
_CELL_NAME = re.compile(rb"\$?([A-Za-z]+)\$?([0-9]+)")
_ROW_NUMBER = re.compile(rb"[0-9]+")

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
        return _rejected(make_issue("empty-file"))
    if data.startswith(_OLE_MAGIC):
        if any(name in data for name in _ENCRYPTED_STREAMS):
            return _rejected(make_issue("encrypted-workbook"))
        return _rejected(make_issue("legacy-format"))
    if not data.startswith(_ZIP_MAGICS):
        return _rejected(_sniff_text(data))
    if len(data) > limits.max_file_bytes:
        detail = f"{_megabytes(len(data))}、上限 {_megabytes(limits.max_file_bytes)}"
        return _rejected(make_issue("too-large", detail=detail))
    return _Package(data, limits).check()


def _rejected(issue: Issue) -> Preflight:
    return Preflight(issues=(issue,), saved_at=None, sheet_names=())


def _megabytes(size: int) -> str:
    return f"{size / _MB:,.1f} MB"


def _sniff_text(data: bytes) -> Issue:
    """Name what a non-zip, non-OLE file is: CSV and Excel 2003 XML are named, anything else is not a workbook."""
    text = _decode_text(data[: 64 * 1024], final=len(data) <= 64 * 1024)
    if text is None:
        return make_issue("not-a-workbook")
    body = text.lstrip()
    if body.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            return make_issue("unsupported-format", format="XML スプレッドシート 2003")
        return make_issue("not-a-workbook")
    first_line = body.split("\n", 1)[0]
    if any(separator in first_line for separator in (",", "\t", ";")):
        return make_issue("unsupported-format", format="CSV")
    return make_issue("not-a-workbook")


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


def _show(raw: bytes) -> str:
    """A reference from the file, shortened so that a hostile megabyte-long one does not flood the report."""
    text = raw.decode("utf-8", "replace")
    return text if len(text) <= 24 else text[:24] + "…"


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
                raise _Stop(make_issue("unsupported-format", format="ODS (OpenDocument)"))
        if "xl/workbook.bin" in names:
            raise _Stop(make_issue("unsupported-format", format="Excel バイナリ ブック（.xlsb）"))
        if _CONTENT_TYPES not in names or _WORKBOOK not in names:
            raise _Stop(make_issue("not-a-workbook"))
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
            self.issues.insert(0, make_issue("xml-entities"))
        lowered = {name.lower() for name in names}
        if _VBA.lower() in lowered:
            self.issues.append(make_issue("has-macros"))
        if any(name.startswith("xl/externallinks/") for name in lowered) and not any(
            issue.code == "external-links" for issue in self.issues
        ):
            self.issues.append(make_issue("external-links"))

    # -- the zip container -------------------------------------------------

    def _directory(self) -> list[zipfile.ZipInfo]:
        """The zip's entries, after checking the directory's size, the names and that entries do not overlap."""
        self._check_directory_size()
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                infos = archive.infolist()
        except _ZIP_ERRORS as error:
            raise _Stop(make_issue("corrupt-zip", detail="ZIP の構造を読めません")) from error
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
                raise _Stop(make_issue("corrupt-zip", detail=f"不正な部品名「{name[:80]}」"))
            key = name.casefold()
            if key in seen:
                raise _Stop(make_issue("corrupt-zip", detail=f"同じ名前の部品「{name[:80]}」が複数あります"))
            seen.add(key)
        self._check_overlaps(infos)
        return infos

    def _check_directory_size(self) -> None:
        """Read the end-of-central-directory record so that a directory of millions of entries is refused unread."""
        data = self.data
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
        if end < 0 or end + 22 > len(data):
            raise _Stop(
                make_issue("corrupt-zip", detail="ZIP の目次（末尾）が見つかりません。ファイルが途中で切れています")
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
            raise _Stop(make_issue("too-large", detail=f"ZIP の目次が {directory_size:,} バイトあります"))

    def _too_many_entries(self, entries: int) -> Issue:
        return make_issue("too-large", detail=f"ファイル内の部品数 {entries:,} 個、上限 {self.limits.max_entries:,} 個")

    def _check_overlaps(self, infos: list[zipfile.ZipInfo]) -> None:
        """Refuse entries whose data overlap: the trick that lets one compressed kernel count many times."""
        spans = sorted((info.header_offset, info.header_offset + 30 + info.compress_size) for info in infos)
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                raise _Stop(make_issue("corrupt-zip", detail="ZIP 内の部品が重なっています"))

    def _inflate(self, info: zipfile.ZipInfo, *, keep: bool = True) -> bytes:
        """Inflate one part with a running count, stopping as soon as a limit is crossed; declared sizes are not trusted.

        Returns the content, or b"" when `keep` is false (the part is only checked).
        """
        name = info.filename[:80]
        if info.flag_bits & 0x1:
            raise _Stop(make_issue("encrypted-workbook"))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Stop(make_issue("corrupt-zip", detail=f"{name}: 対応していない圧縮方式（{info.compress_type}）"))
        offset = info.header_offset
        if offset < 0 or offset + 30 > len(self.data) or not self.data.startswith(b"PK\x03\x04", offset):
            raise _Stop(make_issue("corrupt-zip", detail=f"{name}: 部品の見出しが壊れています"))
        name_length, extra_length = struct.unpack_from("<HH", self.data, offset + 26)
        start = offset + 30 + name_length + extra_length
        end = start + info.compress_size
        if end > len(self.data):
            raise _Stop(make_issue("corrupt-zip", detail=f"{name}: データが途中で切れています"))
        if info.compress_type == zipfile.ZIP_STORED:
            self._count(name, end - start, end - start, end - start)
            content = self.data[start:end]
            size, crc, complete = len(content), zlib.crc32(content), True
        else:
            content, size, crc, complete = self._inflate_deflated(name, start, end, keep=keep)
        if not complete:
            raise _Stop(make_issue("corrupt-zip", detail=f"{name}: データが途中で切れています"))
        if size != info.file_size:
            detail = f"{name}: 記録されたサイズ {info.file_size:,} バイトと実際のサイズ {size:,} バイトが違います"
            raise _Stop(make_issue("corrupt-zip", detail=detail))
        if crc != info.CRC:
            raise _Stop(make_issue("corrupt-zip", detail=f"{name}: CRC が一致しません"))
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
            raise _Stop(make_issue("corrupt-zip", detail=f"{name}: 圧縮データが壊れています")) from None
        content = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        return content, produced, crc, inflater.eof

    def _count(self, name: str, produced: int, consumed: int, added: int) -> None:
        """Add `added` inflated bytes to the running totals and stop at the first limit crossed."""
        limits = self.limits
        self.total += added
        if produced > limits.max_part_bytes:
            detail = f"{name} が展開後 {_megabytes(limits.max_part_bytes)} を超えます"
            raise _Stop(make_issue("too-large", detail=detail))
        if self.total > limits.max_total_bytes:
            detail = f"展開後の合計が {_megabytes(limits.max_total_bytes)} を超えます"
            raise _Stop(make_issue("too-large", detail=detail))
        if produced > limits.ratio_floor_bytes and produced > limits.max_ratio * max(consumed, 1):
            detail = f"{name} の圧縮率が {limits.max_ratio:,} 倍を超えます"
            raise _Stop(make_issue("zip-bomb", detail=detail))

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
            self.issues.append(make_issue("file-unreadable", detail=f"{_WORKBOOK} を解析できません"))
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
            self.issues.append(make_issue("too-many-sheets", detail=detail))
        seen: dict[str, str] = {}
        reported: set[str] = set()
        for name in names:
            key = name.casefold()
            if key in seen and key not in reported:
                reported.add(key)
                self.issues.append(_located(make_issue("duplicate-sheet", sheet_name=name), sheet=name))
            seen.setdefault(key, name)
        if external:
            self.issues.append(make_issue("external-links"))

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
            detail = _unreadable_tag(content, start.start())
            self.issues.append(make_issue("bad-shared-strings", detail=detail))
            return
        limit = self.limits.max_shared_strings
        for key, value in xmlscan.attributes(text):
            if _local_bytes(key) not in (b"count", b"uniqueCount"):
                continue
            label = _local_bytes(key).decode()
            text = value.strip()
            if not text.isdigit():
                detail = f"{label}「{_show(value)}」が数値ではありません"
            elif len(text) > 12 or int(text) > limit:
                detail = f"{label} {_show(text)}、上限 {limit:,}"
            elif label == "uniqueCount" and int(text) > len(content) // _MIN_STRING_ITEM_BYTES:
                detail = f"{label} {int(text):,} が部品の大きさ（{len(content):,} バイト）に合いません"
            else:
                continue
            self.issues.append(make_issue("bad-shared-strings", detail=detail))
            return

    def _check_sheet(self, sheet: str, content: bytes) -> bool:
        """Whether the sheet's cells are within bounds (else an issue says why)."""
        problem = _sheet_problem(content, self.limits)
        if problem is not None:
            self.issues.append(
                _located(make_issue("grid-out-of-bounds", sheet_name=sheet, detail=problem), sheet=sheet)
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


def _sheet_problem(xml: bytes, limits: Limits) -> str | None:
    """Why a worksheet's cells would overwhelm a reader (outside Excel's grid or a used area over the limits), or None."""
    for start in _DIMENSION.finditer(xml):
        tag = xmlscan.begins_tag(xml, start.start())
        if tag is False:
            continue  # the word in a text
        text = xmlscan.rest_of_tag(xml, start) if tag else None
        if text is None:
            return _unreadable_tag(xml, max(0, xml.rfind(b"<", 0, start.start())))
        for key, value in xmlscan.attributes(text):
            if key == b"ref" and value.strip():
                for corner in value.strip().split(b":"):
                    cell = _parse_cell(corner)
                    if cell is None or not _in_grid(*cell):
                        return f"シートの範囲「{_show(value)}」が Excel の範囲（A1:XFD1048576）の外です"
    if not any(pattern.search(xml) for pattern in _unusual_tags(limits)):
        return None
    return _slow_area(xml, limits)


@functools.lru_cache(maxsize=8)
def _unusual_tags(limits: Limits) -> tuple[re.Pattern[bytes], ...]:
    """Regexes finding a <c> or <row> that the fast path cannot vouch for.

    Every known writer puts r first in each <c> and <row>, so a normal sheet is cleared by
    three regex searches, each led by a literal, with no Python work per cell. Anything
    else (a tag without r or with r elsewhere, a namespace prefix, a reference past the
    limits) sends the sheet to `_slow_area`, which reads every tag and decides exactly.
    A second r attribute in a tag is not well-formed XML, which the reader refuses.
    """
    last_column = column_letters(min(limits.max_columns, EXCEL_MAX_COLUMNS))
    columns = _at_most(last_column, string.ascii_uppercase, "A")
    rows = _at_most(str(min(limits.max_rows, EXCEL_MAX_ROWS)), string.digits, "1")
    grid_rows = _at_most(str(EXCEL_MAX_ROWS), string.digits, "1")
    return (
        re.compile(rb'<c(?! r="' + columns + rows + rb'")[\s/>]'),
        re.compile(rb'<row(?! r="' + grid_rows + rb'")[\s/>]'),
        re.compile(rb":(?:c|row)[\s/>]"),
    )


def _at_most(limit: str, alphabet: str, first: str) -> bytes:
    """A regex matching tokens over `alphabet`, led by `first` or later, that are at most `limit`.

    Tokens of equal length compare like their text and a shorter token is always smaller,
    which holds for row numbers without leading zeros and for column letters alike.
    """
    low, high = alphabet[0], alphabet[-1]
    any_symbol = f"[{low}-{high}]"

    def then_any(count: int) -> str:
        return "" if count == 0 else any_symbol if count == 1 else f"{any_symbol}{{{count}}}"

    options = []
    if len(limit) == 2:
        options.append(f"[{first}-{high}]")
    elif len(limit) > 2:
        options.append(f"[{first}-{high}]{any_symbol}{{0,{len(limit) - 2}}}")
    for index, symbol in enumerate(limit):
        floor = first if index == 0 else low
        if symbol > floor:
            below = chr(ord(symbol) - 1)
            options.append(f"{limit[:index]}[{floor}-{below}]{then_any(len(limit) - index - 1)}")
    options.append(limit)
    return ("(?:" + "|".join(options) + ")").encode()


def _slow_area(xml: bytes, limits: Limits) -> str | None:
    """The used-area check tag by tag, for rows and cells without r (allowed by the spec) or written unusually."""
    row = 0
    column = 0
    max_row = 0
    max_column = 0
    for start in _ROW_OR_CELL.finditer(xml):
        text = xmlscan.rest_of_tag(xml, start)
        if text is None:
            return _unreadable_tag(xml, start.start())
        refs = [value for key, value in xmlscan.attributes(text) if key == b"r"]
        if start.group(1) == b"row":
            row += 1
            for ref in refs:
                if _ROW_NUMBER.fullmatch(ref.strip()) is None:
                    return f"行番号「{_show(ref)}」を読めません"
                row = int(ref.strip()) if len(ref.strip()) <= 12 else EXCEL_MAX_ROWS + 1
                if not 1 <= row <= EXCEL_MAX_ROWS:
                    return f"行番号 {_show(ref)} は Excel の範囲（1～1048576）の外です"
            column = 0
            continue
        column += 1
        cell_row = max(row, 1)
        for ref in refs:
            cell = _parse_cell(ref)
            if cell is None:
                return f"セル参照「{_show(ref)}」を読めません"
            if not _in_grid(*cell):
                return _outside_grid(ref)
            column, cell_row = cell
        if column > EXCEL_MAX_COLUMNS or cell_row > EXCEL_MAX_ROWS:
            return _outside_grid(address(cell_row, column).encode())
        max_row = max(max_row, cell_row)
        max_column = max(max_column, column)
        if max_row > limits.max_rows or max_column > limits.max_columns:
            return _over_limits(max_column, max_row, limits)
    return None


def _unreadable_tag(xml: bytes, position: int) -> str:
    return f"記述「{_show(xml[position : position + 64])}」を読めません"


def _parse_cell(ref: bytes) -> tuple[int, int] | None:
    """(column, row) of an A1 reference; lengths are capped so that a megabyte-long reference costs nothing."""
    match = _CELL_NAME.fullmatch(ref.strip())
    if match is None:
        return None
    letters, digits = match.groups()
    column = column_number(letters) if len(letters) <= 4 else EXCEL_MAX_COLUMNS + 1
    row = int(digits) if len(digits) <= 12 else EXCEL_MAX_ROWS + 1
    return column, row


def _in_grid(column: int, row: int) -> bool:
    return 1 <= column <= EXCEL_MAX_COLUMNS and 1 <= row <= EXCEL_MAX_ROWS


def _outside_grid(ref: bytes) -> str:
    return f"セル {_show(ref)} は Excel の範囲（A1:XFD1048576）の外です"


def _over_limits(column: int, row: int, limits: Limits) -> str:
    return f"最終セル {address(row, column)}、上限 {limits.max_rows:,} 行 × {limits.max_columns:,} 列"

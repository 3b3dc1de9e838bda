"""The zip package of a workbook: its parts read and written, relationships and content types."""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from html import unescape

from pipeline.contract.cells import column_number
from pipeline.outputs.patch.common import (
    _ATTRIBUTE,
    _CELL_REF,
    _CONTENT_TYPES,
    _PKG_REL_NS,
    _XML_DECLARATION,
    PatchError,
)


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
def _cell_of(ref: str) -> tuple[int, int] | None:
    """(row, column) of the first cell of a reference."""
    match = _CELL_REF.match(ref.strip())
    return None if match is None else (int(match[2]), column_number(match[1]))


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

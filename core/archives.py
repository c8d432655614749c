"""Zip archives from users, bounded before anything is inflated: the photo zips of batch registration
and every Excel workbook (an .xlsx is a zip of XML files).

    archive = archives.check_zip(data, archives.PHOTOS)     # the directory only: nothing inflated yet
    photo = archives.read_member(archive, info, limit=...)  # inflated in chunks, never past its bound
    workbook = archives.open_xlsx(data)                     # the same checks, then openpyxl

A kilobyte-sized zip can inflate to gigabytes, declare a million members, or lie about its sizes; an
XML part can carry a DTD whose entities expand a billionfold. `check_zip` reads the end record and
the central directory (their size bounded first), and refuses an archive over its member count, its
total inflated size or a per-member compression ratio, an encrypted member, or a compression method
other than stored/deflate. `read_member` stops at the size a member declares (and at the caller's
limit), so a lying header gains nothing. `open_xlsx` also refuses any member that declares a DTD
(defusedxml, which openpyxl then uses, would refuse entities too: this makes the refusal explicit).
Every refusal is an `ArchiveRefused` (a DomainError) with a message in the user's language."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from core.errors import DomainError

MB = 1024 * 1024
CHUNK = 64 * 1024
RATIO_FLOOR = MB  # a member smaller than this cannot do harm whatever its ratio (the total is bounded)
DIRECTORY_ENTRY = 512  # bytes of central directory allowed per member (46 + name + extra fields)


@dataclass(frozen=True)
class Limits:
    members: int  # entries, folders included
    total: int  # bytes of every member once inflated
    ratio: int  # inflated ÷ compressed, for one member over RATIO_FLOOR


# An .xlsx from Excel or WPS has a dozen parts; the template's 5,000 rows are a few MB of XML.
XLSX = Limits(members=300, total=50 * MB, ratio=200)
# Batch photos: up to 2,000 candidates (and the __MACOSX twins a Mac adds); JPEGs barely compress, so
# twice the largest request (MAX_CONTENT_LENGTH, 32 MB) is room enough.
PHOTOS = Limits(members=5000, total=64 * MB, ratio=100)

# What openpyxl raises on a workbook that is damaged or not one at all, when opening it or reading
# its rows (defusedxml's refusals are ValueErrors; expat's are ParseErrors).
NOT_XLSX = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, OverflowError, TypeError,
            ParseError, zlib.error, EOFError)

_DTD = tuple(word.encode(codec) for word in ("<!DOCTYPE", "<!ENTITY") for codec in ("utf-8", "utf-16-le",
                                                                                    "utf-16-be"))
_EOCD, _EOCD64_LOCATOR, _EOCD64 = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"


class ArchiveRefused(DomainError):
    pass


class DamagedWorkbook(Exception):
    """A part of a workbook turned out damaged once its rows were read (openpyxl reads lazily)."""


def _directory(data: bytes) -> tuple[int, int]:
    """(members, bytes) of the central directory as the end record declares them: what zipfile will
    read and parse into objects when it opens the archive. Raises BadZipFile without an end record."""
    at = data.rfind(_EOCD, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or len(data) < at + 22:
        raise zipfile.BadZipFile("no end of central directory")
    members, size = struct.unpack("<HI", data[at + 10:at + 16])
    locator = at - 20
    if locator >= 56 and data[locator:locator + 4] == _EOCD64_LOCATOR:  # zip64: zipfile uses its record
        record = data[locator - 56:locator]
        if record[:4] == _EOCD64:
            members, size = struct.unpack("<QQ", record[32:48])
    return members, size


def check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """`data` opened as a zip once its directory is within `limits`; nothing is inflated. Raises
    zipfile.BadZipFile when it is not a zip, ArchiveRefused when it is over a limit."""
    members, size = _directory(data)
    if members > limits.members or size > limits.members * DIRECTORY_ENTRY:
        raise ArchiveRefused(_l("The archive holds more than %(n)d files.", n=limits.members))
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        infos = archive.infolist()
        if len(infos) > limits.members:
            raise ArchiveRefused(_l("The archive holds more than %(n)d files.", n=limits.members))
        if sum(info.file_size for info in infos) > limits.total:
            raise ArchiveRefused(_l("The archive would unpack to more than %(mb)d MB.", mb=limits.total // MB))
        for info in infos:
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ArchiveRefused(_l("The archive is password-protected or compressed with a method other "
                                        "than Deflate; save it again as an ordinary zip."))
            if info.file_size > RATIO_FLOOR and info.file_size > limits.ratio * max(info.compress_size, 1):
                raise ArchiveRefused(_l("“%(name)s” in the archive is compressed more than %(ratio)d to 1, "
                                        "as a zip bomb is: the archive is refused.",
                                        name=info.filename[-80:], ratio=limits.ratio))
    except BaseException:
        archive.close()
        raise
    return archive


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """The member inflated chunk by chunk; never more than it declares nor more than `limit`."""
    if info.file_size > limit:
        raise ArchiveRefused(_l("“%(name)s” in the archive is larger than %(mb)s MB.",
                                name=info.filename[-80:], mb=round(limit / MB, 1)))
    read = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                read += len(chunk)
                if read > info.file_size:  # zipfile stops there itself; this does not rely on it
                    raise ArchiveRefused(_l("The archive is damaged: a file in it is larger than it declares."))
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ArchiveRefused(_l("The archive is damaged: a file in it cannot be unpacked.")) from exc


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int) -> bytes:
    """One member of a checked archive, inflated; ArchiveRefused past `limit` or its declared size."""
    return b"".join(_chunks(archive, info, limit))


def check_xlsx(data: bytes) -> None:
    """Refuse a workbook over the XLSX limits or with a DTD in any part (each part is inflated once,
    in chunks, within the limits). Raises BadZipFile when it is not a zip at all."""
    with check_zip(data, XLSX) as archive:
        keep = max(len(word) for word in _DTD) - 1
        for info in archive.infolist():
            tail = b""
            for chunk in _chunks(archive, info, XLSX.total):
                window = tail + chunk
                if any(word in window for word in _DTD):
                    raise ArchiveRefused(_l("The Excel file declares an XML document type (<!DOCTYPE> or "
                                            "<!ENTITY>), which a workbook never needs: it is refused. Save it "
                                            "again from Excel or WPS."))
                tail = window[-keep:]


def open_xlsx(data: bytes):
    """A read-only openpyxl workbook (values, not formulas) of a checked .xlsx. Raises ArchiveRefused
    over a limit, or one of NOT_XLSX when it is not a workbook; close it after reading."""
    check_xlsx(data)
    return load_workbook(io.BytesIO(data), read_only=True, data_only=True)


def first_sheet_rows(workbook, *, max_col: int) -> Iterator[tuple]:
    """The values of the first sheet's rows, at most `max_col` wide (a sheet can declare a cell at
    XFD1048576). openpyxl's errors on a damaged part, met while reading, become DamagedWorkbook."""
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True, max_col=max_col)
    except (*NOT_XLSX, IndexError) as exc:
        raise DamagedWorkbook from exc

"""Build hostile .xlsx files that are small on disk but expand hugely: each repeated part
is compressed once (a full flush makes every copy of it the same deflate bytes) and written
as many times as asked, so a 1.5 GB member costs a second to write and about 1.5 MB on disk.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

Part = tuple[bytes, int]  # (bytes, how many times in a row)


def _deflate(parts: Sequence[Part]) -> tuple[bytes, int, int]:
    """Raw deflate stream, CRC-32 and size of the concatenated parts."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = io.BytesIO()
    crc, size = 0, 0
    for data, times in parts:
        block = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)
        for _ in range(times):
            out.write(block)
            crc = zlib.crc32(data, crc)
        size += len(data) * times
    out.write(compressor.flush(zlib.Z_FINISH))
    return out.getvalue(), crc, size


def write_zip(path: Path, members: dict[str, Sequence[Part]], declared: dict[str, int] | None = None) -> int:
    """A plain (non-zip64) archive of deflated members; every size must stay under 4 GB.
    ``declared`` makes the directory lie about a member's uncompressed size.
    Returns the members' total uncompressed size."""
    body, central = io.BytesIO(), io.BytesIO()
    total = 0
    for name, parts in members.items():
        data, crc, size = _deflate(parts)
        total += size
        size = (declared or {}).get(name, size)
        encoded = name.encode()
        offset = body.tell()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded))
        body.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + data)
        central.write(struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIHH", *fields, 0)
                      + struct.pack("<HHHII", 0, 0, 0, 0, offset) + encoded)
    count, directory = len(members), central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), body.tell(), 0)
    path.write_bytes(body.getvalue() + directory + end)
    return total


def workbook_parts(header: list[str], rows: list[list[object]]) -> dict[str, list[Part]]:
    """The members of a real workbook written by openpyxl, each as one part."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: [(archive.read(name), 1)] for name in archive.namelist()}

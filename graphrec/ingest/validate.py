"""Row validation shared by every adapter: reading lines, splitting fields, parsing values.

Everything here raises :class:`~graphrec.errors.InputError` with ``file:line: field: what is wrong``;
nothing here touches the database. Line numbers are 1-based and count the header line.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from graphrec.errors import InputError

SPLITS = ("train", "valid", "test")
"""The values a behaviour relationship's ``split`` may take."""


def require_file(path: Path, layout: str) -> Path:
    """Return ``path`` when it is a file, else fail naming it and the expected layout.

    Args:
        path: the file the adapter needs.
        layout: one line describing the dataset's expected files.

    Raises:
        InputError: the file is missing.
    """
    if not path.is_file():
        raise InputError(path, None, "file", f"missing; expected layout: {layout}")
    return path


@dataclass(frozen=True)
class Line:
    """One data line of a file: where it is and its fields."""

    file: str
    number: int
    fields: list[str]

    def error(self, field: str, problem: str) -> InputError:
        """An :class:`InputError` pointing at this line."""
        return InputError(self.file, self.number, field, problem)


def read_lines(path: Path, sep: str | None, columns: int | tuple[int, int] | None, *,
               encoding: str = "utf-8", header: bool = False, names: Sequence[str] = ()) -> Iterator[Line]:
    """Yield the data lines of a delimited text file, checked for encoding and column count.

    Args:
        path: the file.
        sep: field separator (``"\\t"``, ``"|"``, ``"::"``); ``None`` splits on runs of whitespace.
        columns: exact field count, or ``(min, max)`` (``max`` < 0: unbounded), or ``None``: any.
        encoding: text encoding of the file (default: ``utf-8``).
        header: skip the first line (default: no).
        names: field names used in column-count messages.

    Raises:
        InputError: undecodable bytes, or the wrong number of fields.
    """
    file = str(path)
    with _open_bytes(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if header and number == 1:
                continue
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as e:
                raise InputError(file, number, "encoding",
                                 f"byte 0x{raw[e.start]:02x} at offset {e.start} is not valid {encoding}") from e
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            fields = text.split() if sep is None else text.split(sep)
            line = Line(file, number, fields)
            _check_columns(line, sep, columns, names)
            yield line


def _open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes; for ``x.zip``, those of its one file member (e.g. ``kg_final.txt.zip``)."""
    if path.suffix != ".zip":
        return path.open("rb")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise InputError(path, None, "file", f"not a valid zip archive ({e})") from e
    members = [m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
    if len(members) != 1:
        zf.close()
        raise InputError(path, None, "file", f"expected one file inside the zip, found {len(members)}")
    return zf.open(members[0])


def _check_columns(line: Line, sep: str | None, columns: int | tuple[int, int] | None,
                   names: Sequence[str]) -> None:
    if columns is None:
        return
    lo, hi = (columns, columns) if isinstance(columns, int) else columns
    n = len(line.fields)
    if n < lo or (hi >= 0 and n > hi):
        want = str(lo) if lo == hi else (f"at least {lo}" if hi < 0 else f"{lo} to {hi}")
        shown = {"\t": "TAB", None: "whitespace"}.get(sep, repr(sep))
        what = f" ({', '.join(names)})" if names else ""
        raise line.error("columns", f"expected {want} fields{what} separated by {shown}, found {n}")


def parse_id(line: Line, field: str, value: str) -> str:
    """A non-empty id without surrounding whitespace or control characters."""
    v = value.strip()
    if not v:
        raise line.error(field, "empty id")
    if any(ord(c) < 32 for c in v):
        raise line.error(field, f"control character in id {v!r}")
    return v


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""Neo4j's integers are signed 64-bit: a larger value cannot be sent, so it is refused before any write."""


def parse_int(line: Line, field: str, value: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """An integer, optionally within ``[lo, hi]``, always within the signed 64-bit range."""
    try:
        n = int(value.strip())
    except ValueError:
        raise line.error(field, f"not an integer: {value!r}") from None
    if not INT64_MIN <= n <= INT64_MAX:
        raise line.error(field, f"{value.strip()} does not fit a 64-bit integer "
                                f"([{INT64_MIN}, {INT64_MAX}])")
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise line.error(field, f"{n} is outside [{lo if lo is not None else '-inf'}, "
                                f"{hi if hi is not None else 'inf'}]")
    return n


def parse_float(line: Line, field: str, value: str, *, lo: float | None = None, hi: float | None = None) -> float:
    """A finite number, optionally within ``[lo, hi]``."""
    try:
        x = float(value.strip())
    except ValueError:
        raise line.error(field, f"not a number: {value!r}") from None
    if not math.isfinite(x):
        raise line.error(field, f"not a finite number: {value!r}")
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise line.error(field, f"{value.strip()} is outside [{lo}, {hi}]")
    return x


MAX_TS = 4_102_444_800
"""2100-01-01T00:00:00Z: later epoch seconds are taken for milliseconds or garbage."""


def parse_timestamp(line: Line, field: str, value: str) -> int:
    """Epoch seconds or an ISO 8601 date / date-time, stored as epoch seconds in [1970, 2100).

    Date-times without an offset are taken as UTC. Both forms obey the same range: an ISO date before
    1970 is refused like a negative epoch (it would be stored as a negative number; ``0001-01-01``
    used to become −62135596800), and so is one from 2100 on.
    """
    v = value.strip()
    if v.lstrip("-").isdigit():
        ts = int(v)
        if not 0 <= ts < MAX_TS:
            raise line.error(field, f"{ts} is not an epoch-seconds timestamp between 1970 and 2100")
        return ts
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise line.error(field, f"not epoch seconds or an ISO 8601 date/time: {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ts = int(dt.timestamp())
    if not 0 <= ts < MAX_TS:
        raise line.error(field, f"{v} is outside 1970-01-01 .. 2100-01-01 (UTC)")
    return ts


def date_timestamp(line: Line, field: str, year: int, month: int, day: int) -> int:
    """Epoch seconds of midnight UTC on a calendar date."""
    try:
        return int(datetime.combine(date(year, month, day), datetime.min.time(), UTC).timestamp())
    except ValueError as e:
        raise line.error(field, f"not a date: {year}-{month}-{day} ({e})") from None


def parse_split(line: Line, field: str, value: str) -> str:
    """``train``, ``valid`` or ``test`` (empty means ``train``)."""
    v = value.strip().lower() or "train"
    if v not in SPLITS:
        raise line.error(field, f"{value!r} is not one of {', '.join(SPLITS)}")
    return v

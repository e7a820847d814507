"""Fetch an official dataset archive into a cache, verify its checksum, unpack it.

Used only when ``graphrec load`` is given no ``--path`` and no local copy exists. Checksums pinned
here are the publisher's: GroupLens publishes an MD5 next to each MovieLens archive
(``ml-100k.zip.md5``) and no SHA-256, so the MD5 and the byte size are what is verified, while the
archive's SHA-256 is computed, printed and recorded on the ``(:Dataset)`` node. An :class:`Archive`
with a pinned ``sha256`` is verified by it as well.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from graphrec.errors import GraphRecError, InputError


class DownloadError(GraphRecError):
    """The archive could not be fetched or unpacked."""


@dataclass(frozen=True)
class Archive:
    """An official dataset archive.

    Attributes:
        url: where it is published.
        filename: its file name in the cache.
        folder: the folder inside the zip holding the data files.
        md5: the publisher's MD5 (default: none).
        sha256: a pinned SHA-256 (default: none).
        size: its size in bytes (default: unchecked).
    """

    url: str
    filename: str
    folder: str
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None


ARCHIVES = {
    "movielens-100k": Archive("https://files.grouplens.org/datasets/movielens/ml-100k.zip", "ml-100k.zip",
                              "ml-100k", md5="0e33842e24a9c977be4e0107933c0723", size=4_924_029),
    "movielens-1m": Archive("https://files.grouplens.org/datasets/movielens/ml-1m.zip", "ml-1m.zip", "ml-1m",
                            md5="c4d9eecfca2ab87c1945afe126590906"),
}
"""Archives ``graphrec load`` can download, by dataset name."""


def digests(path: Path) -> tuple[str, str]:
    """``(md5, sha256)`` hex digests of a file."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def verify(path: Path, archive: Archive) -> str:
    """Check ``path`` against the archive's pinned size and checksums; returns its SHA-256.

    Raises:
        InputError: a size or checksum differs (``<file>: sha256: expected …, got …``).
    """
    if archive.size is not None and path.stat().st_size != archive.size:
        raise InputError(path, None, "size", f"expected {archive.size} bytes, got {path.stat().st_size}")
    md5, sha = digests(path)
    if archive.sha256 is not None and sha != archive.sha256.lower():
        raise InputError(path, None, "sha256", f"expected {archive.sha256}, got {sha}")
    if archive.md5 is not None and md5 != archive.md5.lower():
        raise InputError(path, None, "md5", f"expected {archive.md5}, got {md5}")
    return sha


def unpack(zip_path: Path, dest: Path) -> None:
    """Extract a zip into ``dest``, refusing members that would land outside it.

    Raises:
        DownloadError: a bad zip or an unsafe member name.
    """
    try:
        with zipfile.ZipFile(zip_path) as zf:
            root = dest.resolve()
            for name in zf.namelist():
                target = (dest / name).resolve()
                if target != root and root not in target.parents:
                    raise DownloadError(f"{zip_path}: member {name!r} would be written outside {dest}")
            zf.extractall(dest)
    except zipfile.BadZipFile as e:
        raise DownloadError(f"{zip_path}: not a valid zip archive ({e})") from e


Opener = Callable[[str], IO[bytes]]


def fetch(archive: Archive, cache_dir: Path, opener: Opener | None = None) -> Path:
    """Download (unless cached), verify and unpack ``archive`` into ``cache_dir``; return the data folder.

    Args:
        archive: what to fetch.
        cache_dir: the cache (created if needed).
        opener: ``url -> binary stream`` (default: :func:`urllib.request.urlopen`).

    Raises:
        DownloadError: the download or unpacking failed.
        InputError: the checksum does not match (the bad file is removed).
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    folder = cache_dir / archive.folder
    zip_path = cache_dir / archive.filename
    if not zip_path.is_file():
        part = zip_path.with_suffix(zip_path.suffix + ".part")
        open_url = opener or (lambda url: urllib.request.urlopen(url, timeout=60))  # noqa: S310 - fixed https URL
        try:
            with open_url(archive.url) as src, part.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        except OSError as e:
            part.unlink(missing_ok=True)
            raise DownloadError(f"cannot download {archive.url}: {e} (or pass --path to a local copy)") from e
        os.replace(part, zip_path)
    try:
        verify(zip_path, archive)
    except InputError:
        zip_path.unlink(missing_ok=True)
        raise
    if not folder.is_dir():
        unpack(zip_path, cache_dir)
    return folder

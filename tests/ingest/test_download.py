"""Archive checksum and unpacking logic, on local files (tests cannot reach the internet)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import IO

import pytest

from graphrec.errors import InputError
from graphrec.ingest.datasets import LoadOptions, resolve_path
from graphrec.ingest.download import ARCHIVES, Archive, DownloadError, fetch, unpack, verify


def _zip(path: Path, members: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path.read_bytes()


@pytest.fixture
def archive_bytes(tmp_path: Path) -> bytes:
    return _zip(tmp_path / "src.zip", {"ml-100k/u.data": b"1\t1\t5\t881250949\n", "ml-100k/README": b"hi\n"})


def _opener(data: bytes, calls: list[str]) -> object:
    def open_url(url: str) -> IO[bytes]:
        calls.append(url)
        return io.BytesIO(data)

    return open_url


def test_verify_accepts_matching_and_rejects_mismatching(tmp_path: Path) -> None:
    f = tmp_path / "a.zip"
    f.write_bytes(b"graphrec")
    sha = hashlib.sha256(b"graphrec").hexdigest()
    md5 = hashlib.md5(b"graphrec").hexdigest()  # noqa: S324 - what the publisher pins
    assert verify(f, Archive("u", "a.zip", "a", md5=md5, sha256=sha, size=8)) == sha
    with pytest.raises(InputError, match=r"a\.zip: sha256: expected 0+, got " + sha):
        verify(f, Archive("u", "a.zip", "a", sha256="0" * 64))
    with pytest.raises(InputError, match=r"a\.zip: md5: expected"):
        verify(f, Archive("u", "a.zip", "a", md5="f" * 32))
    with pytest.raises(InputError, match=r"a\.zip: size: expected 9 bytes, got 8"):
        verify(f, Archive("u", "a.zip", "a", size=9))


def test_fetch_downloads_verifies_unpacks_then_uses_cache(tmp_path: Path, archive_bytes: bytes) -> None:
    spec = Archive("https://example.invalid/ml-100k.zip", "ml-100k.zip", "ml-100k",
                   sha256=hashlib.sha256(archive_bytes).hexdigest(), size=len(archive_bytes))
    calls: list[str] = []
    folder = fetch(spec, tmp_path / "cache", opener=_opener(archive_bytes, calls))  # type: ignore[arg-type]
    assert (folder / "u.data").read_bytes() == b"1\t1\t5\t881250949\n"
    assert calls == [spec.url]
    assert fetch(spec, tmp_path / "cache", opener=_opener(b"", calls)) == folder  # type: ignore[arg-type]
    assert calls == [spec.url]  # cached: not downloaded again


def test_fetch_rejects_a_bad_checksum_and_removes_the_file(tmp_path: Path, archive_bytes: bytes) -> None:
    spec = Archive("https://example.invalid/ml-100k.zip", "ml-100k.zip", "ml-100k", sha256="1" * 64)
    with pytest.raises(InputError, match="sha256: expected 1+"):
        fetch(spec, tmp_path / "cache", opener=_opener(archive_bytes, []))  # type: ignore[arg-type]
    assert not (tmp_path / "cache" / "ml-100k.zip").exists()
    assert not (tmp_path / "cache" / "ml-100k").exists()


def test_fetch_reports_an_unreachable_url(tmp_path: Path) -> None:
    def refuse(url: str) -> IO[bytes]:
        raise OSError("network is unreachable")

    with pytest.raises(DownloadError, match="cannot download https://example.invalid/x.zip: network is unreachable"):
        fetch(Archive("https://example.invalid/x.zip", "x.zip", "x"), tmp_path, opener=refuse)
    assert list(tmp_path.iterdir()) == []


def test_unpack_refuses_members_outside_the_cache(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    _zip(bad, {"../evil.txt": b"x"})
    with pytest.raises(DownloadError, match="outside"):
        unpack(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_official_archive_is_pinned() -> None:
    ml = ARCHIVES["movielens-100k"]
    assert ml.url == "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
    assert ml.md5 == "0e33842e24a9c977be4e0107933c0723" and ml.size == 4_924_029


def test_local_copy_is_found_without_download(tmp_path: Path) -> None:
    (tmp_path / "movielens-100k").mkdir()
    assert resolve_path("movielens-100k", LoadOptions(), tmp_path, tmp_path / "home") == tmp_path / "movielens-100k"
    given = tmp_path / "elsewhere"
    assert resolve_path("movielens-100k", LoadOptions(path=given), tmp_path, tmp_path) == given

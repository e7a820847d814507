"""The text ``embed-text`` encodes, built once: on a small real MovieLens-100K graph (the first items of the
real files, loaded by the real adapter), each item's title and each of its genres appear exactly once, although
the adapter's ``text`` property repeats the title and the genres."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.features.embed import built_texts
from graphrec.ingest.datasets import LoadOptions, load_dataset
from tests.conftest import DATASETS

ML100K = DATASETS / "movielens-100k"
pytestmark = pytest.mark.skipif(not (ML100K / "u.data").exists(), reason="ml-100k not in ../shared/datasets")
ITEMS = 40


def _small_ml100k(root: Path) -> Path:
    """The first ``ITEMS`` films of the real u.item, the users who rated them and those ratings."""
    out = root / "movielens-100k"
    out.mkdir(parents=True)
    items = (ML100K / "u.item").read_bytes().splitlines()[:ITEMS]
    ratings = [ln for ln in (ML100K / "u.data").read_bytes().splitlines() if int(ln.split(b"\t")[1]) <= ITEMS]
    users = {int(ln.split(b"\t")[0]) for ln in ratings}
    (out / "u.item").write_bytes(b"\n".join(items) + b"\n")
    (out / "u.data").write_bytes(b"\n".join(ratings) + b"\n")
    (out / "u.user").write_bytes(b"\n".join(ln for ln in (ML100K / "u.user").read_bytes().splitlines()
                                            if int(ln.split(b"|")[0]) in users) + b"\n")
    for name in ("u.genre", "u.occupation"):
        (out / name).write_bytes((ML100K / name).read_bytes())
    return root


def test_each_field_appears_once_in_the_built_text(db: Driver, tmp_path: Path) -> None:
    load_dataset(db, "movielens-100k", LoadOptions(), _small_ml100k(tmp_path / "data"), tmp_path / "home",
                 progress=False)
    stored = {r["id"]: r for r in db.execute_query(
        "MATCH (i:Item) RETURN i.id AS id, i.title AS title, i.text AS text, "
        "[(i)-[:HAS_GENRE]->(g) | g.name] AS genres").records}
    assert len(stored) == ITEMS
    assert stored["1"]["text"] == "Toy Story (1995). Genres: Animation, Children's, Comedy."  # the repetition source
    texts = dict(built_texts(db, "Item"))
    assert texts["1"] == "Toy Story (1995). genre: Animation, Children's, Comedy."
    assert set(texts) == set(stored)
    for item_id, text in texts.items():
        row = stored[item_id]
        assert text.count(row["title"]) == 1, text
        assert text.startswith(row["title"]) and "Genres:" not in text, text
        rest = text[len(row["title"]):]
        for genre in row["genres"]:
            assert rest.count(genre) == 1, text
        assert len(text) < len(row["title"]) + len(row["text"])  # shorter than title + stored text

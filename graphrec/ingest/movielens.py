"""MovieLens adapters: ML-100K (``u.*`` files) and ML-1M (``::``-separated ``*.dat``).

Graph produced (both):

- ``(:User {id, age, gender, occupation[, zip]})`` linked to ``(:Entity:Occupation)``,
  ``(:Entity:AgeGroup)`` (ML-1M's seven groups; ML-100K's ages are binned into the same groups) and
  ``(:Entity:Gender)`` by ``HAS_OCCUPATION``, ``IN_AGE_GROUP``, ``HAS_GENDER``;
- ``(:Item {id, title, year, text, …})``, ``text`` = ``"<title>. Genres: <g1>, <g2>."``;
- ``(:Entity:Genre {id: "genre:<name>"})`` via ``HAS_GENRE``. ML-100K has 19 genres and all 19 are kept,
  ``unknown`` included (2 movies carry only it), so the genre count matches ``u.genre``;
- ``(:User)-[:RATED {rating: float, ts: int, split}]->(:Item)``; ``split`` is ``'train'`` unless a
  standard ML-100K split is chosen (``u1``…``u5``, ``ua``, ``ub``), whose ``.test`` ratings get ``'test'``.

A (user, item) pair rated twice is an error (the real files have none).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from graphrec.errors import ConfigError, InputError
from graphrec.ingest.entities import add_entity, add_user_attribute, age_group
from graphrec.ingest.records import GraphRecords, NodeSet
from graphrec.ingest.validate import Line, parse_id, parse_int, parse_timestamp, read_lines, require_file

ML100K_LAYOUT = ("movielens-100k: a folder with u.data, u.item, u.user, u.genre (u.occupation optional; "
                 "u1..u5/ua/ub .test files for --split), as in the official ml-100k.zip")
ML1M_LAYOUT = "movielens-1m: a folder with ratings.dat, movies.dat, users.dat ('::'-separated), as in ml-1m.zip"
ML100K_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")

ML1M_OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
)
"""ML-1M occupation codes 0..20 (``README`` of ml-1m; 0 is "other or not specified")."""

ML1M_AGES = (1, 18, 25, 35, 45, 50, 56)
ML1M_GENRES = ("Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
               "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
               "Western")
GENDERS = {"M": "male", "F": "female"}
_YEAR = re.compile(r"\((\d{4})\)\s*$")


def item_text(title: str, genres: list[str]) -> str:
    """The free text embedded for a movie: its title and genres."""
    return f"{title}. Genres: {', '.join(genres)}." if genres else f"{title}."


def _gender(line: Line, field: str, value: str) -> str:
    v = value.strip().upper()
    if v not in GENDERS:
        raise line.error(field, f"{value!r} is not M or F")
    return v


def _add_user(rec: GraphRecords, uid: str, age_key: str, age_name: str, gender: str, occupation: str,
              source: str) -> None:
    add_user_attribute(rec, uid, "occupation", occupation, occupation, source)
    add_user_attribute(rec, uid, "age_group", age_key, age_name, source)
    add_user_attribute(rec, uid, "gender", gender, GENDERS[gender], source)


def _add_rating(rec: GraphRecords, line: Line, user: str, item: str, rating: float, ts: int, split: str) -> None:
    source = Path(line.file).name
    if rec.rel_set("RATED", "User", "Item", source).add(user, item, rating=rating, ts=ts, split=split) is not None:
        raise line.error("item", f"user {user} rates item {item} a second time")


def load_ml100k(path: Path, split: str | None = None) -> GraphRecords:
    """Parse and validate ML-100K in ``path``.

    Args:
        path: folder holding ``u.data``, ``u.item``, ``u.user``, ``u.genre``.
        split: ``u1``…``u5``, ``ua`` or ``ub``: mark that split's ``.test`` ratings ``'test'``
            (default: all ``'train'``).

    Raises:
        InputError: a missing file or a bad row.
    """
    files = {n: require_file(path / n, ML100K_LAYOUT) for n in ("u.data", "u.item", "u.user", "u.genre")}
    test_file = None
    if split is not None:
        if split not in ML100K_SPLITS:
            raise ConfigError(f"--split {split!r}: choose one of {', '.join(ML100K_SPLITS)}")
        test_file = require_file(path / f"{split}.test", ML100K_LAYOUT)
    rec = GraphRecords("movielens-100k", files=list(files.values()) + ([test_file] if test_file else []))
    genre_names = _ml100k_genres(rec, files["u.genre"])
    users = _ml100k_users(rec, path, files["u.user"])
    items = _ml100k_items(rec, files["u.item"], genre_names)
    _ml100k_ratings(rec, files["u.data"], users, items, test_file, split)
    return rec


def _ml100k_genres(rec: GraphRecords, file: Path) -> list[str]:
    """``u.genre``: the genre entities, and their names in flag order."""
    genres: dict[int, str] = {}
    for ln in read_lines(file, "|", 2, encoding="latin-1", names=("name", "index")):
        genres[parse_int(ln, "index", ln.fields[1], lo=0)] = parse_id(ln, "name", ln.fields[0])
    genre_names = [genres[i] for i in sorted(genres)]
    if sorted(genres) != list(range(len(genres))):
        raise InputError(file, None, "index", "genre indexes must run 0..n-1")
    for g in genre_names:
        add_entity(rec, "genre", g, g, "u.genre")
    return genre_names


def _ml100k_users(rec: GraphRecords, path: Path, file: Path) -> NodeSet:
    """``u.user`` (occupations checked against ``u.occupation`` when there is one): users and their attributes."""
    occupations: set[str] | None = None
    if (path / "u.occupation").is_file():
        rec.files.append(path / "u.occupation")
        occupations = {ln.fields[0].strip() for ln in read_lines(path / "u.occupation", None, 1)}

    users = rec.node_set("User", "u.user")
    for ln in read_lines(file, "|", 5, encoding="latin-1",
                         names=("user id", "age", "gender", "occupation", "zip code")):
        uid = parse_id(ln, "user id", ln.fields[0])
        if uid in users.nodes:
            raise ln.error("user id", f"user {uid} listed twice")
        age = parse_int(ln, "age", ln.fields[1], lo=1, hi=120)
        gender = _gender(ln, "gender", ln.fields[2])
        occ = parse_id(ln, "occupation", ln.fields[3]).lower()
        if occupations is not None and occ not in occupations:
            raise ln.error("occupation", f"{occ!r} is not listed in u.occupation")
        users.add(uid, age=age, gender=gender, occupation=occ, zip=ln.fields[4].strip())
        group = age_group(age)
        _add_user(rec, uid, group, group, gender, occ, "u.user")
    return users


def _ml100k_items(rec: GraphRecords, file: Path, genre_names: list[str]) -> NodeSet:
    """``u.item``: movies, their text and their genres."""
    items = rec.node_set("Item", "u.item")
    has_genre = rec.rel_set("HAS_GENRE", "Item", "Entity", "u.item")
    for ln in read_lines(file, "|", 5 + len(genre_names), encoding="latin-1",
                         names=("movie id", "title", "release date", "video release date", "IMDb URL",
                                f"{len(genre_names)} genre flags")):
        iid = parse_id(ln, "movie id", ln.fields[0])
        if iid in items.nodes:
            raise ln.error("movie id", f"movie {iid} listed twice")
        title = ln.fields[1].strip()
        released = ln.fields[2].strip()
        year = None
        if released:
            try:
                year = datetime.strptime(released, "%d-%b-%Y").year
            except ValueError:
                raise ln.error("release date", f"not a dd-Mon-yyyy date: {released!r}") from None
        mine = []
        for g, flag in zip(genre_names, ln.fields[5:], strict=True):
            if flag.strip() not in ("0", "1"):
                raise ln.error(f"genre {g}", f"flag must be 0 or 1, got {flag!r}")
            if flag.strip() == "1":
                mine.append(g)
                has_genre.add(iid, f"genre:{g}")
        items.add(iid, title=title, year=year, release_date=released or None, url=ln.fields[4].strip() or None,
                  text=item_text(title, mine))
    return items


def _ml100k_ratings(rec: GraphRecords, data: Path, users: NodeSet, items: NodeSet, test_file: Path | None,
                    split: str | None) -> None:
    """``u.data``: the ratings, those of ``split``'s ``.test`` file marked ``'test'``."""
    test_pairs: set[tuple[str, str]] = set()
    if test_file is not None:
        for ln in read_lines(test_file, "\t", 4, names=("user id", "item id", "rating", "timestamp")):
            test_pairs.add((parse_id(ln, "user id", ln.fields[0]), parse_id(ln, "item id", ln.fields[1])))
    for ln in read_lines(data, "\t", 4, names=("user id", "item id", "rating", "timestamp")):
        uid = parse_id(ln, "user id", ln.fields[0])
        iid = parse_id(ln, "item id", ln.fields[1])
        if uid not in users.nodes:
            raise ln.error("user id", f"user {uid} is not in u.user")
        if iid not in items.nodes:
            raise ln.error("item id", f"item {iid} is not in u.item")
        rating = float(parse_int(ln, "rating", ln.fields[2], lo=1, hi=5))
        ts = parse_timestamp(ln, "timestamp", ln.fields[3])
        _add_rating(rec, ln, uid, iid, rating, ts, "test" if (uid, iid) in test_pairs else "train")
    if test_file is not None:
        n_test = sum(1 for s in rec.rel_set("RATED", "User", "Item", "u.data").props["split"] if s == "test")
        if n_test != len(test_pairs):
            raise InputError(test_file, None, "rating", f"{len(test_pairs) - n_test} of its ratings are not in u.data")
        rec.notes.append(f"split {split}: {n_test} ratings from {test_file.name} marked 'test'")


def load_ml1m(path: Path) -> GraphRecords:
    """Parse and validate ML-1M in ``path`` (``ratings.dat``, ``movies.dat``, ``users.dat``).

    Raises:
        InputError: a missing file or a bad row.
    """
    files = {n: require_file(path / n, ML1M_LAYOUT) for n in ("ratings.dat", "movies.dat", "users.dat")}
    rec = GraphRecords("movielens-1m", files=list(files.values()))
    users = rec.node_set("User", "users.dat")
    for ln in read_lines(files["users.dat"], "::", 5, encoding="latin-1",
                         names=("UserID", "Gender", "Age", "Occupation", "Zip-code")):
        uid = parse_id(ln, "UserID", ln.fields[0])
        if uid in users.nodes:
            raise ln.error("UserID", f"user {uid} listed twice")
        gender = _gender(ln, "Gender", ln.fields[1])
        age = parse_int(ln, "Age", ln.fields[2])
        if age not in ML1M_AGES:
            raise ln.error("Age", f"{age} is not an ML-1M age code {ML1M_AGES}")
        occ = ML1M_OCCUPATIONS[parse_int(ln, "Occupation", ln.fields[3], lo=0, hi=len(ML1M_OCCUPATIONS) - 1)]
        users.add(uid, age=age, gender=gender, occupation=occ, zip=ln.fields[4].strip())
        group = age_group(age)
        _add_user(rec, uid, group, group, gender, occ, "users.dat")

    items = rec.node_set("Item", "movies.dat")
    has_genre = rec.rel_set("HAS_GENRE", "Item", "Entity", "movies.dat")
    for ln in read_lines(files["movies.dat"], "::", 3, encoding="latin-1", names=("MovieID", "Title", "Genres")):
        iid = parse_id(ln, "MovieID", ln.fields[0])
        if iid in items.nodes:
            raise ln.error("MovieID", f"movie {iid} listed twice")
        title = ln.fields[1].strip()
        m = _YEAR.search(title)
        mine = [g for g in ln.fields[2].strip().split("|") if g]
        for g in mine:
            if g not in ML1M_GENRES:
                raise ln.error("Genres", f"unknown genre {g!r}")
            add_entity(rec, "genre", g, g, "movies.dat")
            has_genre.add(iid, f"genre:{g}")
        items.add(iid, title=title, year=int(m.group(1)) if m else None, text=item_text(title, mine))

    for ln in read_lines(files["ratings.dat"], "::", 4, names=("UserID", "MovieID", "Rating", "Timestamp")):
        uid = parse_id(ln, "UserID", ln.fields[0])
        iid = parse_id(ln, "MovieID", ln.fields[1])
        if uid not in users.nodes:
            raise ln.error("UserID", f"user {uid} is not in users.dat")
        if iid not in items.nodes:
            raise ln.error("MovieID", f"movie {iid} is not in movies.dat")
        rating = float(parse_int(ln, "Rating", ln.fields[2], lo=1, hi=5))
        _add_rating(rec, ln, uid, iid, rating, parse_timestamp(ln, "Timestamp", ln.fields[3]), "train")
    return rec

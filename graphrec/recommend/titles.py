"""Loose title matching: MovieLens writes "Matrix, The (1999)", people type "The Matrix (1999)".

A title's *key* is its lower-cased words without a leading or trailing article ("The", "A", "An" and
MovieLens' foreign ", Les"/", La"…), without trailing parenthesised alternative titles and with the
year apart. Two titles match when their words are equal and, where both give a year, the years too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_YEAR = re.compile(r"\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$")
_ALT = re.compile(r"\s*\([^()]*\)\s*$")
_ARTICLES = r"the|a|an|les|la|le|l'|il|die|das|der|el|los|las"
_TRAILING = re.compile(rf",\s*(?:{_ARTICLES})$")
_LEADING = re.compile(rf"^(?:{_ARTICLES})(?:\s+|(?<=')\s*)")


@dataclass(frozen=True)
class TitleKey:
    """A title's words (articles and alternatives dropped) and its year, if it gives one."""

    words: str
    year: str | None

    def matches(self, other: TitleKey) -> bool:
        return self.words == other.words and (self.year is None or other.year is None or self.year == other.year)


def title_key(title: str) -> TitleKey:
    """The key of ``title``: ``"Matrix, The (1999)"`` and ``"the matrix (1999)"`` give the same."""
    t = " ".join(title.lower().split())
    m = _YEAR.search(t)
    year = m[1] if m else None
    t = t[:m.start()] if m else t
    while (alt := _ALT.search(t)) and alt.start() > 0:
        t = t[:alt.start()]
    t = _TRAILING.sub("", t)
    t = _LEADING.sub("", t)
    return TitleKey(" ".join(re.sub(r"[^\w\s']", " ", t).split()), year)


def loose_matches(title: str, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``(id, title)`` rows whose title matches ``title`` by :func:`title_key`."""
    want = title_key(title)
    return [(i, t) for i, t in rows if want.matches(title_key(t))]


def closest(title: str, rows: list[tuple[str, str]], n: int = 5) -> list[tuple[str, str]]:
    """Up to ``n`` ``(id, title)`` rows whose titles are nearest ``title`` (difflib ratio on the keys)."""
    want = title_key(title)
    keys = [title_key(t) for _, t in rows]
    scored = [(difflib.SequenceMatcher(None, want.words, k.words).ratio() + (0.05 if want.year == k.year else 0), r)
              for k, r in zip(keys, rows, strict=True)]
    best = sorted(scored, key=lambda s: -s[0])[:n]
    return [r for score, r in best if score >= 0.5]

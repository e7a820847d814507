"""What a node's text is, and its hash (so re-runs skip unchanged nodes)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_LISTING = re.compile(r"^\s*[^:.]{1,40}:\s*(?P<names>.+?)\s*[.!?]?\s*$")


def _fold(s: str) -> str:
    return " ".join(s.lower().split()).rstrip(".!?")


def _own_text(title: str, text: str, linked_names: set[str]) -> str:
    """``text`` without what the title and the linked entities already say: a leading copy of the title
    and sentences listing only linked names (``"Genres: Animation, Comedy."``), as ingest adapters
    write ``text`` = ``"<title>. Genres: …"`` for datasets without a description."""
    body = text.strip()
    if title and _fold(body).startswith(_fold(title)) and (
            len(_fold(body)) == len(_fold(title)) or body[len(title.strip()):][:1] in (".", "!", "?", ",", ";", " ")):
        body = body[len(title.strip()):].lstrip(" .!?,;")
    kept = []
    for sentence in _SENTENCE.split(body):
        m = _LISTING.match(sentence)
        if m and linked_names and {_fold(n) for n in m["names"].split(",")} <= linked_names:
            continue
        if sentence.strip() and _fold(sentence) != _fold(title):
            kept.append(sentence.strip())
    return " ".join(kept)


def compose_text(title: str, text: str, linked: Sequence[Sequence[str]]) -> str:
    """One string for the encoder, each field once: title, description and linked entity names grouped
    by kind. Parts of ``text`` that repeat the title or only list linked names are dropped.

    >>> compose_text("Toy Story (1995)", "Toys live.", [["genre", "Animation"], ["genre", "Comedy"]])
    'Toy Story (1995). Toys live. genre: Animation, Comedy.'
    >>> compose_text("Toy Story (1995)", "Toy Story (1995). Genres: Animation, Comedy.",
    ...              [["genre", "Animation"], ["genre", "Comedy"]])
    'Toy Story (1995). genre: Animation, Comedy.'
    """
    groups: dict[str, list[str]] = {}
    for kind, name in linked:
        if name and name.strip() and name.strip() not in groups.get(kind or "related", []):
            groups.setdefault(kind or "related", []).append(name.strip())
    names = {_fold(n) for ns in groups.values() for n in ns}
    title = (title or "").strip()
    parts = [p for p in (title, _own_text(title, text or "", names)) if p]
    parts += [f"{kind}: {', '.join(names)}" for kind, names in groups.items()]
    return " ".join(p if p[-1] in ".!?" else p + "." for p in parts)


def text_hash(model_id: str, text: str) -> str:
    """A hash of the model and the text: a node is re-encoded when either changes."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]

"""What a node's text is, and its hash (so re-runs skip unchanged nodes)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def compose_text(title: str, text: str, linked: Sequence[Sequence[str]]) -> str:
    """One string for the encoder: title, description and linked entity names grouped by kind.

    >>> compose_text("Toy Story (1995)", "Toys live.", [["genre", "Animation"], ["genre", "Comedy"]])
    'Toy Story (1995). Toys live. genre: Animation, Comedy.'
    """
    parts = [p.strip() for p in (title, text) if p and p.strip()]
    groups: dict[str, list[str]] = {}
    for kind, name in linked:
        if name and name.strip():
            groups.setdefault(kind or "related", []).append(name.strip())
    parts += [f"{kind}: {', '.join(names)}" for kind, names in groups.items()]
    return " ".join(p if p[-1] in ".!?" else p + "." for p in parts)


def text_hash(model_id: str, text: str) -> str:
    """A hash of the model and the text: a node is re-encoded when either changes."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]

"""Shared type aliases (one place, as in PyG's ``typing.py``)."""

from __future__ import annotations

from typing import Any, TypeAlias

NodeType: TypeAlias = str
"""A node type in ``HeteroData``: the Neo4j label, e.g. ``"User"``, ``"Item"``, ``"Entity"``."""

EdgeType: TypeAlias = tuple[str, str, str]
"""``(src node type, relationship type, dst node type)``, e.g. ``("User", "RATED", "Item")``."""

IdMap: TypeAlias = list[str]
"""Business ids by tensor index for one node type: ``ids[i]`` is the ``id`` property of node ``i``."""

Row: TypeAlias = dict[str, Any]
"""One record for an ``UNWIND $rows`` batch."""

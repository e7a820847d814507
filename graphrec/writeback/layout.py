"""Where and how write-back writes a run: :class:`RunNames` (the run's property and index names) and
:class:`WriteLayout` (labels, id keys, names, batch size, workers, progress), what publish and refresh hand their
helpers instead of a dozen loose arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from graphrec.types import NodeType

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as a stage advances (publish: ``vectors``, ``recommended``; refresh:
``items``, ``users``)."""


@dataclass(frozen=True)
class RunNames:
    """A run's own property and index names, all derived from its key at publish and recorded on its
    ``(:ModelRun)`` node (refresh reads them back from there).

    Attributes:
        prop: the user/item/entity vectors (``embedding_<key>``).
        mips_prop: the items' MIPS-augmented vectors (``mips_<key>``).
        item_index: the vector index on ``prop`` (``item_embedding_<key>``).
        mips_index: the vector index on ``mips_prop`` (``item_mips_<key>``).
        seen_prop: per user, the distinct items the run saw them with (``seen_<key>``).
        fold_prop: the items' query factors of an item–item model (``fold_<key>``), or ``None``.
    """

    prop: str
    mips_prop: str
    item_index: str = ""
    mips_index: str = ""
    seen_prop: str = ""
    fold_prop: str | None = None

    @classmethod
    def for_key(cls, key: str, fold: bool = False) -> RunNames:
        """The names publish gives the run keyed ``key`` (``fold``: it has item query factors)."""
        return cls(prop=f"embedding_{key}", mips_prop=f"mips_{key}", item_index=f"item_embedding_{key}",
                   mips_index=f"item_mips_{key}", seen_prop=f"seen_{key}", fold_prop=f"fold_{key}" if fold else None)

    def recorded(self) -> dict[str, str]:
        """The names recorded on the ``(:ModelRun)`` node when it is created."""
        return {"prop": self.prop, "mips_prop": self.mips_prop, "item_index": self.item_index,
                "mips_index": self.mips_index}


@dataclass(frozen=True)
class WriteLayout:
    """Where a run's output goes and how it is written.

    Attributes:
        names: the run's property and index names.
        user_type: user label (default: ``"User"``).
        item_type: item label (default: ``"Item"``).
        entity_type: entity label (default: ``"Entity"``).
        id_keys: id property per label (default: ``id`` for each; mapped names must be schema-checked).
        batch_size: rows per write transaction (default: 5000).
        workers: concurrent write transactions (default: 2).
        progress: ``progress(stage, done, total)`` callback for progress bars (default: none).
    """

    names: RunNames
    user_type: NodeType = "User"
    item_type: NodeType = "Item"
    entity_type: NodeType = "Entity"
    id_keys: Mapping[NodeType, str] = field(default_factory=dict)
    batch_size: int = 5000
    workers: int = 2
    progress: Progress | None = None

    def id_key(self, label: NodeType) -> str:
        """The id property of ``label`` (``id`` unless the mapping names another)."""
        return self.id_keys.get(label, "id")

    def counter(self, stage: str, total: int, per_row: int = 1) -> Callable[[int], None]:
        """An ``on_batch`` callback reporting ``stage``'s progress: each row counts ``per_row`` (capped at
        ``total``)."""
        done = [0]

        def tick(rows: int) -> None:
            done[0] += rows
            if self.progress:
                self.progress(stage, min(done[0] * per_row, total), total)

        return tick

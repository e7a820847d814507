"""The public Python API: one session object that carries the driver *and* its settings (docs/DESIGN.md §5).

::

    import graphrec

    with graphrec.connect("bolt://localhost:7687", auth=("neo4j", "secret")) as gr:
        gr.load("movielens-100k", split="u1")
        graph = gr.graph()                        # stream the graph out of Neo4j (PyG HeteroData inside)
        artefact = graphrec.fit(graph)            # the default model, chosen on validation, refit on everything
        run = gr.publish(artefact)                # vectors, RECOMMENDED, ModelRun; the run becomes active
        gr.recommend("1", k=10)
        gr.similar("50")
        gr.explain("1", "181")                    # the paths
        gr.explain_text("1")[0].sentence()        # "Because you rated ... 5★ — same genre ...; 212 people who ..."

The CLI is a thin layer over the same library calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphrec.config import Settings, load_settings
from graphrec.errors import ConfigError

if TYPE_CHECKING:
    from neo4j import Driver

    from graphrec.artefact import Artefact
    from graphrec.ingest.writer import LoadReport
    from graphrec.loaders.types import RecGraph
    from graphrec.mapping import GraphMapping
    from graphrec.recommend import Explanation, Reason, Recommendation
    from graphrec.train.config import TrainConfig
    from graphrec.writeback import PublishResult, RefreshResult


class Session:
    """A connection to one Neo4j database with graphrec's settings. Use :func:`connect` to make one.

    Attributes:
        settings: the settings in force (URI, database, batch size, mapping…).
        driver: the open Neo4j driver (closed by :meth:`close` or the ``with`` block).
    """

    def __init__(self, settings: Settings, driver: Driver | None = None) -> None:
        from graphrec.db import connect as db_connect

        self.settings = settings
        self.driver: Driver = driver if driver is not None else db_connect(settings)
        if driver is not None:   # a driver the caller made: give it the database explicitly
            setattr(driver, "graphrec_database", settings.database)  # noqa: B010 - what graphrec.db reads
        self._mapping: GraphMapping | None = None

    @property
    def mapping(self) -> GraphMapping:
        """The settings' ``[graph]`` mapping, checked against the database schema on first use."""
        if self._mapping is None:
            from graphrec.db.names import check_mapping

            self._mapping = check_mapping(self.driver, self.settings.graph)
        return self._mapping

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the driver."""
        self.driver.close()

    def __repr__(self) -> str:
        return f"graphrec.Session(uri={self.settings.uri!r}, database={self.settings.database!r})"

    # -- data in --------------------------------------------------------------------------------------
    def load(self, dataset: str, path: str | Path | None = None, *, split: str | None = None, kg: bool = False,
             mapping: str | Path | None = None, progress: bool = False) -> LoadReport:
        """Load a dataset (``movielens-100k``, ``lastfm-2k``, ``kgat``, ``csv``…) like ``graphrec load``."""
        from graphrec.ingest.datasets import LoadOptions, load_dataset

        options = LoadOptions(path=Path(path) if path else None, split=split, kg=kg,
                              mapping=Path(mapping) if mapping else None)
        return load_dataset(self.driver, dataset, options, self.settings.data_dir, self.settings.home,
                            batch_size=self.settings.batch_size, progress=progress)

    def graph(self, split: str = "auto", seed: int = 2020, interactions: Sequence[str] | None = None,
              protocol: str = "warm") -> RecGraph:
        """Stream the recommendation graph out of Neo4j (``split``: auto, stored, temporal or random), under an
        evaluation ``protocol`` seeded by ``seed`` (``warm``, ``cold-items``, ``cold-users``; see
        :mod:`graphrec.train.protocols`): ``fit(graph, holdout=True)`` then scores it that way."""
        from graphrec.loaders import discover_spec
        from graphrec.loaders.build import load_graph_with_stats
        from graphrec.train.protocols import apply_protocol

        spec = discover_spec(self.driver, interactions=list(interactions) if interactions else None,
                             mapping=self.mapping)
        graph, _ = load_graph_with_stats(self.driver, spec, split=split, seed=seed,  # type: ignore[arg-type]
                                         pair_ts=protocol == "cold-users")
        try:
            return apply_protocol(graph, protocol, seed)
        except ValueError as e:
            raise ConfigError(f"graph: {e}") from e

    # -- model out ------------------------------------------------------------------------------------
    def publish(self, artefact: Artefact | str | Path, k: int = 20, activate: bool = True,
                allow_unfinished: bool = False) -> PublishResult:
        """Publish a fitted (or saved) artefact as a new run; by default it becomes the active run.

        Refused (:class:`GraphRecError`) while a load was left unfinished (``graphrec stats``: UNFINISHED
        load), unless ``allow_unfinished``, which warns (``UserWarning``) instead."""
        import warnings

        from graphrec.artefact import Artefact
        from graphrec.ingest.writer import check_finished
        from graphrec.writeback import publish_artefact
        from graphrec.writeback.publish import PUBLISH_BATCH_SIZE

        warning = check_finished(self.driver, "publish", allow_unfinished, flag="allow_unfinished=True")
        if warning:
            warnings.warn(warning, UserWarning, stacklevel=2)

        art = artefact if isinstance(artefact, Artefact) else Artefact.load(artefact)
        return publish_artefact(self.driver, art, k=k, activate_run=activate,
                                batch_size=min(self.settings.batch_size, PUBLISH_BATCH_SIZE), mapping=self.mapping)

    def refresh(self) -> RefreshResult:
        """Bring the active run up to date without retraining, like ``graphrec refresh``: users with new
        interactions and new users get vectors folded in from their items and fresh RECOMMENDED lists; new
        items get vectors from their KG/text neighbours (see :mod:`graphrec.writeback.refresh`)."""
        from graphrec.writeback import refresh
        from graphrec.writeback.refresh import REFRESH_BATCH_SIZE

        return refresh(self.driver, self.mapping, batch_size=min(self.settings.batch_size, REFRESH_BATCH_SIZE))

    def recommend(self, user: str, k: int = 10, realtime: bool = False) -> list[Recommendation]:
        """The active run's top-``k`` for ``user`` (``realtime``: from the vector index, not RECOMMENDED)."""
        from graphrec import recommend as rec

        if realtime:
            return rec.recommend_realtime(self.driver, user, k, mapping=self.mapping)
        return rec.recommend(self.driver, user, k, mapping=self.mapping)

    def similar(self, item: str, k: int = 10) -> list[Recommendation]:
        """Items nearest ``item`` in the active run's vector index."""
        from graphrec.recommend import similar_items

        return similar_items(self.driver, item, k, mapping=self.mapping)

    def explain(self, user: str, item: str, limit: int = 5) -> list[Explanation]:
        """Paths in the graph from ``user`` to ``item``, strongest first."""
        from graphrec.recommend import explain

        return explain(self.driver, user, item, limit, mapping=self.mapping)

    def explain_text(self, user: str, items: Sequence[str] | None = None, k: int = 10) -> list[Reason]:
        """Why each of ``items`` (default: the user's top-``k``) for ``user``; ``reason.sentence()`` reads
        "Because you rated Star Wars (1977) 5★ — same genre Sci-Fi; 212 people who rated it also rated this."."""
        from graphrec.recommend import explain_text

        return explain_text(self.driver, user, items, k, mapping=self.mapping)


def connect(target: Settings | str | None = None, *, auth: tuple[str, str] | None = None,
            database: str | None = None, driver: Driver | None = None, **settings: Any) -> Session:
    """Open a :class:`Session`.

    Args:
        target: a :class:`~graphrec.config.Settings`, a Bolt URI, or ``None`` for the usual precedence
            (``graphrec.toml`` < ``GRAPHREC_*`` env), i.e. the local server by default.
        auth: ``(user, password)``.
        database: database name (default: the settings', ``neo4j``).
        driver: an already open ``neo4j.Driver`` to use instead of opening one.
        settings: any other :class:`~graphrec.config.Settings` field, e.g. ``batch_size=5000``.

    Raises:
        ConfigError: an unknown setting or a bad value.
    """
    overrides: dict[str, Any] = dict(settings)
    if isinstance(target, str):
        overrides["uri"] = target
    if auth is not None:
        overrides["user"], overrides["password"] = auth
    if database is not None:
        overrides["database"] = database
    if isinstance(target, Settings):
        try:
            resolved = replace(target, **overrides)
        except TypeError as e:
            raise ConfigError(f"connect: {e}") from e
    else:
        resolved = load_settings(overrides)
    return Session(resolved, driver)


def fit(graph: RecGraph, model: str | None = None, config: TrainConfig | None = None, *, holdout: bool = False,
        progress: bool = False, **options: Any) -> Artefact:
    """Fit a registry model (default: ``graph``) on ``graph``; see :func:`graphrec.train.fit`.

    ``holdout=False`` (the default here, as for ``graphrec train``) refits on every interaction; ``options`` are
    :class:`~graphrec.train.TrainConfig` fields, e.g. ``fit(graph, "ease", lam=300.0)``.
    """
    from graphrec.train import TrainConfig
    from graphrec.train import fit as train_fit

    cfg = config or TrainConfig(out_dir=None)
    changes: dict[str, Any] = {**options, **({"model": model} if model else {})}
    try:
        cfg = replace(cfg, **changes)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"fit: {e}") from e
    return train_fit(graph, cfg, progress=progress, holdout=holdout)

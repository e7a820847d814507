"""Dataset names → adapters, where their files are found, and the whole load (parse, then write)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import Driver

from graphrec.errors import ConfigError
from graphrec.ingest.records import GraphRecords
from graphrec.ingest.writer import LoadReport, write_records

DATASETS = ("movielens-100k", "movielens-1m", "lastfm-2k", "kgat", "csv")
"""Names ``graphrec load`` accepts."""

FOLDERS = {
    "movielens-100k": ("movielens-100k", "ml-100k"),
    "movielens-1m": ("movielens-1m", "ml-1m"),
    "lastfm-2k": ("hetrec-lastfm-2k", "lastfm-2k", "hetrec2011-lastfm-2k"),
    "kgcn-music": ("kgcn-music-kg",),
}
"""Folder names looked for under the data directory when no ``--path`` is given."""


@dataclass(frozen=True)
class LoadOptions:
    """What ``graphrec load`` was asked for.

    Attributes:
        path: the dataset's folder (default: found under the data directory, or downloaded).
        split: ML-100K standard split whose test ratings get ``split='test'`` (default: none).
        kg: join the KGCN music KG onto lastfm-2k (default: no).
        kg_path: the KGCN folder; implies ``kg`` (default: ``<data dir>/kgcn-music-kg``).
        name: dataset name recorded for ``kgat``/``csv`` (default: ``<format>:<folder name>``).
        mapping: ``csv``: a TOML column mapping (:mod:`graphrec.ingest.csvmap`) instead of the generic
            layout; its files are relative to ``path`` (default: the mapping file's folder).
    """

    path: Path | None = None
    split: str | None = None
    kg: bool = False
    kg_path: Path | None = None
    name: str | None = None
    mapping: Path | None = None


def _local_copy(dataset: str, data_dir: Path | None) -> Path | None:
    if data_dir is None:
        return None
    for folder in FOLDERS.get(dataset, ()):
        if (data_dir / folder).is_dir():
            return data_dir / folder
    return None


def cache_dir(data_dir: Path | None, home: Path) -> Path:
    """Where downloads go: the data directory when writable, else ``<home>/datasets``."""
    if data_dir is not None and (data_dir.is_dir() and os.access(data_dir, os.W_OK)
                                 or not data_dir.exists() and os.access(data_dir.parent, os.W_OK)):
        return data_dir
    return home / "datasets"


def resolve_path(dataset: str, options: LoadOptions, data_dir: Path | None, home: Path) -> Path:
    """The folder to read ``dataset`` from: ``--path``, a local copy, or a verified download.

    Raises:
        ConfigError: ``kgat``/``csv`` without ``--path``, or no copy and nothing to download.
    """
    if options.path is not None:
        return options.path
    if dataset == "csv" and options.mapping is not None:
        return options.mapping.parent
    local = _local_copy(dataset, data_dir)
    if local is not None:
        return local
    from graphrec.ingest.download import ARCHIVES, fetch

    if dataset in ARCHIVES:
        return fetch(ARCHIVES[dataset], cache_dir(data_dir, home))
    raise ConfigError(f"{dataset}: no local copy under {data_dir} and no official download: pass --path DIR")


def parse(dataset: str, path: Path, options: LoadOptions, data_dir: Path | None = None) -> GraphRecords:
    """Read and validate every file of ``dataset`` in ``path`` (nothing is written).

    Raises:
        ConfigError: an unknown dataset, or an option it does not take.
        InputError: a missing file or a bad row.
    """
    if options.split is not None and dataset != "movielens-100k":
        raise ConfigError(f"--split applies to movielens-100k only ({dataset} carries its own splits)")
    if (options.kg or options.kg_path) and dataset != "lastfm-2k":
        raise ConfigError("--kg/--kg-path apply to lastfm-2k only (kgat and csv bring their own triples)")
    if options.mapping is not None and dataset != "csv":
        raise ConfigError(f"--mapping applies to csv only ({dataset} has a fixed layout)")
    adapters: dict[str, Callable[[], GraphRecords]] = {
        "movielens-100k": lambda: _ml100k(path, options),
        "movielens-1m": lambda: _ml1m(path),
        "lastfm-2k": lambda: _lastfm(path, options, data_dir),
        "kgat": lambda: _kgat(path, options),
        "csv": lambda: _csv(path, options),
    }
    if dataset not in adapters:
        raise ConfigError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    return adapters[dataset]()


def _ml100k(path: Path, options: LoadOptions) -> GraphRecords:
    from graphrec.ingest.movielens import load_ml100k

    return load_ml100k(path, options.split)


def _ml1m(path: Path) -> GraphRecords:
    from graphrec.ingest.movielens import load_ml1m

    return load_ml1m(path)


def _lastfm(path: Path, options: LoadOptions, data_dir: Path | None) -> GraphRecords:
    from graphrec.ingest.lastfm import load_lastfm

    kg_path = options.kg_path
    if kg_path is None and options.kg:
        kg_path = _local_copy("kgcn-music", data_dir)
        if kg_path is None:
            raise ConfigError(f"--kg: no kgcn-music-kg folder under {data_dir}: pass --kg-path DIR")
    return load_lastfm(path, kg_path)


def _kgat(path: Path, options: LoadOptions) -> GraphRecords:
    from graphrec.ingest.kgat import load_kgat

    return load_kgat(path, options.name or f"kgat:{path.resolve().name}")


def _csv(path: Path, options: LoadOptions) -> GraphRecords:
    from graphrec.ingest.csv import load_csv

    if options.mapping is not None:
        from graphrec.ingest.csvmap import load_mapped_csv, read_mapping

        return load_mapped_csv(path, read_mapping(options.mapping), options.name)
    return load_csv(path, options.name or f"csv:{path.resolve().name}")


def read_dataset(dataset: str, options: LoadOptions, data_dir: Path | None,
                 home: Path) -> tuple[GraphRecords, float]:
    """Find (or download), read and validate ``dataset``; returns the records and the seconds it took."""
    path = resolve_path(dataset, options, data_dir, home)
    t0 = time.perf_counter()
    rec = parse(dataset, path, options, data_dir)
    return rec, time.perf_counter() - t0


def load_params(dataset: str, options: LoadOptions) -> dict[str, Any]:
    """The load options recorded on the Dataset node."""
    params: dict[str, Any] = {"dataset": dataset, "split": options.split, "kg": bool(options.kg or options.kg_path)}
    if options.mapping is not None:
        params["mapping"] = options.mapping.name
    return params


def load_dataset(driver: Driver, dataset: str, options: LoadOptions, data_dir: Path | None, home: Path,
                 batch_size: int = 10_000, progress: bool = True) -> LoadReport:
    """Find, parse and validate every file of ``dataset``, then write it (nothing is written on a bad row).

    Raises:
        ConfigError: unknown dataset or option.
        InputError: a missing file or a bad row (``file:line: field: problem``).
        DatabaseError: Neo4j failed.
    """
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    rec, parse_seconds = read_dataset(dataset, options, data_dir, home)
    params = {**load_params(dataset, options), "batch_size": batch_size}
    report = write_records(driver, rec, batch_size=batch_size, progress=progress, params=params)
    report.parse_seconds = parse_seconds
    return report

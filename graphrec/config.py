"""One typed settings object.

Precedence, lowest first: defaults < ``graphrec.toml`` < ``GRAPHREC_*`` environment < CLI flags.
Nothing is read at import time: :func:`load_settings` is called by the CLI (or a test) and the
resulting :class:`Settings` is passed down.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from graphrec.errors import ConfigError, UsageError
from graphrec.mapping import DEFAULT_MAPPING, GraphMapping, parse_mapping


def default_home() -> Path:
    """Where the local server, its store and caches live (``$XDG_DATA_HOME/graphrec``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "graphrec"


@dataclass(frozen=True)
class Settings:
    """All of graphrec's configuration.

    Attributes:
        uri: Bolt URI of the server; any of ``bolt://``, ``neo4j://``, ``neo4j+s://``
            (default: ``bolt://127.0.0.1:7687``, the local server).
        user: Neo4j user (default: ``neo4j``).
        password: Neo4j password; when unset, the local server's generated password file is read.
        database: database name (default: ``neo4j``).
        home: directory of the local server: jars, store, logs, password file
            (default: ``~/.local/share/graphrec``).
        bolt_port: Bolt port of the local server (default: 7687).
        http_port: HTTP port of the local server, which also serves Neo4j Browser (default: 7474).
        heap: JVM heap of the local server (default: ``1g``).
        pagecache: page cache of the local server (default: ``512m``).
        data_dir: where dataset files are read from or downloaded to (default: ``../shared/datasets``
            beside a source checkout when it exists, else ``<home>/datasets``).
        batch_size: rows per ``UNWIND`` write batch (default: 10000).
        device: ``auto``, ``cpu`` or ``cuda`` (default: ``auto``).
        threads: torch threads for training, scoring and text encoding; ``0`` = the cores this
            process may use (default: ``0``).
        text_model: sentence-transformers model name or path (default: ``all-MiniLM-L6-v2``).
        graph: the graph mapping, from the ``[graph]`` table (default: graphrec's own
            ``User``/``Item``/``Entity`` keyed by ``id``); see :mod:`graphrec.mapping`.
    """

    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str | None = None
    database: str = "neo4j"
    home: Path = Path()
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "1g"
    pagecache: str = "512m"
    data_dir: Path | None = None
    batch_size: int = 10_000
    device: str = "auto"
    threads: int = 0
    text_model: str = "all-MiniLM-L6-v2"
    graph: GraphMapping = DEFAULT_MAPPING

    @property
    def password_file(self) -> Path:
        """The 0600 file holding the local server's generated password."""
        return self.home / "password"

    @property
    def is_local(self) -> bool:
        """True when :attr:`uri` points at the local server graphrec manages."""
        return self.uri in (f"bolt://127.0.0.1:{self.bolt_port}", f"bolt://localhost:{self.bolt_port}",
                            f"neo4j://127.0.0.1:{self.bolt_port}", f"neo4j://localhost:{self.bolt_port}")

    def resolved_password(self) -> str:
        """The password to use: the setting, else the local server's password file.

        Raises:
            ConfigError: when neither is available.
        """
        if self.password:
            return self.password
        if self.password_file.exists():
            return _read_private(self.password_file)
        raise ConfigError(
            f"no Neo4j password: set GRAPHREC_NEO4J_PASSWORD, or start the local server once "
            f"(`graphrec db start`) to generate {self.password_file}"
        )

    def ensure_password(self) -> str:
        """Return the local server's password, generating and storing it (mode 0600) on first use."""
        if self.password:
            return self.password
        if not self.password_file.exists():
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(18) + "\n")
        return _read_private(self.password_file)


def _read_private(path: Path) -> str:
    """The stripped text of a secret file, after making it 0600 if group or others could read it (with a
    ``warning:`` line on stderr: the secret may already have been read)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            path.chmod(0o600)
            done = "made it 0600"
        except OSError as e:
            done = f"could not make it 0600 ({e.strerror})"
        print(f"warning: {path} was readable by group or others (mode {mode:04o}); {done}", file=sys.stderr)
    return path.read_text().strip()


_ENV_NAMES = {
    "uri": "GRAPHREC_NEO4J_URI",
    "user": "GRAPHREC_NEO4J_USER",
    "password": "GRAPHREC_NEO4J_PASSWORD",
    "database": "GRAPHREC_NEO4J_DATABASE",
    "home": "GRAPHREC_HOME",
    "bolt_port": "GRAPHREC_BOLT_PORT",
    "http_port": "GRAPHREC_HTTP_PORT",
    "heap": "GRAPHREC_HEAP",
    "pagecache": "GRAPHREC_PAGECACHE",
    "data_dir": "GRAPHREC_DATA_DIR",
    "batch_size": "GRAPHREC_BATCH_SIZE",
    "device": "GRAPHREC_DEVICE",
    "threads": "GRAPHREC_THREADS",
    "text_model": "GRAPHREC_TEXT_MODEL",
}
"""Environment variable for each setting."""


def _coerce(name: str, value: Any, source: str) -> Any:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    try:
        if kind in ("int",):
            return int(value)
        if kind in ("Path", "Path | None"):
            return Path(str(value)).expanduser()
        return str(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{source}: {name}: expected {kind}, got {value!r}") from e


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    toml_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build :class:`Settings` from defaults, ``graphrec.toml``, ``GRAPHREC_*`` env and overrides.

    Args:
        overrides: values from CLI flags; ``None`` values are ignored.
        toml_path: config file (default: ``GRAPHREC_CONFIG`` or ``./graphrec.toml`` when present).
            Keys are the :class:`Settings` field names, at top level or under ``[graphrec]``; the
            ``[graph]`` table is the graph mapping (:func:`graphrec.mapping.parse_mapping`).
        env: environment mapping (default: ``os.environ``).

    Raises:
        ConfigError: unknown keys or values of the wrong type.
        MappingError: a malformed ``[graph]`` table (exit code 2).
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = toml_path or Path(env.get("GRAPHREC_CONFIG", "graphrec.toml"))
    if path.exists():
        try:
            doc = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise UsageError(f"{path}: {e}") from e
        table = dict(doc.get("graphrec", doc))
        graph = table.pop("graph", None) if "graph" in table else doc.get("graph")
        if graph is not None:
            values["graph"] = parse_mapping(graph, str(path))
        for key, val in table.items():
            if key not in _ENV_NAMES:
                raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(_ENV_NAMES)})")
            values[key] = _coerce(key, val, str(path))
    for key, var in _ENV_NAMES.items():
        if env.get(var):
            values[key] = _coerce(key, env[var], var)
    for key, val in (overrides or {}).items():
        if val is not None:
            if key not in _ENV_NAMES:
                raise ConfigError(f"unknown setting {key!r}")
            values[key] = _coerce(key, val, f"--{key.replace('_', '-')}")
    settings = Settings(**values)
    if "home" not in values:
        settings = replace(settings, home=default_home())
    if "uri" not in values:
        settings = replace(settings, uri=f"bolt://127.0.0.1:{settings.bolt_port}")
    if settings.data_dir is None:
        shared = checkout_datasets(Path(__file__).resolve().parent)
        settings = replace(settings, data_dir=shared or settings.home / "datasets")
    return settings


def checkout_datasets(package_dir: Path) -> Path | None:
    """``../shared/datasets`` beside a source checkout the package runs from, if that folder exists.

    Only a checkout counts (``package_dir``'s parent holds ``pyproject.toml``): an installed package lives
    in ``site-packages``, whose surroundings say nothing about datasets, so it gets ``<home>/datasets``.
    """
    root = package_dir.parent
    if not (root / "pyproject.toml").is_file():
        return None
    shared = root.parent / "shared" / "datasets"
    return shared if shared.is_dir() else None

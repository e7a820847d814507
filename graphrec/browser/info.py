"""Where Neo4j Browser is for the configured server, and what to paste into it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import quote, urlsplit

from graphrec.browser.guide import GUIDE_NAME, STYLE_NAME, browser_dir
from graphrec.config import Settings
from graphrec.localdb.local import port_in_use

AURA_BROWSER = "https://browser.neo4j.io/"
"""The hosted Browser, used for servers that only speak encrypted Bolt (``+s``/``+ssc`` schemes)."""


@dataclass(frozen=True)
class BrowserInfo:
    """What a user needs to inspect the graph in Neo4j Browser.

    Attributes:
        url: the Browser, with the connect form pre-filled (``?dbms=…&db=…``).
        connect_uri: the Bolt URI to connect to.
        user: the user to connect as.
        database: the database to use.
        password_hint: where the password comes from (never the password itself).
        running: for the local server, whether its HTTP port answers; ``None`` for other servers.
        style_file: the ``.grass`` file, for dragging onto the Browser window.
        style_command: the ``:style`` command (``None`` until a guide server URL is given).
        play_command: the ``:play`` command (``None`` until a guide server URL is given).
    """

    url: str
    connect_uri: str
    user: str
    database: str
    password_hint: str
    running: bool | None
    style_file: str
    style_command: str | None = None
    play_command: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _browser_base(settings: Settings) -> str:
    if settings.is_local:
        return f"http://127.0.0.1:{settings.http_port}/browser/"
    parts = urlsplit(settings.uri)
    if parts.scheme.endswith(("+s", "+ssc")):
        return AURA_BROWSER
    return f"http://{parts.hostname or '127.0.0.1'}:{settings.http_port}/browser/"


def browser_info(settings: Settings, guide_base: str | None = None) -> BrowserInfo:
    """Describe the Browser for ``settings``' server.

    Args:
        settings: the configured server (local or remote).
        guide_base: base URL of a running guide server (``GuideServer.url``), which makes the
            ``:style``/``:play`` commands available (default: ``None``).
    """
    parts = urlsplit(settings.uri)
    netloc = f"{quote(settings.user, safe='')}@{parts.netloc.rsplit('@', 1)[-1]}"
    dbms = f"{parts.scheme}://{netloc}"
    url = f"{_browser_base(settings)}?dbms={quote(dbms, safe=':/@')}&db={quote(settings.database, safe='')}"
    if settings.password:
        hint = "the configured password (GRAPHREC_NEO4J_PASSWORD / --password)"
    elif settings.is_local:
        hint = f"in {settings.password_file}"
    else:
        hint = "your server's password"
    running = port_in_use(settings.http_port) if settings.is_local else None
    base = guide_base.rstrip("/") if guide_base else None
    return BrowserInfo(
        url=url, connect_uri=settings.uri, user=settings.user, database=settings.database, password_hint=hint,
        running=running, style_file=str(browser_dir() / STYLE_NAME),
        style_command=f":style {base}/{STYLE_NAME}" if base else None,
        play_command=f":play {base}/{GUIDE_NAME}" if base else None,
    )

"""Serve the guide and the graph style over HTTP on localhost, for ``:play`` and ``:style``.

Neo4j Browser fetches remote guides and styles from its own page, so the answers carry CORS headers
(and answer the preflight its ``Cache-Control``/``Pragma`` request headers cause). The Browser only
fetches from hosts in the server setting ``browser.remote_content_hostname_allowlist``, whose default
(``guides.neo4j.com,localhost``) admits ``localhost`` but not ``127.0.0.1``: the URLs this module hands
out therefore name ``localhost``.
"""

from __future__ import annotations

import errno
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from graphrec.browser.guide import GUIDE_NAME, STYLE_NAME, render_guide, render_style
from graphrec.errors import GraphRecError, ServerError
from graphrec.mapping import DEFAULT_MAPPING, GraphMapping

DEFAULT_PORT = 8474
"""Port ``graphrec browser --serve`` listens on unless told otherwise."""

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Private-Network": "true",
    "Access-Control-Max-Age": "600",
}


class _Handler(BaseHTTPRequestHandler):
    server: GuideServer
    protocol_version = "HTTP/1.1"

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, head: bool = False) -> None:
        self.send_response(status)
        for key, value in _CORS.items():
            self.send_header(key, value)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _answer(self, head: bool) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            if path in ("/", f"/{GUIDE_NAME}"):
                body = render_guide(self.server.url, mapping=self.server.mapping).encode()
                self._send(HTTPStatus.OK, body, "text/html; charset=utf-8", head)
            elif path == f"/{STYLE_NAME}":
                body = render_style(self.server.mapping).encode()
                self._send(HTTPStatus.OK, body, "text/plain; charset=utf-8", head)
            else:
                self._send(HTTPStatus.NOT_FOUND, f"not found: {path}\n".encode(), "text/plain", head)
        except (GraphRecError, OSError) as e:
            self.server.errors.append(str(e))
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, f"graphrec: {e}\n".encode(), "text/plain", head)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def do_OPTIONS(self) -> None:  # noqa: N802
        self._send(HTTPStatus.NO_CONTENT, b"", "text/plain")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base class signature)
        if self.server.verbose:
            super().log_message(format, *args)


class GuideServer(ThreadingHTTPServer):
    """An HTTP server for the guide (``/graphrec.html``) and the style (``/graphrec.grass``).

    Args:
        host: address to listen on (default: ``127.0.0.1``).
        port: port to listen on; 0 picks a free one (default: 8474).
        verbose: log each request to stderr (default: ``False``).
        mapping: the graph mapping the guide's queries and the style are rendered for, checked
            against the schema (default: graphrec's own labels).

    Raises:
        ServerError: the port is in use or cannot be bound.
    """

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT, verbose: bool = False,
                 mapping: GraphMapping = DEFAULT_MAPPING) -> None:
        self.verbose = verbose
        self.mapping = mapping
        self.errors: list[str] = []
        self._thread: threading.Thread | None = None
        try:
            super().__init__((host, port), _Handler)
        except OSError as e:
            why = "is in use" if e.errno == errno.EADDRINUSE else f"cannot be bound ({e.strerror})"
            raise ServerError(f"port {port} on {host} {why}; choose another with --port") from e

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """Base URL as the Browser must see it (``localhost``, which the default allowlist admits)."""
        return f"http://localhost:{self.port}"

    @property
    def guide_url(self) -> str:
        return f"{self.url}/{GUIDE_NAME}"

    @property
    def style_url(self) -> str:
        return f"{self.url}/{STYLE_NAME}"

    def start(self) -> GuideServer:
        """Serve from a background thread (for tests and embedding); returns ``self``."""
        self._thread = threading.Thread(target=self.serve_forever, name="graphrec-guide", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()


def start_guide_server(host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> GuideServer:
    """A :class:`GuideServer` already serving from a background thread (``close()`` it when done)."""
    return GuideServer(host, port, verbose).start()

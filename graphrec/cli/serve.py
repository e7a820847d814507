"""``graphrec serve``: the HTTP API (the ``[serve]`` extra: FastAPI + uvicorn)."""

from __future__ import annotations

import click

from graphrec.cli.context import AppContext, pass_app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; 0.0.0.0 exposes the API to the network (it has no authentication).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """Serve recommendations over HTTP: /recommend/{user}, /similar/{item}, /explain/{user}/{item}, /health.

    OpenAPI docs at /docs and /openapi.json. Needs the serve extra: pip install -e '.[serve]' in the checkout.

    Example: graphrec serve --port 8000 && curl 'http://127.0.0.1:8000/recommend/1?k=5'
    """
    from graphrec.serve import create_app, require_extra

    require_extra()
    import uvicorn

    api = create_app(app.driver(), app.mapping())
    app.echo(f"graphrec API on http://{host}:{port} (docs: http://{host}:{port}/docs); Ctrl-C stops it")
    uvicorn.run(api, host=host, port=port, log_level="warning" if app.quiet else "info")


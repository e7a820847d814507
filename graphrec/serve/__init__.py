"""``graphrec serve``: the recommendation library calls as an HTTP API (FastAPI; the ``[serve]`` extra)."""

from graphrec.serve.app import create_app, require_extra

__all__ = ["create_app", "require_extra"]

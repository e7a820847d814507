"""Fixtures for the fault tests: the ingest CLI runner, a graphrec subprocess, a server of one's own."""

from __future__ import annotations

from tests.ingest.conftest import run_cli

__all__ = ["run_cli"]

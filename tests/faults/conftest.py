"""Fixtures for the fault tests: those of the ingest tests (CLI runner, fixture copies)."""

from __future__ import annotations

from tests.ingest.conftest import csv_dir, kgat_dir, run_cli

__all__ = ["csv_dir", "kgat_dir", "run_cli"]

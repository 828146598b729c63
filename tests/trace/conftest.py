"""The trace tests' marker: ``trace_server`` tests start a real trace receiver (Phoenix)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "trace_server: starts a real OTLP trace receiver (Arize Phoenix)")

"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"


@pytest.fixture
def data_dir() -> Path:
    """tests/data: reference files copied from ../shared/ (sources noted in its README)."""
    return DATA_DIR

"""Shared fixtures of the data-layer tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.config import RAW_DIR
from analysis.prepare import prepare_staff
from analysis.validate import load_raw


@pytest.fixture(scope="session")
def raw_tables():
    """The shipped raw tables, validated and typed."""
    return load_raw(RAW_DIR)


@pytest.fixture(scope="session")
def staff(raw_tables):
    """The processed worker table of the shipped data."""
    return prepare_staff(raw_tables)


@pytest.fixture()
def raw_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped raw CSVs to corrupt."""
    dst = tmp_path / "raw"
    dst.mkdir()
    for name in ("staff_survey.csv", "participants.csv", "contacts.csv"):
        shutil.copyfile(RAW_DIR / name, dst / name)
    return dst

"""Fixtures of the QCA-stage tests: the shipped data through stages 01 and 02 (in memory)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from analysis.codebook import all_codebooks
from analysis.config import RAW_DIR
from analysis.prepare import prepare_staff
from analysis.psychometrics import score_all
from analysis.validate import load_raw


@pytest.fixture(scope="session")
def staff() -> pd.DataFrame:
    """data/processed/staff.csv of the shipped raw data, as stage 01 writes and stage 02 reads it."""
    table = prepare_staff(load_raw(RAW_DIR))
    return pd.read_csv(io.StringIO(table.to_csv(index=False)))


@pytest.fixture(scope="session")
def scores(staff: pd.DataFrame) -> pd.DataFrame:
    """data/processed/scores.csv (staff_id, ..., iis, ..., sbw) of the shipped data."""
    return score_all(staff, list(all_codebooks().values()))

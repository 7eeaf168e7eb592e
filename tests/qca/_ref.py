"""Load the QCA reference data: R datasets (CSV) and R QCA 3.25 outputs (JSON).

Import from a test in tests/qca/ as `from _ref import load_dataset, load_reference`
(tests/qca has no __init__.py, so pytest puts this folder on sys.path).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

QCA_DATA = Path(__file__).resolve().parent.parent / "data" / "qca"
DATASETS_DIR = QCA_DATA / "datasets"
REFERENCE_DIR = QCA_DATA / "reference"


def dataset_path(name: str) -> Path:
    """Path of dataset *name* (``"LF"`` or ``"LF.csv"``)."""
    return DATASETS_DIR / (name if name.endswith(".csv") else f"{name}.csv")


def load_dataset(name: str) -> pd.DataFrame:
    """Dataset *name* with the case names (first column) as the index."""
    df = pd.read_csv(dataset_path(name))
    return df.set_index(df.columns[0])


@lru_cache(maxsize=None)
def _load_json(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_reference(file: str) -> dict[str, Any]:
    """Reference output *file* (``"LF_tt.json"`` or ``"LF_tt"``)."""
    file = file if file.endswith(".json") else f"{file}.json"
    return _load_json(str(REFERENCE_DIR / file))


def reference_index() -> list[dict[str, Any]]:
    """INDEX.json's entries: ``file``, ``kind``, ``call``, ``source``."""
    return _load_json(str(REFERENCE_DIR / "INDEX.json"))["files"]


def reference_files(kind_prefix: str) -> list[str]:
    """Files whose kind starts with *kind_prefix* (e.g. ``"truthTable"``, ``"minimize/"``)."""
    return [e["file"] for e in reference_index() if e["kind"].startswith(kind_prefix)]

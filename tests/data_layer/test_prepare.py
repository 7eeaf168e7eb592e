"""Stage 01: the worker table (known answers on a tiny example, contract on the shipped data)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import analysis.prepare as prep
import analysis.schemas as schemas
from analysis.codebook import item_columns
from analysis.errors import InputError
from analysis.prepare import prepare_staff, staff_columns
from analysis.schemas import processed_schema, raw_schemas, to_pandera


def test_doctests():
    assert doctest.testmod(prep).failed == 0
    assert doctest.testmod(schemas).failed == 0


def _tiny() -> dict[str, pd.DataFrame]:
    items = {c: [3, 2] for c in item_columns()}
    staff = pd.DataFrame({"staff_id": ["S1", "S2"], "partnership": ["KBOP", "GMBOP"],
                          "organisation": ["K-1", "G-1"], "tenure_years": [1.0, 2.0], **items})
    parts = pd.DataFrame({
        "participant_id": ["a", "b", "c"], "staff_id": ["S1", "S1", "S2"],
        "start_date": pd.to_datetime(["2020-01-01", "2020-01-15", "2020-03-01"]), "age": [30, 40, 20],
        "accommodation_entry_date": pd.to_datetime(["2020-02-01", None, "2020-04-01"]),
        "sustained_6m": ["yes", "not_due", "no"], "sustained_12m": ["yes", "not_due", "no"],
        "ete_entry": ["yes", "no", "no"], "wellbeing_start": pd.array([20, 15, 18], dtype="Int64"),
        "wellbeing_followup": pd.array([25, None, 16], dtype="Int64"),
    })
    contacts = pd.DataFrame({
        "contact_id": ["c1", "c2", "c3", "c4", "c5"], "participant_id": ["a", "a", "b", "b", "c"],
        "staff_id": ["S1", "S1", "S1", "S1", "S2"],
        "date": pd.to_datetime(["2020-01-05", "2020-03-01", "2020-02-01", "2020-02-20", "2020-03-02"]),
        "duration_min": [60, 30, 90, 60, 45],
    })
    return {"staff_survey": staff, "participants": parts, "contacts": contacts}


def test_known_answers_on_tiny_tables():
    out = prepare_staff(_tiny()).set_index("staff_id")
    s1, s2 = out.loc["S1"], out.loc["S2"]
    # S1: Jan {a}, Feb {a, b}, Mar {a} -> 4/3; contacts 2020-01-05..2020-03-01 = 57 days
    assert s1["caseload"] == pytest.approx(4 / 3)
    assert s1["workload_hours"] == pytest.approx(240 / 60 / (57 / 7))
    assert s1["meeting_minutes"] == pytest.approx(60.0)
    assert (s1["n_participants"], s1["n_contacts"], s1["n_due_12m"], s1["n_sustained_12m"]) == (2, 4, 1, 1)
    assert s1["sustain12_rate"] == 1.0 and s1["ete_rate"] == 0.5
    assert (s1["n_wellbeing"], s1["wellbeing_change"]) == (1, 5.0)
    assert s2["caseload"] == 1.0 and s2["workload_hours"] == pytest.approx(0.75 * 7)
    assert (s2["n_due_6m"], s2["n_sustained_6m"], s2["sustain6_rate"]) == (1, 0, 0.0)
    assert s2["wellbeing_change"] == -2.0


def test_rate_is_nan_when_nothing_due():
    t = _tiny()
    t["participants"]["sustained_12m"] = "not_due"
    out = prepare_staff(t)
    assert out["n_due_12m"].tolist() == [0, 0] and out["sustain12_rate"].isna().all()


def test_missing_table_rejected():
    with pytest.raises(InputError, match="missing raw tables \\['contacts'\\]"):
        prepare_staff({k: v for k, v in _tiny().items() if k != "contacts"})


def test_shipped_worker_table(staff, raw_tables):
    assert len(staff) == 65 and list(staff.columns) == staff_columns()
    assert staff["staff_id"].is_unique
    assert staff["n_participants"].sum() == len(raw_tables["participants"])
    assert staff["n_contacts"].sum() == len(raw_tables["contacts"])
    assert (staff["n_sustained_12m"] <= staff["n_due_12m"]).all()
    assert staff["sustain12_rate"].between(0, 1).all()
    to_pandera(processed_schema("staff")).validate(staff)


def test_raw_tables_pass_pandera(raw_tables):
    for name, spec in raw_schemas().items():
        to_pandera(spec).validate(raw_tables[name])


def test_pandera_schema_catches_out_of_range(staff):
    import pandera.pandas as pa
    bad = staff.copy()
    bad.loc[0, "sustain12_rate"] = 1.5
    with pytest.raises(pa.errors.SchemaError):
        to_pandera(processed_schema("staff")).validate(bad)


def test_notebook_writes_the_worker_table(tmp_path):
    """Stage 01 notebook under papermill: validates, prepares, writes the same table as the library."""
    import papermill as pm
    from analysis.config import ROOT, RAW_DIR
    from analysis.validate import load_raw
    out_nb = tmp_path / "01.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "01_prepare.ipynb"), str(out_nb), cwd=str(ROOT),
                        parameters={"processed_dir": str(tmp_path / "processed")}, progress_bar=False)
    written = pd.read_csv(tmp_path / "processed" / "staff.csv")
    assert len(written) == 65 and list(written.columns) == staff_columns()
    expected = prepare_staff(load_raw(RAW_DIR))
    np.testing.assert_allclose(written["sustain12_rate"], expected["sustain12_rate"].astype(float), rtol=1e-9)  # outputs carry 10 significant digits
    assert "wrote " in out_nb.read_text()

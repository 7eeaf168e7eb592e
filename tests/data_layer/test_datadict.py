"""The generated data dictionary is current and documents every column."""

from __future__ import annotations

from analysis import datadict
from analysis.prepare import staff_columns
from analysis.schemas import raw_schemas


def test_data_readme_is_current():
    assert not datadict.is_stale(), "data/README.md is stale: run python -m analysis.datadict"


def test_every_column_documented_and_synthetic_stated():
    text = datadict.DICT_PATH.read_text()
    assert "**The files shipped in `data/raw/` are synthetic.**" in text
    for spec in raw_schemas().values():
        for col in spec.names:
            assert f"| `{col}` |" in text, col
    processed = text.split("## Processed tables")[1].split("## Instruments")[0]
    for col in staff_columns():
        assert f"| `{col}` |" in processed, col


def test_check_mode_flags_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "README.md"
    stale.write_text("old\n")
    monkeypatch.setattr(datadict, "DICT_PATH", stale)
    monkeypatch.setattr(datadict.is_stale, "__defaults__", (stale,))
    assert datadict.main(["--check"]) == 1
    assert stale.read_text() == "old\n"

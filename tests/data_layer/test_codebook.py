"""Codebooks: shipped files load, match their published sources, bad files are rejected."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
import yaml

import analysis.codebook as cbmod
from analysis.codebook import all_codebooks, item_columns, load_codebook, load_codebook_file
from analysis.errors import InputError


def test_doctests():
    assert doctest.testmod(cbmod).failed == 0


def test_all_shipped_codebooks_load():
    cbs = all_codebooks()
    assert sorted(cbs) == ["gse", "iis", "rpq", "sbw"]
    for cid, cb in cbs.items():
        assert cb.id == cid
        assert cb.citation and cb.published_reliability["source"]


def test_gse_matches_source():
    cb = load_codebook("gse")
    assert cb.items == tuple(f"gse_{i:02d}" for i in range(1, 11))
    assert (cb.response_min, cb.response_max) == (1, 4)
    assert cb.response_labels[1] == "Not at all true" and cb.response_labels[4] == "Exactly true"
    assert cb.reverse_keyed == () and cb.rule == "sum" and cb.score_range == (10, 40)
    assert cb.max_missing == 3
    assert cb.published_reliability["range"] == [0.76, 0.90]


def test_iis_key_and_categories():
    cb = load_codebook("iis")
    neg = {f"iis_{i:02d}" for i in (4, 6, 7, 10, 13, 15, 17, 20)}
    assert set(cb.reverse_keyed) == neg == set(cb.scoring["minus"])
    assert set(cb.scoring["plus"]) == set(cb.items) - neg and len(cb.items) == 20
    assert cb.scoring["constant"] == 42 and cb.score_range == (14, 94)
    cats = {c["label"]: (c["min"], c["max"]) for c in cb.categories}
    assert cats["Innovators"] == (81, 94) and cats["Early adopters"] == (69, 80)
    assert cats["Early majority"] == (57, 68) and cats["Late majority"] == (46, 56)
    assert cats["Laggards"] == (14, 45)
    assert cb.category_of(45.9) == "Laggards" and cb.category_of(46) == "Late majority"
    assert cb.category_of(100) is None


def test_rpq_subscales_partition_items():
    cb = load_codebook("rpq")
    flat = [i for items in cb.subscales.values() for i in items]
    assert sorted(flat) == sorted(cb.items) and len(flat) == 16
    assert cb.rationale and cb.rule == "mean"
    assert sorted(i for f in cb.structure.values() for i in f) == sorted(cb.items)


def test_sbw_composite():
    cb = load_codebook("sbw")
    assert cb.rule == "composite" and cb.scoring["components"] == ["rpq", "gse"]
    assert cb.scoring["transform"] == "pomp" and cb.score_range == (0, 100)


def test_item_columns_order():
    cols = item_columns()
    assert cols[0] == "gse_01" and cols[10] == "iis_01" and cols[-1] == "rpq_16" and len(cols) == 46


def test_unknown_codebook():
    with pytest.raises(InputError, match="unknown codebook 'xyz'"):
        load_codebook("xyz")


def _write(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load((cbmod.CODEBOOK_DIR / "gse.yaml").read_text())
    change(raw)
    p = tmp_path / "gse.yaml"
    p.write_text(yaml.safe_dump(raw))
    return p


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("scoring"), "key 'scoring': required key missing"),
    (lambda r: r.__setitem__("id", "gsx"), "expected 'gse'"),
    (lambda r: r.__setitem__("items", ["gse_01", "gse_1"]), "does not match 'gse_NN'"),
    (lambda r: r.__setitem__("reverse_keyed", ["iis_04"]), "not items of this instrument"),
    (lambda r: r["scoring"].__setitem__("range", [10, 50]), "give [10, 40]"),
    (lambda r: r["scoring"].__setitem__("rule", "median"), "expected one of sum, mean"),
    (lambda r: r.__setitem__("max_missing", 10), "expected an integer from 0 to 9"),
    (lambda r: r["response"].__setitem__("labels", {7: "x"}), "outside the response range"),
])
def test_bad_codebook_rejected(tmp_path, change, message):
    with pytest.raises(InputError) as exc:
        load_codebook_file(_write(tmp_path, change), expected_id="gse")
    assert "gse.yaml" in str(exc.value) and message in str(exc.value)

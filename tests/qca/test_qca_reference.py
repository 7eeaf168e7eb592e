"""The QCA engine against R QCA 3.25's outputs (tests/data/qca/reference, see its README)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _ref import load_dataset, load_reference, reference_files

from analysis.qca.expressions import parse_expression, sort_terms
from analysis.qca.fit import pof_sufficiency
from analysis.qca.minimize import minimize
from analysis.qca.truthtable import truth_table



def _cfg(config: list) -> list:
    """A reference configuration: ints, or "-" (R's temporal don't-care value, RS data)."""
    return [v if v == "-" else int(v) for v in config]


def _tt(ref: dict):
    t = ref["truth_table"]
    sort = re.search(r'sort.by = "([^"]+)"', ref["call"])
    return truth_table(load_dataset(ref["dataset"]), t["outcome"], t["conditions"],
                       incl_cut=t["incl_cut"], n_cut=t["n_cut"], pri_cut=t["pri_cut"],
                       sort_by=sort.group(1) if sort else None)


def _dir_exp(call: str, conditions: list[str]) -> list[str] | None:
    m = re.search(r"dir.exp = (?:c\((.*?)\)(?=\s*[,)])|(\w+):(\w+))", call)
    if not m:
        return None
    if m.group(1):
        return [x.strip() for x in m.group(1).split(",")]
    return conditions[conditions.index(m.group(2)):conditions.index(m.group(3)) + 1]


def _canon(terms: list[str], conditions: list[str]) -> list[tuple[int, ...]]:
    text = " + ".join(terms)
    return sort_terms(parse_expression(text, conditions)) if terms else []


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-3


@pytest.mark.parametrize("file", reference_files("truthTable"))
def test_truth_table(file: str) -> None:
    ref = load_reference(file)
    t = ref["truth_table"]
    got = _tt(ref).to_dict()
    assert [(r["row"], r["config"], r["OUT"], r["n"]) for r in got["rows"]] == \
        [(r["row"], _cfg(r["config"]), r["OUT"], r["n"]) for r in t["rows"]]
    for g, r in zip(got["rows"], t["rows"]):
        assert g["incl"] == pytest.approx(r["incl"], abs=1e-3)
        assert g["PRI"] == pytest.approx(r["PRI"], abs=1e-3)
        if "cases" in r:
            assert g["cases"] == r["cases"]
    for key in ("positive_rows", "negative_rows", "contradiction_rows", "below_ncut_rows",
                "remainder_rows", "noflevels", "case_names", "n_rows_total"):
        assert got[key] == t[key], key


def _compare_solution(got: dict, exp: dict, conditions: list[str]) -> None:
    assert _canon(got["prime_implicants"], conditions) == _canon(exp["prime_implicants"], conditions)
    assert _canon(got["essential"], conditions) == _canon(exp["essential"], conditions)
    assert got["n_models"] == exp["n_models"]
    assert [_canon(m["terms"], conditions) for m in got["models"]] == \
        [_canon(m["terms"], conditions) for m in exp["models"]]
    for gm, em in zip(got["models"], exp["models"]):
        for k, v in em["fit"].items():
            assert _close(gm["fit"][k], v), (em["name"], k)
        gfit = {t["term"]: t for t in gm["term_fit"]}
        for et in em["term_fit"]:
            gt = gfit[et["term"]]
            for k in ("inclS", "PRI", "covS", "covU"):
                assert _close(gt[k], et[k]), (em["name"], et["term"], k)
            if "cases" in et:
                assert gt["cases"] == et["cases"]
    gpi = {p["term"]: p for p in got["pi_fit"]}
    for ep in exp.get("pi_fit", []):
        for k in ("inclS", "PRI", "covS", "covU"):
            assert _close(gpi[ep["term"]][k], ep[k]), (ep["term"], k)
        assert gpi[ep["term"]]["cases"] == ep["cases"]
    cover_g = {k: v for k, v in got["pi_chart"]["covers"].items()}
    assert cover_g == exp["pi_chart"]["covers"]
    assert got["pi_chart"]["columns"] == exp["pi_chart"]["columns"]


@pytest.mark.parametrize("file", reference_files("minimize/"))
def test_minimize(file: str) -> None:
    ref = load_reference(file)
    s = ref["solution"]
    conditions = ref["truth_table"]["conditions"]
    tt = _tt(ref)
    sol = minimize(tt, include=s["include"], dir_exp=_dir_exp(ref["call"], conditions),
                   row_dom="row.dom = TRUE" in ref["call"])
    got = sol.to_dict()
    assert got["initial_positive_rows"] == s["initial_positive_rows"]
    assert got["negative_rows"] == s["negative_rows"]
    if "intermediate" in s:
        assert [i["key"] for i in got["intermediate"]] == [i["key"] for i in s["intermediate"]]
        for gi, ei in zip(got["intermediate"], s["intermediate"]):
            for k in ("easy_counterfactuals", "difficult_counterfactuals"):
                assert gi[k] == ei[k], (gi["key"], k)
            assert _canon(gi["conservative_model"], conditions) == _canon(ei["conservative_model"], conditions)
            assert _canon(gi["parsimonious_model"], conditions) == _canon(ei["parsimonious_model"], conditions)
            _compare_solution(gi, ei, conditions)
    else:
        _compare_solution(got, s, conditions)
        assert got["simplifying_assumptions"] == s["simplifying_assumptions"]


@pytest.mark.parametrize("file", reference_files("pof/sufficiency"))
def test_pof_sufficiency(file: str) -> None:
    ref = load_reference(file)
    data = load_dataset(ref["dataset"])
    m = re.search(r'pof\("([^"]+)"', ref["call"])
    if m:
        df = pof_sufficiency(data, m.group(1), "")
    else:
        conds, out = list(data.columns[:5]), data.columns[-1]
        df = pof_sufficiency(data, " + ".join(conds), ("~" if "1 - " in ref["call"] else "") + out)
    for r in ref["rows"]:
        got = df.loc[r["term"]]
        for k in ("inclS", "PRI", "covS", "covU"):
            if r[k] is None:
                assert np.isnan(got[k])
            else:
                assert got[k] == pytest.approx(r[k], abs=1e-3), (r["term"], k)


def test_summary_layout_like_r() -> None:
    ref = load_reference("CVF_parsimonious")
    sol = minimize(_tt(ref), include="?")
    text = sol.summary()
    assert "M1: ~NATPRIDE + DEMOC*GEOCON*POLDIS + (~DEMOC*ETHFRACT*POLDIS +" in text
    assert "-> PROTEST" in text
    assert "0.899  0.807  0.597  0.121" in text
    lc = minimize(_tt(load_reference("LC_conservative")))
    assert "M1: DEV*~URB*LIT*STB + DEV*LIT*IND*STB <-> SURV" in lc.summary()
    frame = lc.to_frame()
    assert list(frame["term"]) == ["DEV*~URB*LIT*STB", "DEV*LIT*IND*STB", "M1"]

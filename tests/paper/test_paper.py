"""Tests of analysis.paper: the paper builds from claims, deterministically, with no hand-typed result."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis import figures as F
from analysis import paper as P
from analysis.claims import ClaimRecorder
from analysis.errors import InputError
from analysis.io import read_json

TEXT = P.TEMPLATE.read_text(encoding="utf-8")
REFS = P.template_references(TEXT)

#: Column counts of the template's tables (its headers minus the row-label column).
TABLE_COLUMNS = {"psychometrics.table.reliability": 9, "qca.table.solution": 4, "regression.table.coefficients": 5}
#: Column names where the template looks a column up by name (#col).
TABLE_COLUMN_NAMES = {"qca.table.solution": ["inclS", "PRI", "covS", "covU"]}
#: Claims the template only tests (#when / #unless), not printed.
GUARDS = P.guard_names(TEXT) - set().union(*REFS.values())
#: Claim name prefix -> the stage that records it (figures.fig.* by stage 06).
STAGE_OF = {"psychometrics": "psychometrics", "calibration": "calibration", "qca": "qca",
            "regression": "regression", "figures": "figures"}


class _Recorders:
    """One ClaimRecorder per stage, chosen by the claim name's prefix (as the stage notebooks record them)."""

    def __init__(self, results: Path):
        self.by_stage = {st: ClaimRecorder(stage=st, results_dir=results, notebook=None, inputs=[])
                         for st in sorted(set(STAGE_OF.values()))}

    def _for(self, name: str) -> ClaimRecorder:
        return self.by_stage[STAGE_OF[name.split(".", 1)[0]]]

    def number(self, name, *a, **k):
        return self._for(name).number(name, *a, **k)

    def text(self, name, *a, **k):
        return self._for(name).text(name, *a, **k)

    def table(self, name, *a, **k):
        return self._for(name).table(name, *a, **k)

    def figure(self, name, *a, **k):
        return self._for(name).figure(name, *a, **k)

    def save(self) -> None:
        for r in self.by_stage.values():
            if r.records:
                r.save()


def _record_claims(results: Path, figures: Path, skip: set[str] = frozenset()) -> _Recorders:
    """Claims files with a made-up value for every lookup of the template (numbers distinct)."""
    rec = _Recorders(results)
    for i, name in enumerate(sorted(REFS["n"])):
        if name not in skip:
            rec.number(name, 0.1234567 + i / 1000 if not name.endswith((".n", "n_cases")) else 40 + i)
    for name in sorted(REFS["s"] | REFS["expr"]):
        if name not in skip:
            rec.text(name, "~SBW*INNOV + LONGMEET" if "solution" in name or "published" in name else "identical to")
    for name in sorted(GUARDS - set(skip)):
        rec.text(name, "recorded")
    for name in sorted(REFS["tab"]):
        k = TABLE_COLUMNS[name]
        df = pd.DataFrame(np.arange(3 * k, dtype=float).reshape(3, k) / 7,
                          columns=TABLE_COLUMN_NAMES.get(name, [f"c{j}" for j in range(k)]),
                          index=["row a", "row b", "row c"])
        rec.table(name, df)
    fig = F.necessity_plot(pd.DataFrame({"inclN": [0.5, 0.7], "covN": [0.4, 0.6]}, index=["A", "~A"]))
    for name in sorted(REFS["fig"]):
        stem = "fig_" + name.rsplit(".", 1)[-1]
        written = F.save_figure(fig, stem, figures, formats=("svg", "png"))
        rec.figure(name, data=pd.DataFrame({"x": [1.0, 2.0]}), path=written["png"])
    rec.save()
    return rec


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    results, figures = root / "results", root / "figures"
    rec = _record_claims(results, figures)
    out1 = P.build_paper(results, figures, root / "build1")
    out2 = P.build_paper(results, figures, root / "build2")
    return SimpleNamespace(root=root, results=results, figures=figures, rec=rec, out1=out1, out2=out2)


def test_template_uses_every_kind_of_lookup():
    assert REFS["n"] and REFS["s"] | REFS["expr"] and REFS["tab"] and REFS["fig"] and REFS["col"]
    assert {f"figures.fig.{k}" for k in F.FIGURE_STEMS} == REFS["fig"]


def test_paper_builds_pdf_html_and_provenance(built):
    for key in ("pdf", "html", "provenance"):
        assert built.out1[key].is_file() and built.out1[key].stat().st_size > 1000
    assert built.out1["pdf"].read_bytes().startswith(b"%PDF")
    html = built.out1["html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<figure" in html and "<table" in html
    assert "data:image/svg+xml;base64," in html     # figures embedded: one self-contained file


def test_two_builds_are_byte_identical(built):
    for key in ("pdf", "html", "provenance"):
        assert built.out1[key].read_bytes() == built.out2[key].read_bytes(), key
    pdf = built.out1["pdf"].read_bytes()
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf


def test_first_page_is_not_blank(built):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(built.out1["pdf"]))
    try:
        assert len(pdf) >= 3
        img = pdf[0].render(scale=1).to_pil().convert("L")
    finally:
        pdf.close()
    ink = (np.asarray(img) < 128).mean()
    assert ink > 0.02


def _pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def _load(results: Path):
    from analysis.claims import load_claims

    return load_claims(results / "claims")


def test_every_number_in_the_results_section_of_the_pdf_comes_from_a_claim(built):
    """Scan the built PDF's Results text: each number is a claim's value as printed, or a numbering."""
    text = _pdf_text(built.out1["pdf"])
    start, end = text.index("Results"), text.index("Discussion")
    section = text[start:end].replace("\r", "")
    values = set()
    data = P.paper_values(_load(built.results), REFS,
                          {n: {"path": "", "width_mm": 85.0} for n in REFS["fig"]})
    for forms in data["n"].values():
        values.update(forms)
    for t in data["tab"].values():
        for row in t["rows"]:
            for c in row["cells"]:
                values.update(c if isinstance(c, list) else [c])
    section = re.sub(r"^\s*\d+\s*$", " ", section, flags=re.MULTILINE)          # page numbers
    section = re.sub(r"\b\d+(\.\d+)*\.\s", " ", section)                          # section numbers 3.1.
    section = re.sub(r"(Figure|Table)\s+\d+", " ", section)                      # figure/table numbers
    section = re.sub(r"\[\d+\]", " ", section)                                    # citations
    section = section.replace("95%", " ").replace("95 %", " ")                    # CI level
    tokens = re.findall(r"[\u2212-]?\d+(?:\.\d+)?", section)
    stray = [t for t in tokens if t not in values and t.replace("-", "\u2212") not in values]
    assert tokens, "no numbers found in the results section"
    assert stray == [], f"numbers in the Results section with no claim behind them: {stray[:10]}"


def test_template_results_section_has_no_literal_digits():
    assert P.literal_digits(P.results_section(TEXT)) == []


def test_literal_digit_is_found():
    assert P.literal_digits('consistency 0.93 and #n("qca.path1.inclS")') == ["cy 0.93 an"]


def test_a_missing_claim_is_named(tmp_path):
    results, figures = tmp_path / "results", tmp_path / "figures"
    _record_claims(results, figures, skip={"regression.kappa", "qca.solution"})
    with pytest.raises(InputError, match=r"regression\.kappa") as err:
        P.build_paper(results, figures, tmp_path / "build")
    assert "qca.solution" in str(err.value)
    assert not (tmp_path / "build" / "paper.pdf").exists()


def test_wrong_kind_is_reported():
    claims = {"a": {"kind": "text"}}
    assert "expects a number" in P.check_template('#n("a")', claims)[0]


def test_provenance_lists_each_figure_and_table_with_stage_and_notebook(built):
    from analysis.io import read_json

    prov = read_json(built.out1["provenance"])
    claims = {p["claim"] for p in prov}
    assert claims == REFS["fig"] | REFS["tab"] | REFS["col"]
    for p in prov:
        assert p["stage"] == STAGE_OF[p["claim"].split(".", 1)[0]]     # the stage that recorded it
        assert p["stage"] == "figures" if p["item"] == "figure" else p["stage"] != "figures"
        if p["item"] == "figure":
            assert p["output_sha256"] and len(p["data_sha256"]) == 64


def test_paper_stage_builds_into_run_paper(built, tmp_path):
    run = SimpleNamespace(results=built.results, figures=built.figures, paper=tmp_path / "paper",
                          state_file=tmp_path / ".pipeline" / "state.json")
    out = P.paper_stage(run, seed=1, outcome="sustain12")
    assert out["pdf"] == tmp_path / "paper" / "build" / "paper.pdf"
    assert out["pdf"].read_bytes() == built.out1["pdf"].read_bytes()


def test_format_number():
    assert P.format_number(0.125, 2) == "0.12"          # half to even on the binary value
    assert P.format_number(-0.0004, 3) == "0.000"       # no minus on a zero
    assert P.format_number(float("nan"), 2) == "NA"


# --------------------------------------------------------------------------- conditional text (#when / #unless)


def _html_text(path: Path) -> str:
    text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", text)


def test_guarded_lookups_are_required_only_when_shown():
    text = 'a #when("g")[#n("x") [nested] #unless("h")[#n("y")]] #unless("g")[#s("z")] #n("w")'
    assert P.check_template(text, {"w": {"kind": "number"}, "z": {"kind": "text"}}) == []
    problems = P.check_template(text, {"g": {"kind": "text"}, "w": {"kind": "number"}})
    assert problems == ['#n("x"): no claim \'x\' recorded', '#n("y"): no claim \'y\' recorded']
    assert P.template_references(text, {"g": {}, "h": {}})["n"] == {"x", "w"}


def test_col_of_a_missing_column_is_reported():
    claims = {"t": {"kind": "table", "value": {"columns": ["a", "b"]}}}
    assert "has no column 'c'" in P.check_template('#col("t", "c")', claims)[0]
    assert P.check_template('#col("t", "b")', claims) == []


def test_unclosed_guard_and_guarded_figure_are_input_errors():
    with pytest.raises(InputError, match="line 2: the \\[ opened here is never closed"):
        P.guarded_blocks('x\n#when("a")[b [c]')
    with pytest.raises(InputError, match="inside a when/unless block"):
        P.hidden_values('#when("a")[#fig("f", [c])]', {})


def test_paper_without_a_solution_says_so(tmp_path):
    """Cut-offs that leave no truth-table row positive: no paths, the paper states it (no missing claim)."""
    solved_only = {"qca.path1.expression", "qca.path2.expression"}
    results, figures = tmp_path / "results", tmp_path / "figures"
    _record_claims(results, figures, skip=solved_only)
    out = P.build_paper(results, figures, tmp_path / "build")
    text = _html_text(out["html"])
    assert "No solution at incl_cut =" in text and "n_cut =" in text
    assert "The intermediate solution is" not in text and "unique coverages" not in text
    assert "qca.table.solution" not in {p["claim"] for p in read_json(out["provenance"])}


def test_paper_for_a_continuous_outcome_has_no_odds_ratios(tmp_path):
    """A change score (wellbeing): linear GEE and WLS instead of odds ratios and the fractional logit."""
    logit_only = {n for n in set().union(*REFS.values()) | GUARDS
                  if ".odds_ratio" in n or n.startswith("regression.fractional_logit.")
                  or n == "regression.icc.mixed_logit"}
    results, figures = tmp_path / "results", tmp_path / "figures"
    _record_claims(results, figures, skip=logit_only)
    text = _html_text(P.build_paper(results, figures, tmp_path / "build")["html"])
    assert "the linear GEE with an exchangeable working correlation" in text
    assert "weighted least-squares model" in text
    assert "odds ratios" not in text and "quasi-F" not in text


def test_unique_coverages_list_every_path(built):
    text = _html_text(built.out1["html"])
    covu = [P.format_number(v / 7, 2) for v in (3, 7, 11)]       # column covU of the made-up table
    assert f"the unique coverages are {covu[0]}, {covu[1]} and {covu[2]}." in text


def test_single_path_solution_has_no_list_of_unique_coverages(tmp_path):
    results, figures = tmp_path / "results", tmp_path / "figures"
    _record_claims(results, figures, skip={"qca.path2.expression"})
    f = results / "claims" / "qca.json"
    doc = json.loads(f.read_text())
    enc = doc["claims"]["qca.table.solution"]["value"]
    enc["index"], enc["data"] = enc["index"][:1], enc["data"][:1]
    f.write_text(json.dumps(doc))
    text = _html_text(P.build_paper(results, figures, tmp_path / "build")["html"])
    assert "The solution is a single path" in text and "unique coverages" not in text

"""Every claim the paper uses is recorded by the stage that computed it, and `trace` resolves it.

Checked on the published lock (``results/claims.lock.json``, tracked), so the
test needs no run: each lookup of ``paper/paper.typ`` and each figure is
traced to its stage, notebook and cell, and to a label the paper defines.
"""

from __future__ import annotations

import re

import pytest

from analysis import claims as cl
from analysis import config
from analysis import paper as P
from analysis.cli import main as cli_main
from analysis.io import read_json
from analysis.nbcells import code_cells
from analysis.pipeline import STAGES

TEXT = P.TEMPLATE.read_text(encoding="utf-8")
LOCK = read_json(cl.LOCK_FILE)
CLAIMS = cl.load_claims_file(cl.LOCK_FILE)
#: Every lookup of the template, those of #when / #unless blocks the default run hides included.
ALL_REFS = P.template_references(TEXT)
#: The lookups of the default run's paper (the blocks the locked claims show).
REFS = P.template_references(TEXT, CLAIMS)
USED = sorted(set().union(*REFS.values()))
#: Claim name prefix -> the stage that records it.
PREFIX_STAGE = {"psychometrics": "psychometrics", "calibration": "calibration", "qca": "qca",
                "regression": "regression", "figures": "figures"}
NOTEBOOK = {s.name: f"notebooks/{s.notebook}" for s in STAGES if s.notebook}
LABELS = set(re.findall(r"<([a-z0-9:_-]+)>", TEXT))


def _stage_of(name: str) -> str:
    return PREFIX_STAGE[name.split(".", 1)[0]]


def test_every_lookup_is_named_after_a_stage_and_figures_only_hold_figures():
    every = set().union(*ALL_REFS.values()) | P.guard_names(TEXT)
    for name in every:
        assert name.split(".", 1)[0] in PREFIX_STAGE, name
    assert {n for n in every if n.startswith("figures.")} == ALL_REFS["fig"] == REFS["fig"]
    assert all(n.startswith("figures.fig.") for n in REFS["fig"])
    # stage 06 records figures only: no number, text or table duplicated from stages 02-05
    assert {r["kind"] for r in CLAIMS.values() if r["stage"] == "figures"} == {"figure"}


def test_every_stage_that_computes_results_records_claims():
    stages = {r["stage"] for r in CLAIMS.values()}
    assert stages == {"psychometrics", "calibration", "qca", "regression", "figures"}
    for stage in stages - {"figures"}:
        assert f"{{results}}/claims/{stage}.json" in next(s for s in STAGES if s.name == stage).outputs
    paper = next(s for s in STAGES if s.name == "paper")
    assert {f"{{results}}/claims/{s}.json" for s in stages} <= set(paper.inputs)


@pytest.mark.parametrize("name", USED)
def test_lookup_is_locked_by_its_stage_in_its_notebook_cell(name):
    rec = CLAIMS.get(name)
    assert rec is not None, f"{name} is looked up by the paper but not in the lock"
    stage = _stage_of(name)
    assert rec["stage"] == stage and rec["notebook"] == NOTEBOOK[stage]
    cells = dict(code_cells(config.project_path(rec["notebook"])))
    assert rec["cell"] in cells, f"{name}: cell {rec['cell']} not in {rec['notebook']}"
    assert rec["label"] in LABELS, f"{name}: label {rec['label']!r} is not a label of paper.typ"


@pytest.mark.parametrize("name", USED + sorted(n for n in CLAIMS if n.startswith("figures.fig.")))
def test_trace_resolves_the_claim_to_its_stage_notebook_and_cell(name):
    rec = CLAIMS[name]
    lines = cl.trace(name, CLAIMS, LOCK)
    text = "\n".join(lines)
    assert lines[0].startswith(f"{rec['kind']} {name} = ")
    assert f"  stage: {rec['stage']}, notebook {NOTEBOOK[rec['stage']]}, cell {rec['cell']}" in lines
    assert f"  output: results/claims/{rec['stage']}.json" in text
    assert lines[-1] == f"  paper label: {rec['label']}"
    if rec["kind"] == "figure":
        assert cl.trace(rec["path"], CLAIMS, LOCK) == lines       # a figure by its file too


@pytest.mark.parametrize("name,stage", [("psychometrics.alpha.rpq", "psychometrics"),
                                        ("calibration.anchors", "calibration"),
                                        ("qca.solution", "qca"), ("regression.kappa", "regression"),
                                        ("figures.fig.xy", "figures")])
def test_trace_command_names_the_stage_that_made_the_claim(name, stage, capsys):
    assert cli_main(["trace", name]) == 0
    out = capsys.readouterr().out
    assert f"  stage: {stage}, notebook {NOTEBOOK[stage]}, cell " in out

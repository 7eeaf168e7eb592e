"""Stage 02 (notebook ``02_psychometrics.ipynb``): scores, reliability, CFA and correlations of the staff scales.

The stage contract of :mod:`analysis.stages`: :func:`run` computes a
:class:`PsychometricsResult` from the staff table and the codebooks,
:func:`write` writes ``scores.csv`` and ``results/psychometrics/``, and
:func:`claim_values` gives the claims the paper prints. The computation is
the engine's (:mod:`analysis.psychometrics`); the scales the paper reports
are :data:`analysis.study.SCALES`.

The display helpers (:data:`TABLE1_COLUMNS`, :data:`CFA_FIT_COLUMNS`,
:func:`category_counts`, :func:`claims_overview`)
let the notebook show the result with calls only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import psychometrics as P
from analysis.errors import InputError
from analysis.io import write_csv, write_json
from analysis.study import SCALES

__all__ = ["PsychometricsResult", "run", "write", "claim_values", "OPTIMIZER_DECIMALS", "CLAIM_TABLE1_COLUMNS",
           "TABLE1_COLUMNS", "CFA_FIT_COLUMNS", "category_counts", "claims_overview"]

#: Decimals kept when writing results of iterative optimisers (see :func:`write`).
OPTIMIZER_DECIMALS = 6

#: Table 1 columns the paper prints.
CLAIM_TABLE1_COLUMNS: tuple[str, ...] = ("n", "k", "mean", "sd", "alpha", "alpha_ci_low", "alpha_ci_high",
                                         "omega_total", "published_alpha")
#: Table 1 columns the notebook shows.
TABLE1_COLUMNS: tuple[str, ...] = (
    "scale", "n", "k", "mean", "sd", "median", "min", "max", "possible_min", "possible_max", "floor_pct",
    "ceiling_pct", "n_complete", "alpha", "alpha_ci_low", "alpha_ci_high", "std_alpha", "omega_total",
    "published_alpha")
#: CFA fit columns the notebook shows.
CFA_FIT_COLUMNS: tuple[str, ...] = ("scale", "model", "n", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                                    "rmsea_ci_low", "rmsea_ci_high", "srmr", "omega_total", "converged")
#: Where the paper shows a claim of this stage (typst labels of paper/paper.typ).
_SECTION = "sec-measures"
#: Claims the paper prints in :data:`_SECTION` (the others are recorded for replicators).
_SHOWN = frozenset({"alpha.rpq", "alpha_ci_low.rpq", "alpha_ci_high.rpq", "alpha.gse", "alpha.iis"})
_SHOWN_R = frozenset({("gse", "rpq"), ("gse", "iis"), ("iis", "rpq")})


@dataclass(frozen=True)
class PsychometricsResult:
    """Everything stage 02 computes from the staff table."""

    scores: pd.DataFrame
    table1: pd.DataFrame
    items: pd.DataFrame
    cfa_fit: pd.DataFrame
    cfa_loadings: pd.DataFrame
    correlations: pd.DataFrame
    reliabilities: tuple[P.Reliability, ...] = field(repr=False)
    sbw_definition: str = ""


def run(staff: pd.DataFrame, codebooks: Any, *, file: str | None = None) -> PsychometricsResult:
    """Scores, Table 1, item analysis, CFA fits and inter-scale correlations of the staff table.

    *codebooks*: the instrument codebooks (``analysis.codebook.all_codebooks()``,
    a list or a mapping); *file* names the staff table in error messages. See
    :func:`analysis.psychometrics.score_all`, ``scale_reliabilities``,
    ``descriptives_table``, ``codebook_cfas`` and ``interscale_correlations``.
    Table 1 carries the codebook's published alpha beside the sample's.
    """
    cbs = P.as_codebook_list(codebooks)
    scores = P.score_all(staff, cbs, file=file)
    rels = tuple(P.scale_reliabilities(staff, cbs))
    table1 = P.descriptives_table(scores, cbs, rels)
    published = {}
    for cb in cbs:
        pub = P.codebook_value(cb, "published_reliability") or {}
        published[P.codebook_id(cb)] = P.codebook_value(pub, "alpha")
    table1["published_alpha"] = [
        float(published[s]) if published.get(s) is not None else float("nan")
        for s in table1["scale"]]
    fits = P.codebook_cfas(staff, cbs)
    cfa_fit = P.cfa_table(fits)
    loadings = pd.concat(
        [f.loadings.assign(scale=f.name, model=f.model_label) for f in fits],
        ignore_index=True) if fits else pd.DataFrame()
    if not loadings.empty:
        loadings = loadings[["scale", "model", "factor", "item", "estimate", "std_estimate"]]
    main_scales = [c for c in (P.codebook_id(cb) for cb in cbs) if c in scores.columns]
    correlations = P.interscale_correlations(scores, main_scales)
    composite = next((P.codebook_id(cb) for cb in cbs
                      if P.codebook_value(P.codebook_scoring(cb), "rule") == "composite"), None)
    return PsychometricsResult(
        scores=scores, table1=table1, items=P.item_analysis_table(rels), cfa_fit=cfa_fit,
        cfa_loadings=loadings, correlations=correlations, reliabilities=rels,
        sbw_definition=P.sbw_definition(cbs, composite) if composite else "")


def _rounded(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    df = df.copy()
    for col in columns:
        if col in df.columns and df[col].dtype.kind == "f":
            df[col] = df[col].round(OPTIMIZER_DECIMALS)
    return df


def write(result: PsychometricsResult, dirs: Mapping[str, str | Path]) -> list[Path]:
    """Write ``scores.csv`` to ``dirs["processed"]`` and the stage's tables to ``dirs["results"]/psychometrics``.

    Files in ``psychometrics/``: cfa_loadings.csv,
    table1_descriptives_reliability.csv, item_analysis.csv,
    interscale_correlations.csv, cfa_fit.csv and psychometrics.json with all
    of them, the SBW definition and the CFA caveat. Atomic, deterministic
    writes (``analysis.io``); returns the paths written. Values that come from
    iterative optimisers (CFA estimates and fit statistics, minres omega) are
    written to OPTIMIZER_DECIMALS decimals: the optimisers' tolerances make
    later digits noise, which can differ in the last bit between BLAS builds
    or thread settings and would break byte-identical reruns.
    """
    missing = [k for k in ("processed", "results") if k not in dirs]
    if missing:
        raise InputError(f"write: dirs lacks {missing} (expected raw, processed, results, figures)")
    cfa_fit = _rounded(result.cfa_fit, [c for c in result.cfa_fit.columns if c != "n"])
    loadings = _rounded(result.cfa_loadings, ["estimate", "std_estimate"])
    table1 = _rounded(result.table1, ["omega_total"])
    out = [write_csv(result.scores, Path(dirs["processed"]) / "scores.csv")]
    rdir = Path(dirs["results"]) / "psychometrics"
    out += [
        write_csv(loadings, rdir / "cfa_loadings.csv"),
        write_csv(table1, rdir / "table1_descriptives_reliability.csv"),
        write_csv(result.items, rdir / "item_analysis.csv"),
        write_csv(result.correlations, rdir / "interscale_correlations.csv"),
        write_csv(cfa_fit, rdir / "cfa_fit.csv"),
    ]
    payload: dict[str, Any] = {"table1": table1, "item_analysis": result.items,
                               "interscale_correlations": result.correlations, "cfa_fit": cfa_fit,
                               "sbw_definition": result.sbw_definition, "cfa_caveat": P.N_CAVEAT,
                               "cfa_loadings": loadings}
    out.append(write_json(payload, rdir / "psychometrics.json"))
    return out


def claim_values(result: PsychometricsResult) -> dict[str, tuple[Any, str | None]]:
    """The results of stage 02 that the paper prints or a replicator checks: name -> (value, label).

    Read from *result* (no computation): per scale of
    :data:`analysis.study.SCALES` in Table 1, ``psychometrics.alpha.<scale>``
    (Cronbach's alpha), ``.alpha_ci_low/.alpha_ci_high`` (Feldt 95 % CI),
    ``.omega.<scale>`` (McDonald's omega total, to OPTIMIZER_DECIMALS as
    written) and ``.n.<scale>``; ``psychometrics.r.<X>.<Y>`` per pair of
    scales (Pearson r); ``psychometrics.table.reliability`` (the printed
    Table 1) and ``psychometrics.n_workers``. The label is the paper's
    section or table where the value appears (None when the paper does not
    print it). NaN values (e.g. alpha of the composite) are left out, except
    in the table.
    """
    t1 = result.table1.copy()
    if "omega_total" in t1.columns:
        t1["omega_total"] = t1["omega_total"].astype(float).round(OPTIMIZER_DECIMALS)
    t1 = t1.set_index("scale")
    out: dict[str, tuple[Any, str | None]] = {}
    scales = [s for s in SCALES if s in t1.index]
    for s in scales:
        for col, key in (("alpha", "alpha"), ("alpha_ci_low", "alpha_ci_low"), ("alpha_ci_high", "alpha_ci_high"),
                         ("omega_total", "omega")):
            if col in t1.columns and not math.isnan(float(t1.at[s, col])):
                out[f"psychometrics.{key}.{s}"] = (float(t1.at[s, col]),
                                                   _SECTION if f"{key}.{s}" in _SHOWN else None)
        out[f"psychometrics.n.{s}"] = (int(t1.at[s, "n"]), None)
    for _, r in result.correlations.iterrows():
        shown_r = (str(r["X"]), str(r["Y"])) in _SHOWN_R
        out[f"psychometrics.r.{r['X']}.{r['Y']}"] = (float(r["r"]), _SECTION if shown_r else None)
    cols = [c for c in CLAIM_TABLE1_COLUMNS if c in t1.columns]
    out["psychometrics.table.reliability"] = (t1.loc[scales, cols], "tab-reliability")
    out["psychometrics.n_workers"] = (int(len(result.scores)), None)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- display helpers of the notebook

def category_counts(result: PsychometricsResult, codebook: Any) -> pd.Series:
    """Workers per category of a scale with categories (IIS adopters), highest category first.

    Examples
    --------
    >>> cb = {"id": "x", "categories": [{"label": "low"}, {"label": "high"}]}
    >>> r = PsychometricsResult(pd.DataFrame({"x_category": ["low", "low"]}), *[pd.DataFrame()] * 5, ())
    >>> category_counts(r, cb).to_dict()
    {'high': 0, 'low': 2}
    """
    cid = P.codebook_id(codebook)
    labels = [str(P.codebook_value(c, "label")) for c in P.codebook_value(codebook, "categories") or []]
    return result.scores[f"{cid}_category"].value_counts().reindex(labels[::-1], fill_value=0)


def claims_overview(values: Mapping[str, Any]) -> str:
    """One line per recorded claim, its name and value (a table as its shape), for display.

    Examples
    --------
    >>> print(claims_overview({"a.x": 0.123456, "a.t": pd.DataFrame({"v": [1, 2]})}))
      a.x                                          0.1235
      a.t                                          table 2 x 1
    """
    def shown(v: Any) -> str:
        if isinstance(v, str):
            return v
        if hasattr(v, "shape"):
            return f"table {v.shape[0]} x {v.shape[1]}"
        return f"{v:.4g}"

    return "\n".join(f"  {name:44s} {shown(v)}" for name, v in values.items())

"""Stage 05 in one call: fit every model for one outcome and write the tables.

Inputs: ``processed_dir/staff.csv`` (+ ``scores.csv``), ``raw_dir/participants.csv``
and, for the comparison, ``processed_dir/calibrated.csv``. Outputs go to
``results_dir/regression/<outcome>/`` as CSV + Markdown pairs and a
``summary.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.study import PUBLISHED
from analysis.io import round_frame, round_sig, write_json
from analysis.regression import compare, diagnostics, participant, worker
from analysis.regression.data import (load_participants, load_worker_table, participant_frame,
                                      worker_frame)
from analysis.regression.specs import (FORMULAS, MAIN_CONDITIONS, PARTICIPANT_FORMULA,
                                       outcome_spec)
from analysis.regression.tables import write_table

#: The published QCA solution for SUSTAIN12 (:data:`analysis.study.PUBLISHED`), used when no other is given.
PUBLISHED_SOLUTION: str = PUBLISHED


def run_regression(outcome: str = "sustain12", *, processed_dir: str | Path,
                   raw_dir: str | Path, results_dir: str | Path | None = None,
                   solution: str | Sequence[str] = PUBLISHED_SOLUTION,
                   threshold: float | None = None, seed: int = 0,
                   calibrated_file: str = "calibrated.csv") -> dict[str, object]:
    """Fit the worker- and participant-level models for *outcome*, compare with QCA, write tables.

    threshold: predicted rate above which the model "predicts a high outcome";
    None uses the median observed rate (state the calibration crossover here
    to match the QCA outcome set). Returns a dict of DataFrames (and the
    ``summary`` dict); writes them when *results_dir* is given.
    """
    spec = outcome_spec(outcome)
    processed_dir, raw_dir = Path(processed_dir), Path(raw_dir)
    workers = load_worker_table(processed_dir)
    frame, dropped = worker_frame(workers, spec, file=str(processed_dir / "staff.csv"))
    if len(frame) < 10:
        raise InputError(f"only {len(frame)} workers have {spec.rate} and all conditions; "
                         "at least 10 are needed")
    binary = spec.kind == "binomial"
    ols = worker.fit_worker_models(frame, family="ols")
    second = worker.fit_worker_models(frame, family="binomial" if binary else "wls")
    second_name = "fractional_logit" if binary else "wls"
    coefs = pd.concat([worker.coef_table(ols).assign(family="ols_hc3"),
                       worker.coef_table(second).assign(family=second_name)], ignore_index=True)
    fit = pd.concat([worker.fit_summary(ols).assign(family="ols_hc3"),
                     worker.fit_summary(second).assign(family=second_name)], ignore_index=True)
    lrt = pd.concat([worker.lr_table(ols).assign(family="ols_hc3"),
                     worker.lr_table(second).assign(family=second_name)], ignore_index=True)
    tables: dict[str, object] = {
        "worker_coefficients": _front(coefs, ["family"]),
        "worker_fit": _front(fit, ["family"]),
        "worker_lr_tests": _front(lrt, ["family"]),
        "dropped_workers": dropped,
        "vif": diagnostics.vif_table(frame, list(MAIN_CONDITIONS)),
        "influence": diagnostics.influence_table(ols["main"], frame["staff_id"]),
        "residuals": diagnostics.residuals_table(second["main"], frame["staff_id"]),
        "power": diagnostics.power_table(ols["main"]),
    }

    participants = load_participants(raw_dir)
    pframe = participant_frame(participants, frame, spec, file=str(raw_dir / "participants.csv"))
    pfits = participant.fit_participant_models(pframe, binary=binary, seed=seed,
                                               formula=PARTICIPANT_FORMULA)
    tables["participant_coefficients"] = participant.participant_coef_table(pfits)
    tables["icc"] = participant.icc_table(pframe, pfits)

    predicted = pd.DataFrame({"staff_id": frame["staff_id"],
                              "predicted": np.asarray(second["main"].fittedvalues)})
    thr = float(frame["y"].median()) if threshold is None else float(threshold)
    summary: dict[str, object] = {
        "outcome": spec.name, "label": spec.label, "rate_column": spec.rate,
        "weights_column": spec.denominator, "n_workers": int(len(frame)),
        "n_workers_dropped": int(len(dropped)), "n_participants": int(len(pframe)),
        "n_participants_excluded": int(len(participants) - len(pframe)),
        "formulas": dict(FORMULAS), "participant_formula": PARTICIPANT_FORMULA,
        "threshold": thr, "threshold_rule": "median observed rate" if threshold is None
        else "given", "seed": seed, "models_fitted": sorted(ols),
    }
    cal_path = processed_dir / calibrated_file
    if cal_path.is_file():
        cal = pd.read_csv(cal_path)
        mem = compare.solution_memberships(cal, solution)
        out_mem = cal[spec.qca_name] if spec.qca_name in cal.columns else None
        classified = compare.classify_workers(mem, predicted, threshold=thr,
                                              outcome_membership=out_mem)
        tables["comparison_workers"] = classified
        tables["comparison_crosstab"] = compare.agreement_table(classified)
        if out_mem is not None:
            tables["comparison_accounts_for"] = compare.accounts_for(classified)
        summary["agreement"] = compare.agreement_summary(classified)
        summary["solution"] = compare.split_solution(solution)
    else:
        summary["comparison"] = f"skipped: {calibrated_file} not found"
    # what depends on BLAS or an optimiser is rounded as it is written, before
    # anything is plotted, displayed or recorded from it
    tables = {k: round_frame(v) if isinstance(v, pd.DataFrame) else v for k, v in tables.items()}
    _round_variational(tables)
    tables["summary"] = summary
    if results_dir is not None:
        write_outputs(tables, Path(results_dir) / "regression" / spec.name)
    return tables


#: Significant digits of the variational-Bayes mixed logit's results. Its optimiser
#: stops about 1e-9 (relative) from the optimum, at a point that depends on the
#: BLAS kernel and thread count; seven digits keep the claims within their tolerance
#: (relative 1e-6) and make a change in print from that noise unlikely.
VB_DIGITS = 7


def _round_variational(tables: dict[str, object]) -> None:
    """Round the mixed logit's rows of the participant tables to :data:`VB_DIGITS` (in place)."""
    for name, key in (("participant_coefficients", "model"), ("icc", "method")):
        df = tables.get(name)
        if not isinstance(df, pd.DataFrame) or key not in df:
            continue
        rows = df[key] == "mixed_logit"
        for col in df.columns:
            if pd.api.types.is_float_dtype(df[col].dtype):
                df.loc[rows, col] = df.loc[rows, col].map(
                    lambda v: round_sig(float(v), VB_DIGITS) if pd.notna(v) else v)


def _front(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[cols + [c for c in df.columns if c not in cols]]


def write_outputs(tables: dict[str, object], directory: str | Path) -> list[Path]:
    """Write each DataFrame as CSV + Markdown (crosstab with its row labels) and the summary as JSON."""
    directory = Path(directory)
    written: list[Path] = []
    for name, obj in tables.items():
        if isinstance(obj, pd.DataFrame):
            written.extend(write_table(obj, directory, name, index=name == "comparison_crosstab"))
    if "summary" in tables:
        written.append(write_json(tables["summary"], directory / "summary.json"))
    return written


# --------------------------------------------------------------------------- claims for the paper

#: Labels (paper/paper.typ) of the section or table where the paper shows each stage-05 claim.
_LABELS: dict[str, str] = {
    "regression.n_workers": "sec-regression", "regression.n_participants": "sec-regression",
    "regression.agreement": "sec-regression", "regression.kappa": "sec-regression",
    "regression.table.coefficients": "tab-coefficients",
    **{f"regression.category.{c}": "sec-regression" for c in ("both", "neither", "model_only", "QCA_only")},
    **{f"regression.ols_hc3.LONGMEET.{c}": "sec-regression" for c in ("estimate", "ci_low", "ci_high")},
    "regression.ols_hc3.INNOV.estimate": "sec-regression", "regression.ols_hc3.SBW.estimate": "sec-regression",
    **{f"regression.gee.{t}.{c}": "sec-regression" for t in MAIN_CONDITIONS
       for c in ("odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high")},
    "regression.icc.anova": "sec-regression", "regression.icc.mixed_logit": "sec-regression",
    **{f"regression.fractional_logit.three_way_vs_main.{c}": "sec-regression"
       for c in ("lr", "df", "f_quasi")},
    "regression.fractional_logit.main.dispersion": "sec-regression",
    "regression.fractional_logit.three_way_vs_main.p_value_quasi_text": "sec-regression",
    **{f"regression.power.{t}.power": "sec-regression" for t in MAIN_CONDITIONS},
    # a continuous outcome (a change score): the paper prints these instead of the fractional logit's
    "regression.icc.mixed_linear": "sec-regression",
    **{f"regression.wls.three_way_vs_main.{c}": "sec-regression" for c in ("lr", "df", "p_value")},
}
#: Labels the paper gives only for a continuous outcome, where the linear GEE's estimates are printed
#: (for a proportion they are recorded too, but the paper prints their odds ratios).
_CONTINUOUS_LABELS: dict[str, str] = {
    f"regression.gee.{t}.{c}": "sec-regression" for t in MAIN_CONDITIONS for c in ("estimate", "ci_low", "ci_high")}

#: Columns of ``worker_lr_tests`` recorded for the three-way interaction model against the main model.
_LR_COLUMNS: tuple[str, ...] = ("lr", "df", "p_value", "f_quasi", "p_value_quasi")


def claim_values(tables: dict[str, object]) -> dict[str, tuple[object, str | None]]:
    """Stage 05's results the paper prints or a replicator checks: name -> (value, label in the paper).

    Read from the tables of :func:`run_regression`, nothing recomputed: for
    each family of the worker-level main model and each condition,
    ``regression.<family>.<term>.estimate|ci_low|ci_high|p_value`` and the
    table ``regression.table.coefficients`` (estimate, SE, CI, p); the R² of
    the OLS main model; the numbers of workers and participants; the
    threshold for a high predicted rate, the agreement and Cohen's kappa
    between the QCA solution and the model, and the number of workers in each
    category (``regression.category.both|neither|model_only|QCA_only``).

    Participant level: the exchangeable GEE's ``regression.gee.<term>.estimate|
    ci_low|ci_high|p_value`` and, for a binary outcome (logit link), its odds
    ratios ``regression.gee.<term>.odds_ratio|odds_ratio_ci_low|odds_ratio_ci_high``
    = exp(estimate), exp(ci_low), exp(ci_high); the ICC of each method
    ``regression.icc.<method>`` (``anova``: response scale, unconditional;
    ``mixed_logit``: latent scale). Worker level: the test of the three-way
    interaction model against the main-effects model,
    ``regression.<family>.three_way_vs_main.lr|df|p_value|f_quasi|p_value_quasi``
    (the quasi-F only for the fractional logit, with its p as printed,
    ``...p_value_quasi_text``, see :func:`p_value_text`), the main model's dispersion
    ``regression.fractional_logit.main.dispersion`` (Pearson chi2 / df_resid) and,
    per condition, the power at the study's N and the N for 80% power
    ``regression.power.<term>.power|n_for_power``.
    """
    out: dict[str, object] = {}
    co = tables["worker_coefficients"]
    main = co[(co["model"] == "main") & (co["term"] != "Intercept")]
    for _, r in main.iterrows():
        for col in ("estimate", "ci_low", "ci_high", "p_value"):
            if col in r:
                out[f"regression.{r['family']}.{r['term']}.{col}"] = float(r[col])
    tab = main[["family", "term", "estimate", "std_error", "ci_low", "ci_high", "p_value"]].copy()
    tab.index = pd.Index(tab["family"].astype(str) + ": " + tab["term"].astype(str))
    out["regression.table.coefficients"] = tab.drop(columns=["family", "term"]).astype(float)
    fit = tables.get("worker_fit")
    if isinstance(fit, pd.DataFrame) and "r2" in fit.columns:
        ols_main = fit[(fit["family"] == "ols_hc3") & (fit["model"] == "main")]
        if len(ols_main):
            out["regression.ols_hc3.main.r2"] = float(ols_main["r2"].iloc[0])
    out.update(_participant_claims(tables))
    out.update(_interaction_claims(tables))
    power = tables.get("power")
    if isinstance(power, pd.DataFrame):
        for _, r in power.iterrows():
            out[f"regression.power.{r['term']}.power"] = float(r["power"])
            out[f"regression.power.{r['term']}.n_for_power"] = float(r["n_for_power"])
    summary = tables["summary"]
    out["regression.n_workers"] = int(summary["n_workers"])
    out["regression.n_participants"] = int(summary["n_participants"])
    out["regression.threshold"] = float(summary["threshold"])
    for k in ("agreement", "kappa"):
        if k in (summary.get("agreement") or {}):
            out[f"regression.{k}"] = float(summary["agreement"][k])
    if "comparison_workers" in tables:
        cat = tables["comparison_workers"]["category"].astype(str)
        for c in ("both", "model only", "QCA only", "neither"):
            out[f"regression.category.{c.replace(' ', '_')}"] = int((cat == c).sum())
    binary = any(name.endswith(".odds_ratio") for name in out)
    labels = _LABELS if binary else {**_LABELS, **_CONTINUOUS_LABELS}
    return {name: (value, labels.get(name)) for name, value in sorted(out.items())}


def p_value_text(p: float, *, digits: int = 3) -> str:
    """A p-value as printed: ``"= 0.042"``, or ``"< 0.001"`` below the smallest value *digits* decimals show.

    Print convention of APA (7th ed., sect. 6.36): exact p to *digits* decimals, none printed as zero.

    >>> p_value_text(0.04213), p_value_text(4.4e-06), p_value_text(0.0004999, digits=3)
    ('= 0.042', '< 0.001', '< 0.001')
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise InputError(f"p-value {p!r} is not in [0, 1]")
    floor = 10.0 ** -digits
    if p < floor:
        return f"< {floor:.{digits}f}"
    text = f"{p:.{digits}f}"
    return f"= {text}" if float(text) > 0 else f"< {floor:.{digits}f}"


def _participant_claims(tables: dict[str, object]) -> dict[str, float]:
    """GEE estimates (and odds ratios for a binary outcome) and ICCs, read from the stage tables."""
    out: dict[str, float] = {}
    pc = tables.get("participant_coefficients")
    if isinstance(pc, pd.DataFrame):
        binary = bool((pc["model"] == "mixed_logit").any())
        gee = pc[(pc["model"] == "gee") & (pc["term"] != "Intercept")]
        for _, r in gee.iterrows():
            for col in ("estimate", "ci_low", "ci_high", "p_value"):
                out[f"regression.gee.{r['term']}.{col}"] = float(r[col])
            if binary:
                out[f"regression.gee.{r['term']}.odds_ratio"] = float(np.exp(r["estimate"]))
                out[f"regression.gee.{r['term']}.odds_ratio_ci_low"] = float(np.exp(r["ci_low"]))
                out[f"regression.gee.{r['term']}.odds_ratio_ci_high"] = float(np.exp(r["ci_high"]))
    icc = tables.get("icc")
    if isinstance(icc, pd.DataFrame):
        for _, r in icc.iterrows():
            out[f"regression.icc.{r['method']}"] = float(r["icc"])
    return out


def _interaction_claims(tables: dict[str, object]) -> dict[str, object]:
    """The three-way model against the main-effects model (per family) and the main model's dispersion."""
    out: dict[str, object] = {}
    lrt = tables.get("worker_lr_tests")
    if isinstance(lrt, pd.DataFrame):
        rows = lrt[(lrt["smaller"] == "main") & (lrt["larger"] == "three_way")]
        for _, r in rows.iterrows():
            for col in _LR_COLUMNS:
                if col in r and pd.notna(r[col]):
                    out[f"regression.{r['family']}.three_way_vs_main.{col}"] = float(r[col])
            if "p_value_quasi" in r and pd.notna(r["p_value_quasi"]):
                out[f"regression.{r['family']}.three_way_vs_main.p_value_quasi_text"] = \
                    p_value_text(float(r["p_value_quasi"]))
    fit = tables.get("worker_fit")
    if isinstance(fit, pd.DataFrame) and "dispersion" in fit.columns:
        rows = fit[(fit["family"] == "fractional_logit") & (fit["model"] == "main")]
        if len(rows) and pd.notna(rows["dispersion"].iloc[0]):
            out["regression.fractional_logit.main.dispersion"] = float(rows["dispersion"].iloc[0])
    return out


def record_claims(claims: object, tables: dict[str, object]) -> dict[str, object]:
    """Record :func:`claim_values` with *claims* (an :class:`analysis.claims.ClaimRecorder`); name -> value."""
    return claims.record_values(claim_values(tables))

"""Figures of stage 05: QCA coverage against predicted outcome, and residuals against fitted values."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.io import atomic_write_bytes


def comparison_figure(classified: pd.DataFrame, *, threshold: float, cut: float = 0.5,
                      outcome_label: str = "outcome"):
    """Scatter of each worker's QCA solution membership (x) against the model's predicted rate (y).

    Lines at the membership cut (0.5) and the prediction threshold split the
    plot into the four categories of :func:`analysis.regression.compare.classify_workers`;
    filled markers are workers in the outcome set (when known).
    """
    for c in ("solution", "predicted"):
        if c not in classified.columns:
            raise InputError(f"comparison_figure: column {c!r} missing (use classify_workers output)")
    fig, ax = plt.subplots(figsize=(6.0, 5.2))
    x, y = classified["solution"].to_numpy(float), classified["predicted"].to_numpy(float)
    if "outcome_member" in classified.columns:
        member = classified["outcome_member"].to_numpy(bool)
        ax.scatter(x[member], y[member], s=28, color="#1b6ca8", label=f"in {outcome_label} set")
        ax.scatter(x[~member], y[~member], s=28, facecolors="none", edgecolors="#c0392b",
                   label=f"not in {outcome_label} set")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False,
                  fontsize=8)
    else:
        ax.scatter(x, y, s=28, color="#1b6ca8")
    ax.axvline(cut, color="0.4", lw=0.8, ls="--")
    ax.axhline(threshold, color="0.4", lw=0.8, ls="--")
    ymin, ymax = min(0.0, float(np.nanmin(y))), max(1.0, float(np.nanmax(y)))
    ax.set_xlim(0, 1)
    ax.set_ylim(ymin, ymax)
    for (qx, qy, text) in ((0.98, 0.98, "both"), (0.02, 0.98, "model only"),
                           (0.98, 0.02, "QCA only"), (0.02, 0.02, "neither")):
        ax.text(qx, qy, text, transform=ax.transAxes, fontsize=8, color="0.3",
                ha="right" if qx > 0.5 else "left", va="top" if qy > 0.5 else "bottom")
    ax.set_xlabel("membership in the QCA solution (max over paths)")
    ax.set_ylabel(f"predicted {outcome_label} rate (fractional logit)")
    fig.tight_layout()
    return fig


def residuals_figure(residuals: pd.DataFrame, *, title: str = "Residuals vs fitted"):
    """Pearson residuals against fitted values (from :func:`analysis.regression.diagnostics.residuals_table`)."""
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    ax.scatter(residuals["fitted"], residuals["pearson_residual"], s=22, color="#1b6ca8")
    ax.axhline(0, color="0.4", lw=0.8)
    for lim in (-2, 2):
        ax.axhline(lim, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel("fitted value")
    ax.set_ylabel("Pearson residual")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def save_figure(fig, stem: str | Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save *fig* as stem.<fmt> atomically and reproducibly (no dates; fixed SVG ids), then close it."""
    import io

    stem = Path(stem)
    written = []
    with matplotlib.rc_context({"svg.hashsalt": "sbw-compendium"}):
        for fmt in formats:
            buf = io.BytesIO()
            meta = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
            fig.savefig(buf, format=fmt, dpi=150, metadata=meta)
            written.append(atomic_write_bytes(stem.with_suffix(f".{fmt}"), buf.getvalue()))
    plt.close(fig)
    return written

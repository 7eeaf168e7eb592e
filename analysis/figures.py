"""Publication figures: one theme, one function per figure, deterministic files.

Every figure function takes DataFrames or plain values (never paths) and returns
a :class:`matplotlib.figure.Figure` of a journal width: single column 85 mm or
double column 175 mm (:data:`SINGLE_COLUMN_MM`, :data:`DOUBLE_COLUMN_MM`), text
at 7-8 pt at that printed size, colours from the Okabe-Ito palette (Okabe & Ito
2008, "Color Universal Design"), which stays distinguishable under the common
colour-vision deficiencies.

Figures are built with ``matplotlib.figure.Figure`` directly, not through
``pyplot``: no global figure registry and no backend switch are needed (saving
uses the Agg, PDF and SVG canvases), so importing this module never changes the
backend of a notebook or another library. The theme is applied with
``matplotlib.rc_context`` while a figure is built and while it is saved, so the
global ``rcParams`` are left alone.

:func:`save_figure` writes PDF, SVG and PNG (300 dpi) byte-identically on rerun:
PDF ``CreationDate`` None and a fixed ``Producer``, SVG ``Date`` None with a
fixed ``svg.hashsalt`` (the ids of clip paths and glyphs), PNG without the
``Software`` text chunk (which carries the matplotlib version).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D

from analysis.errors import InputError
from analysis.labels import LABELS  # readable names (used when no label is given)
from analysis.io import atomic_write_bytes
from analysis.stages import calibration  # stage 03's sets: outcome set name, raw values

__all__ = [
    "SINGLE_COLUMN_MM", "DOUBLE_COLUMN_MM", "PNG_DPI", "OKABE_ITO", "THEME", "FORMATS",
    "mm_to_inches", "figure_width_mm", "new_figure", "save_figure", "figure_bytes", "freeze_layout",
    "scale_distributions", "correlation_heatmap", "calibration_curves", "necessity_plot",
    "xy_plot", "xy_plots", "configuration_table", "configuration_from_chart", "configuration_chart",
    "coefficient_plot", "agreement_plot", "robustness_summary", "no_solution_panel", "no_solution_text",
    "has_solution",
]

#: Journal column widths in millimetres.
SINGLE_COLUMN_MM: float = 85.0
DOUBLE_COLUMN_MM: float = 175.0
MM_PER_INCH: float = 25.4
PNG_DPI: int = 300
FORMATS: tuple[str, ...] = ("pdf", "svg", "png")

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
_CYCLE = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple",
                                   "sky_blue", "yellow", "black")]

#: Smallest font size used anywhere (points, at printed size).
MIN_FONT_PT: float = 7.0

#: The theme: rcParams applied while a figure is built and saved.
THEME: dict[str, Any] = {
    "font.family": "DejaVu Sans",          # ships with matplotlib: same glyphs on every machine
    "font.size": 7.5,
    "axes.titlesize": 8.0,
    "axes.labelsize": 7.5,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 7.0,
    "legend.title_fontsize": 7.0,
    "figure.titlesize": 8.5,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=_CYCLE),
    "axes.titlelocation": "left",
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "legend.frameon": False,
    "savefig.dpi": PNG_DPI,
    "figure.dpi": 100,
    "pdf.fonttype": 42,                   # TrueType: text stays text in the PDF
    "svg.fonttype": "path",               # glyphs as paths: the SVG renders without the font
    "svg.hashsalt": "sbw-compendium",     # fixed ids in the SVG
    "path.simplify": True,
    "image.cmap": "cividis",
}

#: Metadata passed to savefig per format: nothing that changes between runs or versions.
_METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": "matplotlib", "Creator": "analysis.figures"},
    "svg": {"Date": None, "Creator": "analysis.figures"},
    "png": {"Software": None},
}



# --------------------------------------------------------------------------- theme and saving


def mm_to_inches(mm: float) -> float:
    """Millimetres to inches: in = mm / 25.4.

    >>> mm_to_inches(85.0)
    3.346456692913386
    """
    return float(mm) / MM_PER_INCH


def figure_width_mm(width: str | float) -> float:
    """The width in mm for ``"single"`` (85), ``"double"`` (175) or a number of mm.

    >>> figure_width_mm("double")
    175.0
    """
    if isinstance(width, str):
        widths = {"single": SINGLE_COLUMN_MM, "double": DOUBLE_COLUMN_MM}
        if width not in widths:
            raise InputError(f"figure width {width!r}: expected 'single', 'double' or a number of mm")
        return widths[width]
    w = float(width)
    if not 20.0 <= w <= 250.0:
        raise InputError(f"figure width {w} mm: expected between 20 and 250 mm")
    return w


@contextmanager
def themed() -> Iterator[None]:
    """Apply :data:`THEME` for the duration of the block (global rcParams restored after)."""
    with matplotlib.rc_context(THEME):
        yield


def new_figure(width: str | float = "single", height_mm: float = 60.0, **subplots: Any) -> tuple[Figure, Any]:
    """A themed Figure of *width* (``"single"``, ``"double"`` or mm) by *height_mm*, with subplots.

    Keyword arguments go to ``Figure.subplots``; layout is ``constrained``, which
    keeps the figure's size (no ``bbox_inches="tight"`` anywhere).
    """
    if not 15.0 <= float(height_mm) <= 250.0:
        raise InputError(f"figure height {height_mm} mm: expected between 15 and 250 mm")
    size = (mm_to_inches(figure_width_mm(width)), mm_to_inches(height_mm))
    with themed():
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(**subplots) if subplots.get("nrows", 1) * subplots.get("ncols", 1) else None
    return fig, axes


def freeze_layout(fig: Figure) -> Figure:
    """Run the constrained layout (two passes) once, then fix the axes where it put them.

    Constrained layout starts each draw from the current positions, so every
    save would move the axes by a few floating-point ulps and change the bytes;
    after freezing, every save of the figure draws the same positions.
    """
    engine = fig.get_layout_engine()
    if engine is not None and engine.__class__.__name__ == "ConstrainedLayoutEngine":
        with themed():
            fig.draw_without_rendering()
            fig.draw_without_rendering()
        fig.set_layout_engine("none")
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure encoded as *fmt* (``pdf``, ``svg`` or ``png`` at 300 dpi), deterministic."""
    if fmt not in _METADATA:
        raise InputError(f"figure format {fmt!r}: expected one of {', '.join(FORMATS)}")
    buf = io.BytesIO()
    with themed():
        freeze_layout(fig)
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=_METADATA[fmt])
    return buf.getvalue()


def save_figure(fig: Figure, stem: str, figures_dir: str | Path,
                formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """Write *fig* as ``{figures_dir}/{stem}.pdf|.svg|.png`` atomically and byte-identically on rerun.

    Returns ``{format: path}``. *stem* is a plain file name without extension.
    """
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise InputError(f"figure stem {stem!r}: expected a plain file name such as 'fig1_scales'")
    out: dict[str, Path] = {}
    for fmt in formats:
        out[fmt] = atomic_write_bytes(Path(figures_dir) / f"{stem}.{fmt}", figure_bytes(fig, fmt))
    return out


# --------------------------------------------------------------------------- input checks


def _require(df: Any, columns: Sequence[str], what: str, *, allow_empty: bool = False) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {missing}; it has {list(df.columns)}")
    if df.empty and not allow_empty:
        raise InputError(f"{what}: the table is empty")
    return df


def _numeric(s: pd.Series, what: str) -> np.ndarray:
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    return v


def _memberships(s: Any, what: str) -> np.ndarray:
    v = np.asarray(pd.to_numeric(pd.Series(s), errors="coerce"), dtype=float)
    bad = ~np.isnan(v) & ((v < 0) | (v > 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{what}: value {v[i]!r} at position {i + 1} is not a membership in [0, 1]")
    return v


def _fmt(x: float, digits: int = 2) -> str:
    return "NA" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _signed(x: float, digits: int) -> str:
    """*x* with *digits* decimals and a typographic minus; no minus on a value that rounds to zero.

    >>> _signed(-0.002, 2), _signed(-0.5, 1)
    ('0.00', '−0.5')
    """
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else "−" + text[1:]
    return text


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def _hide_unused(axes: np.ndarray, used: int) -> None:
    for ax in axes.ravel()[used:]:
        ax.set_visible(False)


# --------------------------------------------------------------------------- 1. scales


def scale_distributions(scores: pd.DataFrame, reliability: pd.DataFrame,
                        scales: Sequence[str] = ("rpq", "gse", "iis", "sbw"), *,
                        labels: Mapping[str, str] | None = None, bins: int = 12) -> Figure:
    """Histogram of each scale score with its Cronbach alpha and 95% CI in the panel title.

    *scores*: one row per worker, a column per scale. *reliability*: Table 1 of
    the psychometrics stage (columns ``scale``, ``alpha``, ``alpha_ci_low``,
    ``alpha_ci_high``, ``possible_min``, ``possible_max``); a scale without alpha
    (the SBW composite) shows its n only. Double column, one panel per scale.
    """
    _require(scores, list(scales), "scale_distributions scores")
    rel = _require(reliability, ["scale", "alpha", "alpha_ci_low", "alpha_ci_high"],
                   "scale_distributions reliability").set_index("scale")
    labels = {**LABELS, **(labels or {})}
    fig, axes = new_figure("double", 52.0, nrows=1, ncols=len(scales), squeeze=False)
    with themed():
        for ax, s in zip(axes[0], scales):
            v = _numeric(scores[s], s)
            v = v[np.isfinite(v)]
            lo = hi = None
            if s in rel.index and {"possible_min", "possible_max"} <= set(rel.columns):
                lo, hi = float(rel.at[s, "possible_min"]), float(rel.at[s, "possible_max"])
            rng = (lo, hi) if lo is not None and np.isfinite(lo) and np.isfinite(hi) else None
            ax.hist(v, bins=bins, range=rng, color=OKABE_ITO["sky_blue"], edgecolor="white", linewidth=0.4)
            ax.plot(v, np.full(v.shape, 0.03), "|", color=OKABE_ITO["black"], markersize=4,
                    transform=ax.get_xaxis_transform(), alpha=0.6)
            if v.size:
                ax.axvline(float(np.mean(v)), color=OKABE_ITO["vermillion"], linewidth=0.9, linestyle="--")
            if rng is not None:
                ax.set_xlim(*rng)
            ax.set_xlabel(labels.get(s, s))
            a = rel.at[s, "alpha"] if s in rel.index else float("nan")
            if a is not None and np.isfinite(float(a)):
                note = (f"α = {_fmt(float(a))} [{_fmt(float(rel.at[s, 'alpha_ci_low']))}, "
                        f"{_fmt(float(rel.at[s, 'alpha_ci_high']))}]")
            else:
                note = "composite (no α)"
            ax.set_title(f"{note}\nn = {v.size}, M = {_fmt(float(np.mean(v)) if v.size else float('nan'), 1)}",
                         fontsize=7.0)
        axes[0][0].set_ylabel("Workers")
    return fig


# --------------------------------------------------------------------------- 2. correlations


def correlation_heatmap(correlations: pd.DataFrame, order: Sequence[str] | None = None, *,
                        labels: Mapping[str, str] | None = None) -> Figure:
    """Lower-triangle heatmap of pairwise correlations, each cell annotated with r.

    *correlations*: long table with columns ``X``, ``Y``, ``r`` (the
    psychometrics stage's ``interscale_correlations.csv``). Diverging colour map
    ``PuOr`` (colour-blind safe) on [-1, 1]. Single column.
    """
    df = _require(correlations, ["X", "Y", "r"], "correlation_heatmap")
    names = list(order) if order is not None else list(dict.fromkeys([*df["X"], *df["Y"]]))
    idx = {n: i for i, n in enumerate(names)}
    k = len(names)
    mat = np.full((k, k), np.nan)
    for x, y, r in zip(df["X"], df["Y"], pd.to_numeric(df["r"], errors="coerce")):
        if x in idx and y in idx:
            mat[idx[x], idx[y]] = mat[idx[y], idx[x]] = float(r)
    np.fill_diagonal(mat, 1.0)
    show = np.where(np.tril(np.ones((k, k), bool), -1), mat, np.nan)
    labels = {**LABELS, **(labels or {})}
    short = [labels.get(n, n).split(" (")[0] for n in names]
    fig, ax = new_figure("single", 70.0, nrows=1, ncols=1)
    with themed():
        im = ax.imshow(show[1:, :-1], cmap="PuOr", vmin=-1, vmax=1)
        for i in range(1, k):
            for j in range(k - 1):
                if j < i and np.isfinite(show[i, j]):
                    ax.text(j, i - 1, _signed(show[i, j], 2), ha="center", va="center", fontsize=7.0,
                            color="white" if abs(show[i, j]) > 0.6 else "black")
        ax.set_xticks(range(k - 1), short[:-1], rotation=30, ha="right")
        ax.set_yticks(range(k - 1), short[1:])
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(length=0)
        cb = fig.colorbar(im, ax=ax, shrink=0.8)
        cb.set_label("Pearson r")
        cb.outline.set_linewidth(0.4)
    return fig


# --------------------------------------------------------------------------- 3. calibration


def calibration_curves(raw: pd.DataFrame, calibrated: pd.DataFrame, anchors: Mapping[str, Mapping[str, Any]],
                       conditions: Sequence[str], *, ncols: int = 3,
                       labels: Mapping[str, str] | None = None) -> Figure:
    """Raw value against fuzzy membership for each set, the three anchors marked.

    *raw*: one row per case, the raw column named in ``anchors[set]["column"]``.
    *calibrated*: the same cases in the same order, a membership column per set.
    *anchors*: set -> {``column``, ``exclusion``, ``crossover``, ``inclusion``}
    (direct method, Ragin 2008 ch. 5: memberships 0.05, 0.5, 0.95 at the
    anchors). The sorted cases are joined by a line (the calibration function
    evaluated at the data). Double column.
    """
    _require(calibrated, list(conditions), "calibration_curves calibrated")
    if len(raw) != len(calibrated):
        raise InputError(f"calibration_curves: raw has {len(raw)} rows, calibrated {len(calibrated)}")
    labels = {**LABELS, **(labels or {})}
    nrows, ncols = _grid(len(conditions), ncols)
    fig, axes = new_figure("double", 45.0 * nrows + 5, nrows=nrows, ncols=ncols, squeeze=False)
    with themed():
        for ax, c in zip(axes.ravel(), conditions):
            if c not in anchors:
                raise InputError(f"calibration_curves: no anchors for set {c!r}; anchors given for {sorted(anchors)}")
            a = anchors[c]
            col = a.get("column", c)
            _require(raw, [col], f"calibration_curves raw (set {c})")
            x = _numeric(raw[col], col)
            m = _memberships(calibrated[c], f"calibration_curves calibrated column {c!r}")
            ok = np.isfinite(x) & np.isfinite(m)
            o = np.argsort(x[ok], kind="stable")
            ax.plot(x[ok][o], m[ok][o], color=OKABE_ITO["blue"], linewidth=0.8)
            ax.plot(x[ok], m[ok], "o", color=OKABE_ITO["blue"], markersize=2.5, alpha=0.7,
                    markeredgewidth=0)
            for key, mem, colour in (("exclusion", 0.05, OKABE_ITO["vermillion"]),
                                     ("crossover", 0.5, OKABE_ITO["black"]),
                                     ("inclusion", 0.95, OKABE_ITO["green"])):
                if key in a and a[key] is not None:
                    ax.axvline(float(a[key]), color=colour, linestyle=":", linewidth=0.8)
                    ax.plot([float(a[key])], [mem], marker="D", color=colour, markersize=3.5)
            ax.axhline(0.5, color="0.7", linewidth=0.5, zorder=0)
            ax.set_ylim(-0.03, 1.03)
            ax.set_title(labels.get(c, c))
            ax.set_xlabel(f"{col} (raw)")
            ax.set_ylabel("Membership")
        _hide_unused(axes, len(conditions))
        handles = [Line2D([], [], color=OKABE_ITO[k], linestyle=":", marker="D", markersize=3.5, label=t)
                   for k, t in (("vermillion", "exclusion (0.05)"), ("black", "crossover (0.5)"),
                                ("green", "inclusion (0.95)"))]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig


# --------------------------------------------------------------------------- 4. necessity


def necessity_plot(necessity: pd.DataFrame, *, threshold: float = 0.9, outcome: str = "") -> Figure:
    """Dot plot of the necessity consistency (inclN), relevance (RoN) and coverage (covN) of each set.

    *necessity*: one row per condition or negated condition (index = its label,
    e.g. ``~SBW``; or a ``condition`` or ``term`` column, as stage 04's ``necessity.csv``) with columns ``inclN``, ``RoN``,
    ``covN`` (R QCA ``pof(..., relation = "necessity")``). The dashed line marks
    the usual necessity threshold, inclN >= 0.9 (Schneider & Wagemann 2012).
    Single column.
    """
    df = necessity.copy()
    for key in ("condition", "term"):
        if key in df.columns:
            df = df.set_index(key)
            break
    _require(df, ["inclN", "covN"], "necessity_plot")
    names = [str(i) for i in df.index]
    y = np.arange(len(names))[::-1]
    fig, ax = new_figure("single", 14.0 + 5.0 * len(names), nrows=1, ncols=1)
    with themed():
        series = [("inclN", "consistency (inclN)", "o", OKABE_ITO["blue"]),
                  ("RoN", "relevance (RoN)", "s", OKABE_ITO["green"]),
                  ("covN", "coverage (covN)", "^", OKABE_ITO["orange"])]
        for col, lab, mk, colour in series:
            if col in df.columns:
                ax.plot(_numeric(df[col], col), y, mk, color=colour, label=lab, markersize=4,
                        markeredgewidth=0)
        ax.axvline(threshold, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=0.8)
        ax.set_yticks(y, names)
        ax.set_xlim(0, 1.02)
        ax.set_xlabel("Parameter of fit" + (f" (outcome {outcome})" if outcome else ""))
        ax.grid(axis="y", color="0.9", linewidth=0.5)
        fig.legend(loc="outside upper center", ncols=3, handletextpad=0.2, columnspacing=0.8)
    return fig


# --------------------------------------------------------------------------- 5. XY plots


def _label_cases(ax: Any, x: np.ndarray, y: np.ndarray, names: Sequence[str], max_labels: int) -> None:
    """Label every case when there are few; otherwise only the deviant cases (x > 0.5 > y), if few."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() <= max_labels:
        pick = np.flatnonzero(ok)
    else:
        pick = np.flatnonzero(ok & (x > 0.5) & (y < 0.5))
        if pick.size > max_labels:
            return
    for i in pick:
        ax.annotate(str(names[i]), (x[i], y[i]), xytext=(2, -2), textcoords="offset points",
                    fontsize=MIN_FONT_PT, color=OKABE_ITO["vermillion"], va="top")


def xy_plot(ax: Any, x: Any, y: Any, *, title: str, incl: float, cov: float,
            case_names: Sequence[str] | None = None, max_labels: int = 12,
            xlabel: str = "Membership in the path", ylabel: str = "Membership in the outcome") -> Any:
    """Draw one XY plot of sufficiency on *ax*: cases, diagonal, 0.5 lines, inclS and covS printed.

    Cases above the diagonal (y >= x) are consistent with sufficiency (Ragin
    2008, ch. 3); those right of 0.5 and below it (x > 0.5 > y) are the deviant
    cases for consistency, labelled when there are at most *max_labels* of them
    (every case is labelled when there are that few cases).
    """
    xv = _memberships(x, f"xy_plot {title} x")
    yv = _memberships(y, f"xy_plot {title} y")
    if xv.shape != yv.shape:
        raise InputError(f"xy_plot {title}: x has {xv.size} values, y {yv.size}")
    ax.plot([0, 1], [0, 1], color="0.5", linewidth=0.6)
    ax.axhline(0.5, color="0.8", linewidth=0.5, zorder=0)
    ax.axvline(0.5, color="0.8", linewidth=0.5, zorder=0)
    consistent = yv >= xv
    ax.plot(xv[consistent], yv[consistent], "o", color=OKABE_ITO["blue"], markersize=3,
            markeredgewidth=0, alpha=0.75)
    ax.plot(xv[~consistent], yv[~consistent], "o", color=OKABE_ITO["orange"], markersize=3,
            markeredgewidth=0, alpha=0.9)
    if case_names is not None:
        _label_cases(ax, xv, yv, list(case_names), max_labels)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.set_title(f"{title}\ninclS = {_fmt(incl, 3)}, covS = {_fmt(cov, 3)}", fontsize=7.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def xy_plots(memberships: pd.DataFrame, outcome: Any, fit: pd.DataFrame, *,
             case_names: Sequence[str] | None = None, solution_column: str = "solution",
             outcome_label: str = "outcome", ncols: int = 4, max_labels: int = 12) -> Figure:
    """XY plots of each solution path and of the whole solution against the outcome.

    *memberships*: one column per path (named by the path, e.g.
    ``~SBW*INNOV*~CASELOAD``) and *solution_column* (their maximum).
    *outcome*: the outcome memberships, same cases and order. *fit*: index =
    the same column names, columns ``inclS`` and ``covS`` (R QCA ``pof``); the
    values printed on each panel come from it, not recomputed here. Double column.
    """
    cols = [c for c in memberships.columns if c != solution_column] + [solution_column]
    _require(memberships, cols, "xy_plots memberships")
    fit = _require(fit, ["inclS", "covS"], "xy_plots fit")
    missing = [c for c in cols if c not in fit.index]
    if missing:
        raise InputError(f"xy_plots fit: no row for {missing}; rows are {list(fit.index)}")
    y = _memberships(outcome, "xy_plots outcome")
    if y.size != len(memberships):
        raise InputError(f"xy_plots: outcome has {y.size} values, memberships {len(memberships)} rows")
    nrows, ncols = _grid(len(cols), ncols)
    fig, axes = new_figure("double", 48.0 * nrows + 4, nrows=nrows, ncols=ncols, squeeze=False)
    with themed():
        for k, (ax, c) in enumerate(zip(axes.ravel(), cols)):
            title = "Whole solution" if c == solution_column else f"Path {k + 1}\n{c}"
            if c == solution_column and len(cols) > 1:
                title += f"\n({len(cols) - 1} paths)"
            xy_plot(ax, memberships[c], y, title=title, incl=float(fit.at[c, "inclS"]),
                    cov=float(fit.at[c, "covS"]), case_names=case_names, max_labels=max_labels,
                    xlabel="Solution membership" if c == solution_column else "Path membership",
                    ylabel=outcome_label if k % ncols == 0 else "")
        _hide_unused(axes, len(cols))
    return fig


# --------------------------------------------------------------------------- 6. configuration chart

#: Cell values of a configuration table (Fiss 2011).
CELL_KINDS: tuple[str, ...] = ("core_present", "peripheral_present", "core_absent", "peripheral_absent", "")


def _literals(term: str) -> dict[str, bool]:
    """``"~A*B"`` -> {"A": False, "B": True}."""
    out: dict[str, bool] = {}
    for lit in str(term).replace(" ", "").split("*"):
        if not lit:
            continue
        neg = lit.startswith("~")
        name = lit[1:] if neg else lit
        if not name or not all(ch.isalnum() or ch == "_" for ch in name):
            raise InputError(f"configuration term {term!r}: cannot read the literal {lit!r}")
        out[name] = not neg
    return out


def configuration_table(paths: Sequence[str], parsimonious: Sequence[str],
                        conditions: Sequence[str]) -> pd.DataFrame:
    """The Fiss (2011) configuration table: core or peripheral, present or absent, per path.

    A literal of a path (of the intermediate or conservative solution) is *core*
    when it also belongs to a term of the parsimonious solution that the path
    implies (every literal of that parsimonious term is in the path), and
    *peripheral* otherwise; a condition not in the path is blank (do not care).
    Fiss, P. C. (2011), Building better causal theories, AMJ 54(2), 393-420.

    Returns a DataFrame indexed by condition with one column per path, cells in
    :data:`CELL_KINDS`.

    Examples
    --------
    >>> configuration_table(["A*~B*C"], ["A*~B"], ["A", "B", "C"])["A*~B*C"].tolist()
    ['core_present', 'core_absent', 'peripheral_present']
    """
    conditions = list(conditions)
    pars = [_literals(p) for p in parsimonious]
    table = {}
    for path in paths:
        lits = _literals(path)
        unknown = [c for c in lits if c not in conditions]
        if unknown:
            raise InputError(f"configuration path {path!r}: condition(s) {unknown} not among {conditions}")
        core: set[str] = set()
        for p in pars:
            if p and all(lits.get(c) == v for c, v in p.items()):
                core |= set(p)
        col = []
        for c in conditions:
            if c not in lits:
                col.append("")
            else:
                col.append(("core_" if c in core else "peripheral_") + ("present" if lits[c] else "absent"))
        table[path] = col
    return pd.DataFrame(table, index=pd.Index(conditions, name="condition"))


#: Stage 04's chart vocabulary (``analysis.stages.qca.configuration_chart``) -> :data:`CELL_KINDS`.
_STAGE_CELLS: dict[str, str] = {"core": "core_present", "peripheral": "peripheral_present",
                                "core absent": "core_absent", "peripheral absent": "peripheral_absent", "": ""}
_STAGE_FIT_ROWS: dict[str, str] = {"consistency": "inclS", "raw coverage": "covS", "unique coverage": "covU"}


def configuration_from_chart(chart: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Split stage 04's ``configuration_chart.csv`` into (table, per-path fit, solution fit).

    The chart has a ``condition`` column whose first rows are conditions (cells
    ``core``, ``peripheral``, ``core absent``, ``peripheral absent`` or blank),
    then the rows ``consistency``, ``raw coverage``, ``unique coverage``,
    ``solution consistency``, ``solution coverage``; one column per path named
    ``"k: expression"``. Returns the arguments of :func:`configuration_chart`.
    """
    df = _require(chart, ["condition"], "configuration chart").copy()
    df["condition"] = df["condition"].astype(str)
    df = df.set_index("condition")
    fit_rows = set(_STAGE_FIT_ROWS) | {"solution consistency", "solution coverage"}
    conds = [c for c in df.index if c not in fit_rows]
    paths = [str(c) for c in df.columns]
    if not paths:
        raise InputError("configuration chart: no path columns (the analysis found no solution)")
    table = pd.DataFrame(index=pd.Index(conds, name="condition"))
    for p in paths:
        cells = []
        for c in conds:
            v = df.at[c, p]
            v = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
            if v not in _STAGE_CELLS:
                raise InputError(f"configuration chart: cell {v!r} (condition {c}, path {p}); expected one of "
                                 f"{sorted(k for k in _STAGE_CELLS if k)} or blank")
            cells.append(_STAGE_CELLS[v])
        table[p] = cells
    fit = pd.DataFrame({key: [float(pd.to_numeric(df.at[row, p])) for p in paths]
                        for row, key in _STAGE_FIT_ROWS.items() if row in df.index}, index=paths)
    sol: dict[str, float] = {}
    for row, key in (("solution consistency", "inclS"), ("solution coverage", "covS")):
        if row in df.index:
            vals = pd.to_numeric(df.loc[row], errors="coerce").dropna()
            if len(vals):
                sol[key] = float(vals.iloc[0])
    return table, fit, sol


def _draw_cell(ax: Any, x: float, y: float, kind: str) -> None:
    big, small = 9.0, 5.5
    if kind.endswith("present"):
        ax.plot([x], [y], "o", color=OKABE_ITO["black"], markersize=big if kind.startswith("core") else small)
    elif kind.endswith("absent"):
        size = big if kind.startswith("core") else small
        ax.plot([x], [y], "o", markerfacecolor="white", markeredgecolor=OKABE_ITO["black"],
                markersize=size, markeredgewidth=0.8)
        ax.plot([x], [y], "x", color=OKABE_ITO["black"], markersize=size * 0.62, markeredgewidth=0.8)


def configuration_chart(table: pd.DataFrame, fit: pd.DataFrame, *,
                        solution_fit: Mapping[str, float] | None = None,
                        path_names: Sequence[str] | None = None) -> Figure:
    """Fiss-style configuration chart: a column per path, a row per condition, fit underneath.

    Large circles are core conditions, small ones peripheral; filled = present,
    crossed = absent; blank = does not matter (Fiss 2011; Ragin & Fiss 2008).
    *table*: from :func:`configuration_table`. *fit*: index = the path columns,
    columns ``inclS``, ``PRI``, ``covS``, ``covU`` (those present are printed).
    *solution_fit*: ``inclS``, ``PRI``, ``covS`` of the whole solution.
    Single column (double when more than four paths).
    """
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise InputError("configuration_chart: expected a non-empty configuration table")
    bad = sorted({str(v) for v in table.to_numpy().ravel() if v not in CELL_KINDS})
    if bad:
        raise InputError(f"configuration_chart: cell value(s) {bad}; expected one of {list(CELL_KINDS)}")
    paths = list(table.columns)
    fit = _require(fit, ["inclS", "covS"], "configuration_chart fit")
    missing = [p for p in paths if p not in fit.index]
    if missing:
        raise InputError(f"configuration_chart fit: no row for path(s) {missing}")
    rows_fit = [c for c in ("inclS", "PRI", "covS", "covU") if c in fit.columns]
    names = list(path_names) if path_names is not None else [str(i + 1) for i in range(len(paths))]
    conds = [str(c) for c in table.index]
    solution_fit = None if solution_fit is None else {k: float(v) for k, v in dict(solution_fit).items()
                                                      if k in ("inclS", "PRI", "covS")}
    n_sol = 0 if solution_fit is None else len(solution_fit)
    n_rows = len(conds) + len(rows_fit) + n_sol
    width = "single" if len(paths) <= 4 else "double"
    fig, ax = new_figure(width, 16.0 + 5.2 * n_rows, nrows=1, ncols=1)
    with themed():
        xs = np.arange(len(paths), dtype=float)
        for j, p in enumerate(paths):
            for i, c in enumerate(conds):
                _draw_cell(ax, xs[j], -i, str(table.at[c, p]))
        names_fit = {"inclS": "Consistency", "PRI": "PRI", "covS": "Raw coverage", "covU": "Unique coverage"}
        y0 = -len(conds) - 0.4
        ax.axhline(y0 + 0.5 - 0.2, color="0.3", linewidth=0.5)
        ylab = conds[:]
        ypos = [-i for i in range(len(conds))]
        for r, key in enumerate(rows_fit):
            yy = y0 - r
            for j, p in enumerate(paths):
                ax.text(xs[j], yy, _fmt(float(fit.at[p, key]), 2), ha="center", va="center", fontsize=7.0)
            ylab.append(names_fit[key])
            ypos.append(yy)
        if solution_fit is not None:
            ys = y0 - len(rows_fit) - 0.2
            ax.axhline(ys + 0.5, color="0.3", linewidth=0.5)
            for r, key in enumerate([k for k in ("inclS", "PRI", "covS") if k in solution_fit]):
                yy = ys - r
                ax.text(xs.mean(), yy, _fmt(float(solution_fit[key]), 2), ha="center", va="center", fontsize=7.0)
                ylab.append("Solution " + {"inclS": "consistency", "PRI": "PRI", "covS": "coverage"}[key])
                ypos.append(yy)
        ax.set_yticks(ypos, ylab)
        ax.set_xticks(xs, names)
        ax.xaxis.set_ticks_position("top")
        ax.tick_params(length=0)
        for s in ("left", "bottom", "top", "right"):
            ax.spines[s].set_visible(False)
        ax.set_xlim(-0.6, len(paths) - 0.4)
        ax.set_ylim(min(ypos) - 0.6, 0.6)
        handles = [Line2D([], [], marker="o", linestyle="", color="black", markersize=7, label="core, present"),
                   Line2D([], [], marker="o", linestyle="", color="black", markersize=4.5,
                          label="peripheral, present"),
                   (Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="black",
                           markersize=7, markeredgewidth=0.8),
                    Line2D([], [], marker="x", linestyle="", color="black", markersize=4.3, markeredgewidth=0.8)),
                   (Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="black",
                           markersize=4.5, markeredgewidth=0.8),
                    Line2D([], [], marker="x", linestyle="", color="black", markersize=2.8, markeredgewidth=0.8))]
        labels = ["core, present", "peripheral, present", "core, absent", "peripheral, absent"]
        fig.legend(handles=handles, labels=labels, loc="outside lower center", ncols=2, handletextpad=0.3,
                   handler_map={tuple: HandlerTuple(ndivide=1, pad=0)})
    return fig


# --------------------------------------------------------------------------- 7. regression


def coefficient_plot(coefficients: pd.DataFrame, *, panel: str = "family",
                     panels: Sequence[str] | None = None, model: str | None = "main",
                     panel_titles: Mapping[str, str] | None = None,
                     exclude: Sequence[str] = ("Intercept",)) -> Figure:
    """Forest plot of regression estimates with 95% CIs, one panel per model family.

    *coefficients*: columns ``term``, ``estimate``, ``ci_low``, ``ci_high``, the
    *panel* column (e.g. ``family``: OLS-HC3 on the rate scale and fractional
    logit on the log-odds scale are not comparable, so each has its own axis)
    and, when *model* is given, a ``model`` column to filter on. Terms in
    *exclude* are left out. Double column.
    """
    need = ["term", "estimate", "ci_low", "ci_high", panel] + (["model"] if model is not None else [])
    df = _require(coefficients, need, "coefficient_plot")
    if model is not None:
        df = df[df["model"] == model]
        if df.empty:
            raise InputError(f"coefficient_plot: no rows for model {model!r}; models are "
                             f"{sorted(coefficients['model'].astype(str).unique())}")
    df = df[~df["term"].isin(list(exclude))]
    groups = list(panels) if panels is not None else list(dict.fromkeys(df[panel].astype(str)))
    titles = dict(panel_titles or {})
    terms = list(dict.fromkeys(df["term"].astype(str)))
    fig, axes = new_figure("double", 18.0 + 6.0 * len(terms), nrows=1, ncols=len(groups), squeeze=False)
    with themed():
        y = np.arange(len(terms))[::-1]
        pos = dict(zip(terms, y))
        for ax, g in zip(axes[0], groups):
            d = df[df[panel].astype(str) == g]
            if d.empty:
                raise InputError(f"coefficient_plot: no rows with {panel} = {g!r}")
            yy = np.array([pos[t] for t in d["term"].astype(str)])
            est = _numeric(d["estimate"], "estimate")
            lo, hi = _numeric(d["ci_low"], "ci_low"), _numeric(d["ci_high"], "ci_high")
            excl0 = (lo > 0) | (hi < 0)
            ax.hlines(yy, lo, hi, color=OKABE_ITO["blue"], linewidth=1.0)
            ax.plot(est[excl0], yy[excl0], "o", color=OKABE_ITO["blue"], markersize=4)
            ax.plot(est[~excl0], yy[~excl0], "o", markerfacecolor="white", markeredgecolor=OKABE_ITO["blue"],
                    markersize=4)
            ax.axvline(0, color="0.4", linewidth=0.6, linestyle="--")
            ax.set_yticks(y, terms if ax is axes[0][0] else [""] * len(terms))
            ax.set_title(titles.get(g, g))
            ax.set_xlabel("Estimate (95% CI)")
            ax.grid(axis="y", color="0.92", linewidth=0.5)
    return fig


def agreement_plot(workers: pd.DataFrame, *, threshold: float,
                   agreement: Mapping[str, float] | None = None,
                   x: str = "solution", y: str = "predicted", category: str = "category") -> Figure:
    """QCA solution membership against the regression's predicted rate, cases coloured by agreement.

    *workers*: one row per worker with *x* (membership in the QCA solution),
    *y* (the model's predicted outcome) and *category* (``both``, ``QCA only``,
    ``model only``, ``neither``, as the regression stage classifies them). Lines
    mark the 0.5 membership crossover and the model's *threshold*; *agreement*
    (``agreement``, ``kappa``) is printed when given. Single column.
    """
    df = _require(workers, [x, y, category], "agreement_plot")
    xv = _memberships(df[x], f"agreement_plot {x}")
    yv = _numeric(df[y], y)
    cats = df[category].astype(str).to_numpy()
    palette = {"both": OKABE_ITO["blue"], "neither": OKABE_ITO["sky_blue"],
               "qca_only": OKABE_ITO["orange"], "QCA only": OKABE_ITO["orange"],
               "model_only": OKABE_ITO["vermillion"], "model only": OKABE_ITO["vermillion"]}
    markers = {"both": "o", "neither": "s", "qca_only": "^", "QCA only": "^",
               "model_only": "D", "model only": "D"}
    fig, ax = new_figure("single", 72.0, nrows=1, ncols=1)
    with themed():
        order = list(dict.fromkeys(c for c in ("both", "QCA only", "qca_only", "model only", "model_only",
                                               "neither") if c in set(cats)))
        order += sorted(set(cats) - set(order))
        extra = iter(_CYCLE[5:] * 4)
        for c in order:
            m = cats == c
            ax.plot(xv[m], yv[m], markers.get(c, "o"), color=palette.get(c, next(extra)), markersize=3.5,
                    markeredgewidth=0, alpha=0.85, label=f"{c.replace('_', ' ')} (n = {int(m.sum())})")
        ax.axvline(0.5, color="0.5", linewidth=0.6, linestyle="--")
        ax.axhline(float(threshold), color="0.5", linewidth=0.6, linestyle=":")
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("Membership in the QCA solution")
        ax.set_ylabel("Regression: predicted rate")
        if agreement is not None:
            agreement = dict(agreement)
            txt = [f"agreement = {_fmt(float(agreement['agreement']), 2)}"] if "agreement" in agreement else []
            if "kappa" in agreement:
                txt.append(f"Cohen's κ = {_fmt(float(agreement['kappa']), 2)}")
            ax.text(0.98, 0.03, "\n".join(txt), transform=ax.transAxes, ha="right", va="bottom", fontsize=7.0)
        fig.legend(loc="outside upper center", ncols=2, handletextpad=0.2, columnspacing=0.8)
    return fig


# --------------------------------------------------------------------------- 8. robustness


def robustness_summary(table: pd.DataFrame, paths: pd.DataFrame, *,
                       kinds: Sequence[str] = ("cutoffs", "calibration", "leave_one_out", "all"),
                       kind_labels: Mapping[str, str] | None = None) -> Figure:
    """How often the headline solution and each path survive the re-analyses, and the fit ranges.

    Left: for each kind of re-analysis, the share whose solution is the
    baseline's (``same_as_baseline``) and the share in which each path is a term
    (``exact`` of ``robustness_paths.csv``). Right: the range (min-max) of the
    solution's consistency and coverage over the re-analyses of that kind, the
    baseline's values dashed. *table*: stage 04's ``robustness.csv`` (columns
    ``kind``, ``n``, ``same_as_baseline``, ``inclS_min``, ``inclS_max``,
    ``covS_min``, ``covS_max``; a ``baseline`` row); *paths*: its
    ``robustness_paths.csv`` (``path``, ``kind``, ``exact``). Double column.
    Sensitivity ranges after Oana & Schneider (2021, ch. 5).
    """
    t = _require(table, ["kind", "n", "same_as_baseline", "inclS_min", "inclS_max", "covS_min", "covS_max"],
                 "robustness_summary table").set_index("kind")
    # empty when there are no reference paths (no solution, and no published one for the outcome)
    p = _require(paths, ["path", "kind", "exact"], "robustness_summary paths", allow_empty=True)
    shown = [k for k in kinds if k in t.index]
    if not shown:
        raise InputError(f"robustness_summary: none of the kinds {list(kinds)} in the table "
                         f"(it has {list(t.index)})")
    names = {"cutoffs": "cut-offs", "calibration": "calibration anchors", "leave_one_out": "leave one case out",
             "all": "all re-analyses", **(kind_labels or {})}
    labels = [f"{names.get(k, k)} (n = {int(t.at[k, 'n'])})" for k in shown]
    path_names = list(dict.fromkeys(p["path"].astype(str)))
    series = [("whole solution", None)] + [(f"path {i + 1}: {q}", q) for i, q in enumerate(path_names)]
    y = np.arange(len(shown))[::-1].astype(float)
    fig, axes = new_figure("double", 22.0 + 9.0 * len(shown), nrows=1, ncols=2, squeeze=False, sharey=True)
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    with themed():
        ax = axes[0][0]
        k_series = len(series)
        for s_i, (lab, q) in enumerate(series):
            off = (s_i - (k_series - 1) / 2) * 0.13
            if q is None:
                vals = [float(t.at[k, "same_as_baseline"]) for k in shown]
            else:
                sub = p[p["path"].astype(str) == q].set_index("kind")
                vals = [float(sub.at[k, "exact"]) if k in sub.index else float("nan") for k in shown]
            ax.plot(vals, y + off, markers[s_i % len(markers)], color=_CYCLE[s_i % len(_CYCLE)],
                    markersize=3.5, label=lab, markeredgewidth=0)
        ax.set_xlim(-0.02, 1.05)
        ax.set_xlabel("Share of re-analyses reproducing it")
        ax.set_yticks(y, labels)
        ax.set_title("Solution and paths found")
        ax.grid(axis="y", color="0.92", linewidth=0.5)
        ax = axes[0][1]
        for col, colour, off, lab in (("inclS", OKABE_ITO["blue"], 0.1, "consistency"),
                                      ("covS", OKABE_ITO["orange"], -0.1, "coverage")):
            lo = np.array([float(t.at[k, f"{col}_min"]) for k in shown])
            hi = np.array([float(t.at[k, f"{col}_max"]) for k in shown])
            ax.hlines(y + off, lo, hi, color=colour, linewidth=2.0, label=f"{lab} (range)")
            ax.plot(lo, y + off, "|", color=colour, markersize=5)
            ax.plot(hi, y + off, "|", color=colour, markersize=5)
            if "baseline" in t.index:
                ax.axvline(float(t.at["baseline", f"{col}_min"]), color=colour, linestyle="--", linewidth=0.7)
        ax.set_xlim(0, 1.02)
        ax.set_xlabel("Solution consistency / coverage")
        ax.set_title("Parameters of fit")
        ax.grid(axis="y", color="0.92", linewidth=0.5)
        h1, l1 = axes[0][0].get_legend_handles_labels()
        h2, l2 = axes[0][1].get_legend_handles_labels()
        fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncols=3, handletextpad=0.3, columnspacing=1.0)
    return fig


# --------------------------------------------------------------------------- no solution


def no_solution_text(cutoffs: Mapping[str, Any] | None = None) -> str:
    """The statement a figure that needs a solution shows when there is none.

    >>> no_solution_text({"incl_cut": 1.0, "pri_cut": 0.5, "n_cut": 1})
    'No solution at incl_cut = 1, n_cut = 1 (pri_cut = 0.5)'
    >>> no_solution_text()
    'No solution at these cut-offs'
    """
    c = dict(cutoffs or {})
    if not {"incl_cut", "n_cut"} <= set(c):
        return "No solution at these cut-offs"
    text = f"No solution at incl_cut = {float(c['incl_cut']):g}, n_cut = {int(c['n_cut'])}"
    if "pri_cut" in c:
        text += f" (pri_cut = {float(c['pri_cut']):g})"
    return text


def no_solution_panel(title: str, cutoffs: Mapping[str, Any] | None = None, *,
                      width: str | float = "single") -> Figure:
    """A figure that states there is no solution to draw, for a figure that depends on one.

    When no truth-table row passes the cut-offs (*cutoffs*: ``incl_cut``,
    ``pri_cut``, ``n_cut`` as stage 04 used them) there are no paths, so the XY
    plots and the configuration chart have nothing to show; the figure says so,
    with the cut-offs, instead of failing the stage.
    """
    fig, ax = new_figure(width, 30.0, nrows=1, ncols=1)
    with themed():
        ax.set_axis_off()
        ax.text(0.5, 0.62, title, ha="center", va="center", fontsize=8.0, weight="bold", transform=ax.transAxes)
        ax.text(0.5, 0.32, no_solution_text(cutoffs) + ":\nno truth-table row is sufficient, so there are no paths",
                ha="center", va="center", fontsize=7.0, transform=ax.transAxes)
    return fig


def _no_solution_data(cutoffs: Mapping[str, Any] | None) -> pd.DataFrame:
    """The data behind a no-solution panel (for the figure's claim): the cut-offs and the statement."""
    c = dict(cutoffs or {})
    return pd.DataFrame({"incl_cut": [float(c.get("incl_cut", float("nan")))],
                         "pri_cut": [float(c.get("pri_cut", float("nan")))],
                         "n_cut": [float(c.get("n_cut", float("nan")))],
                         "solution": [no_solution_text(c)]})


def has_solution(solutions: pd.DataFrame) -> bool:
    """Whether stage 04's ``solutions.csv`` holds a model M1 of the intermediate or conservative solution."""
    s = _require(solutions, ["solution", "model"], "solutions.csv", allow_empty=True)
    return bool(((s["solution"].isin(["intermediate", "conservative"])) & (s["model"] == "M1")).any())


#: Every figure function, for tests and the notebook's listing.
FIGURE_FUNCTIONS: dict[str, Callable[..., Figure]] = {
    "scale_distributions": scale_distributions, "correlation_heatmap": correlation_heatmap,
    "calibration_curves": calibration_curves, "necessity_plot": necessity_plot,
    "xy_plots": xy_plots, "configuration_chart": configuration_chart,
    "coefficient_plot": coefficient_plot, "agreement_plot": agreement_plot,
    "robustness_summary": robustness_summary, "no_solution_panel": no_solution_panel,
}


# --------------------------------------------------------------------------- stage 06: inputs and the set of figures

#: Figure name -> file stem in ``{figures}/`` (each written as .pdf, .svg and .png).
FIGURE_STEMS: dict[str, str] = {
    "scales": "fig1_scales", "correlations": "fig2_correlations", "calibration": "fig3_calibration",
    "necessity": "fig4_necessity", "xy": "fig5_xy_paths", "configurations": "fig6_configurations",
    "coefficients": "fig7_coefficients", "agreement": "fig8_qca_vs_regression", "robustness": "fig9_robustness",
}

#: Figure name -> the input files (keys of :func:`stage_input_files`) it is drawn from.
FIGURE_INPUTS: dict[str, tuple[str, ...]] = {
    "scales": ("scores", "table1"), "correlations": ("correlations",),
    "calibration": ("staff", "scores", "calibrated", "anchors"), "necessity": ("necessity",),
    "xy": ("calibrated", "solutions"), "configurations": ("configuration_chart",),
    "coefficients": ("coefficients",), "agreement": ("comparison", "regression_summary"),
    "robustness": ("robustness", "robustness_paths"),
}

MAIN_SCALES: tuple[str, ...] = ("rpq", "gse", "iis", "sbw")


def stage_input_files(processed_dir: str | Path, results_dir: str | Path, outcome: str = "sustain12") -> dict[str, Path]:
    """Every file stage 06 reads, by key (paths as given; they need not exist)."""
    p, r = Path(processed_dir), Path(results_dir)
    return {
        "staff": p / "staff.csv", "scores": p / "scores.csv", "calibrated": p / "calibrated.csv",
        "table1": r / "psychometrics" / "table1_descriptives_reliability.csv",
        "correlations": r / "psychometrics" / "interscale_correlations.csv",
        "anchors": r / "calibration" / "anchors.csv",
        "necessity": r / "qca" / "necessity.csv", "solutions": r / "qca" / "solutions.csv",
        "configuration_chart": r / "qca" / "configuration_chart.csv", "qca_summary": r / "qca" / "summary.json",
        "robustness": r / "qca" / "robustness.csv", "robustness_paths": r / "qca" / "robustness_paths.csv",
        "coefficients": r / "regression" / outcome / "worker_coefficients.csv",
        "comparison": r / "regression" / outcome / "comparison_workers.csv",
        "regression_summary": r / "regression" / outcome / "summary.json",
    }


def _solution_rows(solutions: pd.DataFrame) -> pd.DataFrame:
    """The first model of the intermediate solution (else the conservative) from ``solutions.csv``."""
    s = _require(solutions, ["solution", "model", "term", "inclS", "covS", "cases"], "solutions.csv")
    for name in ("intermediate", "conservative"):
        rows = s[(s["solution"] == name) & (s["model"] == "M1")]
        if "part" in rows.columns and len(rows):
            first = rows["part"].fillna("").astype(str).iloc[0]
            rows = rows[rows["part"].fillna("").astype(str) == first]
        if len(rows):
            return rows
    raise InputError("solutions.csv: no model M1 of the intermediate or conservative solution")


def xy_inputs(calibrated: pd.DataFrame, solutions: pd.DataFrame, outcome_set: str,
              conditions: Sequence[str]) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Memberships of each path and of the solution, the outcome and the fit, for :func:`xy_plots`.

    Path memberships are the fuzzy AND of the path's literals (minimum over
    literals of m or 1 - m) and the solution's their maximum (Ragin 2008),
    computed with :func:`analysis.qca.expressions.expression_membership`; the
    fit is read from stage 04's ``solutions.csv`` (first model of the
    intermediate solution, else the conservative one).
    """
    from analysis.qca.expressions import expression_membership

    rows = _solution_rows(solutions)
    paths = rows.loc[rows["cases"].astype(str) != "(model)", "term"].astype(str).tolist()
    model = rows.loc[rows["cases"].astype(str) == "(model)"]
    cal = _require(calibrated, [*conditions, outcome_set], "calibrated.csv")
    data = cal.set_index("staff_id") if "staff_id" in cal.columns else cal
    mem = pd.DataFrame({p: expression_membership(data, p, list(conditions)) for p in paths}, index=data.index)
    mem["solution"] = mem[paths].max(axis=1)
    fit = rows.loc[rows["cases"].astype(str) != "(model)"].set_index("term")[["inclS", "covS"]].astype(float)
    if len(model):
        fit.loc["solution"] = model[["inclS", "covS"]].astype(float).iloc[0].to_numpy()
    return mem, data[outcome_set].astype(float), fit


def load_stage_inputs(processed_dir: str | Path, results_dir: str | Path, outcome: str = "sustain12") -> dict[str, Any]:
    """Read every stage-06 input that exists (CSV -> DataFrame, JSON -> dict); missing files are left out."""
    from analysis.io import read_json

    out: dict[str, Any] = {}
    for key, path in stage_input_files(processed_dir, results_dir, outcome).items():
        if not path.is_file():
            continue
        if path.suffix == ".json":
            out[key] = read_json(path)
        else:
            out[key] = pd.read_csv(path, keep_default_na=key != "configuration_chart")
    return out


def build_figures(inputs: Mapping[str, Any], outcome: str = "sustain12",
                  conditions: Sequence[str] = ("SBW", "INNOV", "CASELOAD", "LONGMEET"),
                  ) -> tuple[dict[str, tuple[Figure, pd.DataFrame]], dict[str, list[str]]]:
    """Every figure whose inputs exist: ``({name: (figure, data drawn)}, {name: missing inputs})``.

    *inputs*: from :func:`load_stage_inputs`. The data frame returned with each
    figure is the data it draws (for the claims registry, which records a
    figure by the hash of its data). When stage 04 found no solution (no
    truth-table row passes the cut-offs) the XY plots and the configuration
    chart are :func:`no_solution_panel` figures stating it with the cut-offs
    of ``summary.json``; their data are the cut-offs and that statement.
    """
    conditions = list(conditions)
    out_set = calibration.outcome_set(outcome)
    missing = {name: [k for k in keys if k not in inputs] for name, keys in FIGURE_INPUTS.items()}
    missing = {k: v for k, v in missing.items() if v}
    figs: dict[str, tuple[Figure, pd.DataFrame]] = {}
    if "scales" not in missing:
        scales = [s for s in MAIN_SCALES if s in inputs["scores"].columns]
        figs["scales"] = (scale_distributions(inputs["scores"], inputs["table1"], scales),
                          inputs["scores"][["staff_id", *scales]] if "staff_id" in inputs["scores"] else
                          inputs["scores"][scales])
    if "correlations" not in missing:
        corr = inputs["correlations"]
        figs["correlations"] = (correlation_heatmap(corr, [s for s in MAIN_SCALES if s in set(corr["X"]) | set(corr["Y"])]),
                                corr[["X", "Y", "r"]])
    if "calibration" not in missing:
        anchors = inputs["anchors"]
        sets = [s for s in [*conditions, out_set] if s in set(anchors["set"])]
        raw = calibration.raw_sets(inputs["staff"], inputs["scores"], outcome, conditions)
        cal = inputs["calibrated"].set_index("staff_id")
        cal.index = cal.index.astype(str)
        raw.index = raw.index.astype(str)
        raw = raw.loc[[i for i in cal.index if i in raw.index]]
        cal = cal.loc[raw.index]
        amap = {r["set"]: {"column": r["set"], "exclusion": r["exclusion"], "crossover": r["crossover"],
                           "inclusion": r["inclusion"]} for r in anchors.to_dict("records")}
        fig = calibration_curves(raw, cal, amap, sets)
        data = pd.concat([raw[sets].add_suffix("_raw"), cal[sets]], axis=1).reset_index()
        figs["calibration"] = (fig, data)
    if "necessity" not in missing:
        nec = inputs["necessity"]
        figs["necessity"] = (necessity_plot(nec, outcome=out_set), nec)
    summary = inputs.get("qca_summary") or {}
    cutoffs = {k: summary[k] for k in ("incl_cut", "pri_cut", "n_cut") if k in summary}
    solved = "solutions" not in inputs or has_solution(inputs["solutions"])
    if "xy" not in missing and not solved:
        figs["xy"] = (no_solution_panel("XY plots of the solution's paths", cutoffs, width="double"),
                      _no_solution_data(cutoffs))
    elif "xy" not in missing:
        mem, y, fit = xy_inputs(inputs["calibrated"], inputs["solutions"], out_set, conditions)
        n = len(mem)
        fig = xy_plots(mem, y, fit, case_names=[str(i) for i in mem.index], outcome_label=out_set,
                       max_labels=12 if n > 12 else n)
        figs["xy"] = (fig, pd.concat([mem, y.rename(out_set)], axis=1).reset_index())
    if "configurations" not in missing and len(inputs["configuration_chart"].columns) <= 1:  # no path column
        figs["configurations"] = (no_solution_panel("Configuration chart", cutoffs), _no_solution_data(cutoffs))
    elif "configurations" not in missing:
        chart = inputs["configuration_chart"]
        table, fit, sol = configuration_from_chart(chart)
        figs["configurations"] = (configuration_chart(table, fit, solution_fit=sol,
                                                      path_names=[c.split(":")[0] for c in table.columns]), chart)
    if "coefficients" not in missing:
        co = inputs["coefficients"]
        titles = {"ols_hc3": "OLS, HC3 SEs (rate scale)", "fractional_logit": "Fractional logit (log-odds)",
                  "wls": "WLS, HC3 SEs"}
        figs["coefficients"] = (coefficient_plot(co, panel_titles=titles),
                                co[co["model"] == "main"][["family", "term", "estimate", "ci_low", "ci_high"]])
    if "agreement" not in missing:
        w = inputs["comparison"]
        summ = inputs["regression_summary"]
        figs["agreement"] = (agreement_plot(w, threshold=float(summ["threshold"]), agreement=summ.get("agreement")),
                             w[["staff_id", "solution", "predicted", "category"]] if "staff_id" in w else w)
    if "robustness" not in missing:
        rt, rp = inputs["robustness"], inputs["robustness_paths"]
        figs["robustness"] = (robustness_summary(rt, rp), rt)
    return figs, missing

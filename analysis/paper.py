"""The paper: a typst manuscript filled from the claims registry, built offline to PDF and HTML.

Every number, string, table and figure in ``paper/paper.typ`` is inserted by a
lookup of a recorded claim (:mod:`analysis.claims`), never typed by hand. Each
claim is recorded by the stage that computed it and named after it:
``psychometrics.*`` (notebook 02), ``calibration.*`` (03), ``qca.*`` (04),
``regression.*`` (05), and the figures ``figures.fig.*`` (06); the helpers that
build them are ``claim_values`` in :mod:`analysis.stages.psychometrics`,
:mod:`analysis.stages.calibration` and :mod:`analysis.stages.qca`, and ``record_claims`` in
:mod:`analysis.regression.stage`. The template calls these
functions defined in its preamble:

* ``#n("name", d: 2)`` a number, printed with *d* decimals;
* ``#s("name")`` a string (e.g. the solution expression);
* ``#tab("name", header: (...), digits: 2)`` a table;
* ``#col("name", "column", d: 2)`` one column of a table claim as a list in the text
  ("0.12, 0.08 and 0.10"), for a count of rows that depends on the run;
* ``#fig("name", caption)`` a figure (its SVG, from the figure claim's path);
* ``#when("name")[...]`` and ``#unless("name")[...]``: text shown only when the
  claim *name* is recorded (or is not). What a run records depends on its
  parameters: an outcome that is not a proportion has no odds ratios, a
  solution may have one path or three, cut-offs may leave no solution. The
  lookups inside a block whose guard is off are not required
  (:func:`guarded_blocks`, :func:`template_references` with the claims).

:func:`build_paper` gathers the claims into ``values.json`` (numbers already
formatted at 0-4 decimals in Python, so the PDF and the HTML print the same
text), copies the figures' SVGs beside it, checks that every name the template
uses is a recorded claim (:class:`~analysis.errors.InputError` listing those
missing otherwise), compiles the template with typst (PyPI ``typst``; no
network; typst's own embedded fonts only, so every machine sets the same
glyphs) to PDF and, through typst's HTML export, to HTML, and writes a
provenance file: for each figure and table, the stage, notebook and cell that
recorded it, its output file with sha256, and the sha256 of the stage's inputs.

Determinism: the document date is ``none`` and typst writes no timestamp, so
two builds from the same claims are byte-identical (tested).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis import config
from analysis.errors import InputError
from analysis.io import atomic_write_bytes, read_json, sha256_file, write_json
from analysis.labels import label as readable

__all__ = [
    "TEMPLATE", "DIGITS", "format_number", "template_references", "check_template",
    "paper_values", "provenance", "build_paper", "paper_stage", "results_section", "literal_digits",
    "guarded_blocks", "guard_names", "hidden_values",
]

#: The manuscript's source (typst) and the folder of its static parts.
TEMPLATE: Path = config.PAPER_DIR / "paper.typ"
#: Decimals a number can be printed with (``#n(name, d: k)``, k in 0..4).
DIGITS: tuple[int, ...] = (0, 1, 2, 3, 4)
#: The lookup functions of the template and the claim kind each expects.
LOOKUPS: dict[str, str] = {"n": "number", "s": "text", "expr": "text", "tab": "table", "col": "table",
                           "fig": "figure"}
_CALL = re.compile(r'(?<![\w.-])#?(n|s|expr|tab|col|fig)\(\s*"([^"]+)"')
_COLUMN = re.compile(r'(?<![\w.-])#?col\(\s*"([^"]+)"\s*,\s*"([^"]+)"')
#: The guards of conditional text: ``when("name")[...]`` / ``unless("name")[...]``.
GUARDS: tuple[str, ...] = ("when", "unless")
_GUARD = re.compile(r'(?<![\w.-])#?(when|unless)\(\s*"([^"]+)"\s*\)\s*\[')

_MINUS = "\u2212"


# --------------------------------------------------------------------------- formatting


def format_number(value: float | int, digits: int) -> str:
    """*value* rounded to *digits* decimals for print (round half to even on the binary value,
    Python's ``format``), with a typographic minus; 'NA' for NaN.

    >>> format_number(0.9557, 2), format_number(-0.0744, 3), format_number(65, 0)
    ('0.96', '\u22120.074', '65')
    """
    v = float(value)
    if math.isnan(v):
        return "NA"
    text = f"{v:.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else _MINUS + text[1:]
    return text


# --------------------------------------------------------------------------- template checks


def _closing_bracket(text: str, start: int) -> int:
    """Index of the ``]`` that closes the ``[`` at *start* (escaped ``\\[`` and raw `` `...` `` skipped)."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            i = (end if end >= 0 else len(text)) + 1
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    line = text.count("\n", 0, start) + 1
    raise InputError(f"paper template, line {line}: the [ opened here is never closed")


def guarded_blocks(text: str) -> list[tuple[int, int, str, bool]]:
    """The conditional blocks of the template: ``(start, end, claim, shown_when_recorded)``.

    ``when("x")[...]`` is shown when the claim ``x`` is recorded, ``unless("x")[...]``
    when it is not; *start*..*end* spans the block's brackets.

    >>> guarded_blocks('a #when("x")[b [c] d] e #unless("y")[f]')
    [(12, 20, 'x', True), (36, 38, 'y', False)]
    """
    blocks = []
    for m in _GUARD.finditer(text):
        open_at = m.end() - 1
        blocks.append((open_at, _closing_bracket(text, open_at), m.group(2), m.group(1) == "when"))
    return blocks


def _shown(pos: int, blocks: Sequence[tuple[int, int, str, bool]], recorded: Mapping[str, Any]) -> bool:
    """Whether text at *pos* is shown: every block around it has its guard on."""
    return all((name in recorded) == when for start, end, name, when in blocks if start < pos < end)


def template_references(text: str, claims: Mapping[str, Any] | None = None) -> dict[str, set[str]]:
    """Claim names the template looks up, by lookup function (``n``, ``s``, ``expr``, ``tab``, ``col``, ``fig``).

    Calls are found with or without the leading ``#`` (inside code, e.g. ``figure(tab("..."))``).
    With *claims* (the run's claims, by name), only the lookups the paper shows: those
    outside any ``when``/``unless`` block whose guard is off.

    >>> r = template_references('#n("a.b", d: 2) and #s("c") align(center, expr("e")) #n("d")')
    >>> sorted(r["n"]), sorted(r["s"]), sorted(r["expr"])
    (['a.b', 'd'], ['c'], ['e'])
    >>> t = '#when("x")[#n("a")]#unless("x")[#n("b")]'
    >>> sorted(template_references(t)["n"]), sorted(template_references(t, {"x": {}})["n"])
    (['a', 'b'], ['a'])
    """
    refs: dict[str, set[str]] = {k: set() for k in LOOKUPS}
    blocks = guarded_blocks(text) if claims is not None else []
    for m in _CALL.finditer(text):
        if claims is None or _shown(m.start(), blocks, claims):
            refs[m.group(1)].add(m.group(2))
    return refs


def guard_names(text: str) -> set[str]:
    """The claims the template's ``when``/``unless`` blocks test."""
    return {name for _, _, name, _ in guarded_blocks(text)}


def check_template(text: str, claims: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Problems with the lookups the paper shows: names with no claim, a claim of the wrong
    kind, or a ``col`` of a column the table does not have."""
    problems = []
    for fn, names in template_references(text, claims).items():
        for name in sorted(names):
            rec = claims.get(name)
            if rec is None:
                problems.append(f"#{fn}(\"{name}\"): no claim {name!r} recorded")
            elif rec.get("kind") != LOOKUPS[fn]:
                problems.append(f"#{fn}(\"{name}\"): claim {name!r} is a {rec.get('kind')}, "
                                f"#{fn} expects a {LOOKUPS[fn]}")
    blocks = guarded_blocks(text)
    for m in _COLUMN.finditer(text):
        name, column = m.group(1), m.group(2)
        rec = claims.get(name)
        if _shown(m.start(), blocks, claims) and rec is not None and rec.get("kind") == "table" \
                and column not in rec["value"]["columns"]:
            problems.append(f"#col(\"{name}\", \"{column}\"): table {name!r} has no column {column!r} "
                            f"(its columns: {', '.join(rec['value']['columns'])})")
    return problems


def results_section(text: str) -> str:
    """The template text between the ``= Results`` heading and the next top-level heading."""
    m = re.search(r"^= Results\s*$", text, flags=re.MULTILINE)
    if m is None:
        raise InputError("paper template: no '= Results' heading")
    rest = text[m.end():]
    nxt = re.search(r"^= ", rest, flags=re.MULTILINE)
    return rest[: nxt.start()] if nxt else rest


#: Literal text allowed to contain digits in the results section (not results: labels and constants).
DIGIT_WHITELIST: tuple[str, ...] = (
    r'd: \d',             # number of decimals of a lookup
    r'digits: \(\s*\d+(?:\s*,\s*\d+)*\s*,?\s*\)',   # decimals per table column
    r'digits: \d',
    r'<[a-z0-9:_-]+>',    # labels
    r'@[a-z0-9:_-]+',     # references to labels
    r'95 ?%',             # the confidence level of every interval (a convention, not a result)
    r'\bHC3\b',           # the name of a robust covariance estimator, not a result
)


def literal_digits(section: str) -> list[str]:
    """Digits in *section* outside lookup calls' names and the whitelisted patterns.

    Every lookup call's quoted name is removed (names may contain digits, e.g.
    ``path1``), then :data:`DIGIT_WHITELIST`; whatever digits remain are
    returned with some context (the test wants none).

    >>> literal_digits('#n("qca.path1.inclS", d: 3) of 0.9 <tab:fit>')
    ['of 0.9  ']
    """
    text = _CALL.sub(lambda m: m.group(1) + "(", section)
    text = _GUARD.sub(lambda m: m.group(1) + "()[", text)
    for pat in DIGIT_WHITELIST:
        text = re.sub(pat, " ", text)
    return [text[max(0, m.start() - 3): m.end() + 3] for m in re.finditer(r"\d+(?:\.\d+)?", text)]


# --------------------------------------------------------------------------- values for typst


def _table_value(rec: Mapping[str, Any]) -> dict[str, Any]:
    enc = rec["value"]
    rows = []
    for label, row in zip(enc["index"], enc["data"]):
        cells = []
        for cell, kind in zip(row, enc["kinds"]):
            if kind == "number":
                v = float(cell)
                cells.append([format_number(v, d) for d in DIGITS])
            else:
                cells.append("" if cell is None else str(cell))
        rows.append({"label": readable(str(label)), "cells": cells})
    return {"columns": list(enc["columns"]), "kinds": list(enc["kinds"]), "rows": rows}


def paper_values(claims: Mapping[str, Mapping[str, Any]], names: Mapping[str, set[str]],
                 figure_files: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``values.json`` for the template: the looked-up claims, numbers pre-formatted at 0-4 decimals."""
    from analysis.claims import decode_number

    vals: dict[str, Any] = {"n": {}, "s": {}, "tab": {}, "fig": {}}
    for name in sorted(names["n"]):
        v = decode_number(claims[name]["value"])
        vals["n"][name] = [format_number(v, d) for d in DIGITS]
    for name in sorted(names["s"] | names["expr"]):
        vals["s"][name] = str(claims[name]["value"])
    for name in sorted(names["tab"] | names.get("col", set())):
        vals["tab"][name] = _table_value(claims[name])
    for name in sorted(names["fig"]):
        vals["fig"][name] = dict(figure_files[name])
    return vals


#: Stand-ins for the lookups of hidden blocks whose claim the run does not record: typst evaluates a
#: block's content before ``when``/``unless`` drop it, so each lookup needs a value; none is shown.
_HIDDEN: dict[str, Any] = {"n": ["?"] * len(DIGITS), "s": "?", "tab": {"columns": [], "kinds": [], "rows": []}}


def hidden_values(text: str, claims: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Stand-in values (never printed) for the lookups found only in hidden ``when``/``unless`` blocks.

    A figure cannot be inside such a block (typst would load its file even when the
    block is dropped): that is an InputError.

    >>> hidden_values('#when("x")[#n("a") #s("b")] #n("c")', {"c": {}})
    {'n': {'a': ['?', '?', '?', '?', '?']}, 's': {'b': '?'}, 'tab': {}}
    """
    blocks = guarded_blocks(text)
    for m in _CALL.finditer(text):
        if m.group(1) == "fig" and any(start < m.start() < end for start, end, _, _ in blocks):
            raise InputError(f"paper template: #fig(\"{m.group(2)}\") inside a when/unless block; "
                             "put figures outside them")
    shown = template_references(text, claims)
    out: dict[str, dict[str, Any]] = {"n": {}, "s": {}, "tab": {}}
    for fn, names in template_references(text).items():
        key = {"expr": "s", "col": "tab"}.get(fn, fn)
        for name in sorted(names - shown[fn]):
            out[key][name] = _HIDDEN[key]
    return out


# --------------------------------------------------------------------------- provenance


def _outputs_index(results_dir: Path, state: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """path -> {sha256, stage}: from results/manifest.json, updated from the pipeline state when given."""
    index: dict[str, dict[str, str]] = {}
    manifest = results_dir / "manifest.json"
    if manifest.is_file():
        for o in read_json(manifest).get("outputs", []):
            index[o["path"]] = {"sha256": o["sha256"], "stage": o["stage"]}
    for stage, entry in (state or {}).items():
        for path, sha in (entry.get("outputs") or {}).items():
            index[path] = {"sha256": sha, "stage": stage}
    return index


#: Figure claim -> the stage-06 input keys (:func:`analysis.figures.stage_input_files`) it is drawn from.
#: (Tables are recorded by the stage that computes them, from that stage's own inputs.)
def _item_inputs() -> dict[str, tuple[str, ...]]:
    from analysis.figures import FIGURE_INPUTS

    return {f"figures.fig.{k}": v for k, v in FIGURE_INPUTS.items()}


def _input_suffixes(keys: Sequence[str]) -> list[str]:
    """The file names of stage-06 inputs *keys*, relative to the processed or results folder."""
    from analysis.figures import stage_input_files

    files = stage_input_files("P", "R", "OUTCOME")
    return [Path(*files[k].parts[1:]).as_posix().replace("OUTCOME/", "") for k in keys if k in files]


def _matches(path: str, suffix: str) -> bool:
    if "/" in suffix and suffix.startswith("regression/"):   # regression/<outcome>/file
        head, _, tail = suffix.partition("/")
        return f"/{head}/" in f"/{path}" and path.endswith("/" + tail)
    return path == suffix or path.endswith("/" + suffix)


def provenance(claims: Mapping[str, Mapping[str, Any]], names: Mapping[str, set[str]],
               outputs: Mapping[str, Mapping[str, str]] | None = None) -> list[dict[str, Any]]:
    """For each figure and table of the paper: claim, stage, notebook, cell, output file and hashes.

    ``inputs`` lists the inputs the item is drawn from (for stage 06's items,
    the files of :data:`analysis.figures.FIGURE_INPUTS`; otherwise every input
    of the recording stage) with their sha256 as recorded when the stage ran
    and, when the manifest or pipeline state knows it, the stage that wrote it.
    """
    outputs = outputs or {}
    item_inputs = _item_inputs()
    rows = []
    for kind, fns in (("figure", ("fig",)), ("table", ("tab", "col"))):
        for name in sorted(set().union(*(names.get(fn, set()) for fn in fns))):
            rec = claims[name]
            out_path = rec.get("path") or rec.get("output")
            sha = None
            if out_path:
                full = config.project_path(out_path)
                sha = sha256_file(full) if full.is_file() else outputs.get(out_path, {}).get("sha256")
            data_sha = rec["value"].get("sha256") if kind == "figure" else rec.get("sha256")
            rows.append({
                "item": kind, "claim": name, "label": rec.get("label"), "stage": rec.get("stage"),
                "notebook": rec.get("notebook"), "cell": rec.get("cell"), "output": out_path,
                "output_sha256": sha, "data_sha256": data_sha,
                "inputs": [{"path": p, "sha256": s, "made_by": outputs.get(p, {}).get("stage")}
                           for p, s in sorted((rec.get("inputs") or {}).items())
                           if name not in item_inputs
                           or any(_matches(p, suf) for suf in _input_suffixes(item_inputs[name]))],
            })
    return rows


# --------------------------------------------------------------------------- build

_HTML_STYLE = (
    "<style>body{max-width:46rem;margin:2rem auto;padding:0 1rem;font-family:Georgia,'Times New Roman',serif;"
    "line-height:1.5;color:#111}h1,h2,h3{font-family:Helvetica,Arial,sans-serif}"
    "figure{margin:1.5rem 0}figure img{max-width:100%;height:auto}figcaption{font-size:.9rem}"
    "table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}td,th{padding:.2rem .5rem;"
    "border-bottom:1px solid #ccc;text-align:left}code{font-size:.85rem}</style>"
)


def _figure_files(claims: Mapping[str, Mapping[str, Any]], names: set[str], figures_dir: Path,
                  staging: Path) -> dict[str, str]:
    """Copy each looked-up figure's SVG into *staging*/figures; name -> path relative to staging."""
    out = {}
    for name in sorted(names):
        path = claims[name].get("path") or ""
        stem = Path(path).stem
        src = figures_dir / f"{stem}.svg"
        if not src.is_file():
            raise InputError(f"figure claim {name!r}: {src.name} not found in {config.relative_to_root(figures_dir)} "
                             "(run the figures stage)")
        dst = staging / "figures" / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        out[name] = {"path": f"figures/{src.name}", "width_mm": _svg_width_mm(src)}
    return out


def _svg_width_mm(path: Path) -> float:
    """Printed width of a matplotlib SVG (its ``width="...pt"`` attribute) in mm: mm = pt * 25.4 / 72."""
    head = path.read_text(encoding="utf-8")[:2000]
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', head)
    if m is None:
        raise InputError(f"{path.name}: no width in pt on its <svg> element (not a matplotlib SVG?)")
    return float(m.group(1)) * 25.4 / 72.0


def build_paper(results_dir: str | Path = config.RESULTS_DIR, figures_dir: str | Path = config.FIGURES_DIR,
                out_dir: str | Path = config.PAPER_DIR / "build", *, template: str | Path = TEMPLATE,
                state: Mapping[str, Any] | None = None, data: Any = None) -> dict[str, Path]:
    """Build ``paper.pdf``, ``paper.html`` and ``provenance.json`` in *out_dir* from the run's claims.

    Claims are read from ``{results_dir}/claims/*.json``; figures (SVG) from
    *figures_dir*. Raises :class:`InputError` listing every lookup of the
    template without a claim. *state*: the pipeline state (fresher than
    ``results/manifest.json`` while the pipeline runs) for the provenance.
    *data*: the :class:`analysis.datasets.DataIdentity` of the analysed raw
    data (default: that of ``data/raw/``); the abstract and the data section say
    from it whether the stand-in or other data were analysed.
    Returns ``{"pdf", "html", "provenance"}`` paths.
    """
    import typst

    from analysis.claims import load_claims

    results_dir, figures_dir, out_dir = Path(results_dir), Path(figures_dir), Path(out_dir)
    template = Path(template)
    text = template.read_text(encoding="utf-8")
    claims = load_claims(results_dir / "claims")
    problems = check_template(text, claims)
    if problems:
        raise InputError(f"paper template {template.name}: {len(problems)} lookup(s) without a claim "
                         "(record them in the stage notebooks, then rerun):\n  " + "\n  ".join(problems))
    names = template_references(text, claims)   # the lookups of the blocks the paper shows
    prov = provenance(claims, names, _outputs_index(results_dir, state))
    with tempfile.TemporaryDirectory(prefix="paper-") as tmp:
        staging = Path(tmp)
        figs = _figure_files(claims, names["fig"], figures_dir, staging)
        values = paper_values(claims, names, figs)
        for key, stand_ins in hidden_values(text, claims).items():
            values[key] = {**stand_ins, **values[key]}
        values["recorded"] = sorted(n for n in guard_names(text) if n in claims)   # for #when / #unless
        values["provenance"] = prov
        values["data"] = data_statement(data)
        (staging / "values.json").write_text(json.dumps(values, sort_keys=True, ensure_ascii=False, indent=1),
                                             encoding="utf-8")
        shutil.copyfile(template, staging / "paper.typ")
        for extra in sorted([*template.parent.glob("*.typ"), *template.parent.glob("*.yml")]):
            if extra.name != template.name:
                shutil.copyfile(extra, staging / extra.name)
        try:
            pdf = typst.compile(str(staging / "paper.typ"), root=str(staging), format="pdf",
                                ignore_system_fonts=True, sys_inputs={"target": "pdf"})
            html = typst.compile(str(staging / "paper.typ"), root=str(staging), format="html",
                                 ignore_system_fonts=True, sys_inputs={"target": "html"})
        except RuntimeError as exc:  # typst reports compile errors as RuntimeError
            raise InputError(f"paper template {template.name}: typst could not compile it: {exc}") from None
    html_text = html.decode("utf-8").replace("</head>", _HTML_STYLE + "</head>", 1)
    return {
        "pdf": atomic_write_bytes(out_dir / "paper.pdf", pdf),
        "html": atomic_write_bytes(out_dir / "paper.html", html_text.encode("utf-8")),
        "provenance": write_json(prov, out_dir / "provenance.json"),
    }


def data_statement(data: Any = None) -> dict[str, str]:
    """``values.json``'s ``data``: which data the paper describes (kind, digest, sentence)."""
    from analysis import datasets

    ident = datasets.identify(config.RAW_DIR) if data is None else data
    return {"kind": ident.kind, "digest": ident.digest[:16], "sentence": datasets.describe(ident)}


def paper_stage(run: Any, **params: Any) -> dict[str, Path]:
    """The pipeline's last stage: build the paper of *run* (an :class:`analysis.pipeline.Run`).

    Reads ``run.results/claims`` and ``run.figures``; writes ``run.paper/build``.
    The parameters are accepted for the pipeline's call and not used: every
    value comes from the claims.
    """
    from analysis.pipeline import load_state

    return build_paper(run.results, run.figures, Path(run.paper) / "build", state=load_state(run),
                       data=getattr(run, "data", None))

"""The pipeline: ordered stages, papermill execution, up-to-date checks, manifest.

A stage is a parameterised notebook in `notebooks/` (or, for the last step, a
Python function). Stages run in a fixed order. A stage is skipped when all of
these are unchanged since its last successful run (content hashes):

* its input files,
* the parameters it receives,
* its notebook's code (code cells, not outputs nor the injected parameters),
* the `analysis` modules its code imports (followed transitively) and the data
  files that sit beside them (codebooks),
* the lock file (`requirements.lock`),

and its outputs are still there as written. `python -m analysis why STAGE`
says which of these changed. The state of a stage is dropped before it runs and
written only after it succeeds, so an interrupted stage is never taken as done.
A failed stage's executed notebook is kept (with the traceback) under
`<run>/notebooks/_failed/`.

The default run reads `data/raw/` and writes `data/processed/`, `results/`,
`figures/` and the executed notebooks in `notebooks/` (committed, so a reviewer
can read them without running anything). A run on another raw-data folder
(`--data-dir`) or with any parameter changed from its default writes every
output under `runs/<label>/` instead and leaves the default outputs alone.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from analysis import config, datasets
from analysis.errors import InputError
from analysis.io import PIPELINE_ENV, atomic_write_bytes, read_json, sha256_file, write_json
from analysis.nbcells import code_cells
from analysis.params import ParamSpace, load_params

# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class Stage:
    """One pipeline stage.

    *inputs* and *outputs* are path templates with the placeholders `{raw}`,
    `{processed}`, `{results}`, `{figures}` and `{paper}`; an output ending in
    `/` is a folder the stage owns (every file in it is an output).
    """

    name: str
    notebook: str | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    description: str
    function: str | None = None  # "module:function" for a Python stage

    def title(self) -> str:
        return f"{self.name} ({self.notebook or self.function})"


#: The publication figures of stage 06 (each saved as PDF, SVG and PNG).
FIGURES = ("fig1_scales", "fig2_correlations", "fig3_calibration", "fig4_necessity", "fig5_xy_paths",
           "fig6_configurations", "fig7_coefficients", "fig8_qca_vs_regression", "fig9_robustness")

#: The stages in the order they run.
STAGES: tuple[Stage, ...] = (
    Stage(
        name="prepare",
        notebook="01_prepare.ipynb",
        inputs=("{raw}/staff_survey.csv", "{raw}/participants.csv", "{raw}/contacts.csv"),
        outputs=("{processed}/staff.csv",),
        description="validate the raw tables and build the worker-level table",
    ),
    Stage(
        name="psychometrics",
        notebook="02_psychometrics.ipynb",
        inputs=("{processed}/staff.csv",),
        outputs=("{processed}/scores.csv", "{results}/psychometrics/", "{results}/claims/psychometrics.json"),
        description="score the staff scales; reliability, item analysis, factor structure",
    ),
    Stage(
        name="calibration",
        notebook="03_calibration.ipynb",
        inputs=("{processed}/staff.csv", "{processed}/scores.csv"),
        outputs=("{processed}/calibrated.csv", "{results}/calibration/", "{figures}/calibration/",
                 "{results}/claims/calibration.json"),
        description="calibrate conditions and outcome into fuzzy sets; anchors, skewness, crossover checks",
    ),
    Stage(
        name="qca",
        notebook="04_qca.ipynb",
        inputs=("{processed}/calibrated.csv", "{processed}/staff.csv", "{processed}/scores.csv",
                "{results}/calibration/anchors.csv"),
        outputs=("{results}/qca/", "{results}/claims/qca.json"),
        description="necessity, truth table, solutions, configuration chart, robustness, permutation test",
    ),
    Stage(
        name="regression",
        notebook="05_regression.ipynb",
        inputs=("{processed}/staff.csv", "{processed}/scores.csv", "{processed}/calibrated.csv",
                "{raw}/participants.csv"),
        outputs=("{results}/regression/", "{figures}/regression/", "{results}/claims/regression.json"),
        description="worker- and participant-level regression models and their comparison with the QCA",
    ),
    Stage(
        name="figures",
        notebook="06_figures.ipynb",
        inputs=("{processed}/staff.csv", "{processed}/scores.csv", "{processed}/calibrated.csv",
                "{results}/psychometrics/table1_descriptives_reliability.csv",
                "{results}/psychometrics/interscale_correlations.csv",
                "{results}/calibration/anchors.csv",
                "{results}/qca/necessity.csv", "{results}/qca/solutions.csv",
                "{results}/qca/configuration_chart.csv", "{results}/qca/summary.json",
                "{results}/qca/robustness.csv", "{results}/qca/robustness_paths.csv",
                "{results}/regression/{outcome}/worker_coefficients.csv",
                "{results}/regression/{outcome}/comparison_workers.csv",
                "{results}/regression/{outcome}/summary.json"),
        # files, not the figures/ folder: stages 03 and 05 own figures/calibration/ and figures/regression/
        outputs=tuple(f"{{figures}}/{stem}.{ext}" for stem in FIGURES for ext in ("pdf", "svg", "png"))
        + ("{results}/claims/figures.json",),
        description="publication figures, and their claims (the data behind each)",
    ),
    Stage(
        name="paper",
        notebook=None,
        function="analysis.paper:paper_stage",
        # every stage's claims: the paper looks up each number in the claims of the stage that made it
        inputs=("{results}/claims/psychometrics.json", "{results}/claims/calibration.json",
                "{results}/claims/qca.json", "{results}/claims/regression.json",
                "{results}/claims/figures.json", "{src}/paper/paper.typ", "{src}/paper/references.yml")
        + tuple(f"{{figures}}/{stem}.svg" for stem in FIGURES),
        outputs=("{paper}/build/paper.pdf", "{paper}/build/paper.html", "{paper}/build/provenance.json"),
        description="the paper (PDF and HTML) built from the claims and figures",
    ),
)


def stage_names(stages: tuple[Stage, ...] = STAGES) -> list[str]:
    return [s.name for s in stages]


def get_stage(name: str, stages: tuple[Stage, ...] = STAGES) -> Stage:
    """The stage called *name*; InputError listing the valid names otherwise."""
    for s in stages:
        if s.name == name:
            return s
    raise InputError(f"unknown stage {name!r}; valid stages: " + ", ".join(stage_names(stages)))


# --------------------------------------------------------------------------- runs


@dataclass
class Run:
    """Where one run reads and writes: the default run or a separate one under runs/."""

    root: Path
    raw: Path
    out: Path  # folder holding processed/, results/, figures/, notebooks/ for this run
    label: str
    default: bool
    notebooks_src: Path
    stages: tuple[Stage, ...] = STAGES
    params_file: Path = config.PARAMS_FILE
    lock_file: Path = config.LOCK_FILE
    #: parameter values of the run, for templates such as `{outcome}`
    params: dict[str, Any] = field(default_factory=dict)
    #: which data the run analyses (stand-in or other), from their checksums
    data: datasets.DataIdentity | None = None
    #: the folder the data owner gave (*raw* becomes the pseudonymised copy for other data)
    source_raw: Path | None = None

    @property
    def private(self) -> Path:
        """The run's private folder: the pseudonymised raw copy and the re-identification key."""
        return self.out / "private"

    @property
    def release(self) -> Path:
        """The run's release folder: the outputs meant for sharing, after disclosure control."""
        return self.out / "release"

    @property
    def standin(self) -> bool:
        """True when the run analyses the shipped synthetic stand-in."""
        return self.data is None or self.data.standin

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed" if self.default else self.out / "data" / "processed"

    @property
    def results(self) -> Path:
        return self.root / "results" if self.default else self.out / "results"

    @property
    def figures(self) -> Path:
        return self.root / "figures" if self.default else self.out / "figures"

    @property
    def paper(self) -> Path:
        return self.root / "paper" if self.default else self.out / "paper"

    @property
    def notebooks_out(self) -> Path:
        return self.notebooks_src if self.default else self.out / "notebooks"

    @property
    def state_file(self) -> Path:
        return (self.root / ".pipeline" if self.default else self.out / ".pipeline") / "state.json"

    @property
    def manifest_file(self) -> Path:
        return self.results / "manifest.json"

    def rel(self, path: Path) -> str:
        """*path* relative to the project root when inside it (POSIX), else absolute."""
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return Path(path).resolve().as_posix()

    def expand(self, template: str) -> Path:
        """A path template's path: `{raw}` ... `{paper}` or `{src}` (the project's own
        sources) first, then parameters such as `{outcome}` in the rest."""
        mapping = {"raw": self.raw, "processed": self.processed, "results": self.results,
                   "figures": self.figures, "paper": self.paper, "src": self.root}
        head, _, tail = template.partition("/")
        key = head.strip("{}")
        if key not in mapping:
            raise ValueError(f"bad path template {template!r}")
        for name, value in self.params.items():
            tail = tail.replace("{" + name + "}", str(value))
        return mapping[key] / tail if tail else mapping[key]

    def dirs_for_notebook(self) -> dict[str, str]:
        return {"raw_dir": self.rel(self.raw), "processed_dir": self.rel(self.processed),
                "results_dir": self.rel(self.results), "figures_dir": self.rel(self.figures)}


def make_run(data_dir: str | Path | None = None, overrides: dict[str, Any] | None = None,
             *, root: Path = config.ROOT, stages: tuple[Stage, ...] = STAGES,
             params_file: Path | None = None) -> Run:
    """The run for *data_dir* (default `data/raw`) and the changed parameters.

    `data/raw/` must hold the shipped stand-in (its checksums in
    `data/standin.sha256`); other files there are refused with a message saying
    where real data go. A run on other data is labelled by a digest of the
    files' contents (`data-<16 hex digits>`), never by the folder's name alone,
    and writes only under `runs/<label>/`.
    """
    raw_default = root / "data" / "raw"
    raw = Path(data_dir).resolve() if data_dir is not None else raw_default
    if not raw.is_dir():
        raise InputError(f"--data-dir {data_dir}: no such folder")
    default_data = raw.resolve() == raw_default.resolve()
    checksums_file = root / "data" / "standin.sha256"
    checksums = datasets.standin_checksums(checksums_file) if checksums_file.is_file() else None
    if checksums is not None:
        ident = datasets.identify(raw, checksums=checksums)
        if default_data and not ident.standin:
            datasets.check_raw_folder(raw)  # raises, naming the changed files and where real data go
        if not default_data and root.resolve() == config.ROOT.resolve():
            datasets.check_other_folder(raw)
    else:  # a project without a recorded stand-in (the tests' small projects): its data/raw is its default
        ident = datasets.identify(raw, checksums={})
        ident = datasets.DataIdentity(ident.folder, ident.files, ident.digest, standin=default_data)
    overrides = overrides or {}
    parts = [] if default_data else [ident.label]
    parts += [f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in sorted(overrides.items())]
    label = re.sub(r"[^A-Za-z0-9_.,=-]+", "_", "__".join(parts)) if parts else "default"
    default = default_data and not overrides
    run = Run(root=root, raw=raw, out=root / "runs" / label, label=label, default=default,
              notebooks_src=root / "notebooks", stages=stages,
              params_file=params_file or root / "params.yaml", lock_file=root / "requirements.lock",
              data=ident, source_raw=raw)
    if needs_pseudonyms(run):
        run.raw = run.private / "pseudonymised"  # the stages read the copy pseudonymise_inputs writes
    return run


# --------------------------------------------------------------------------- fingerprints

_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def notebook_code(path: Path) -> list[str]:
    """The code cells' sources of a notebook, without papermill's injected parameters."""
    return [src for _, src in code_cells(path, skip_injected=True)]


def _imported_analysis_modules(source: str, package_root: Path, current: str | None = None) -> set[str]:
    """Names of `analysis.*` modules that *source* imports (absolute and relative)."""
    try:
        tree = ast.parse(_MAGIC.sub("", source))
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "analysis" or alias.name.startswith("analysis."):
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level and current:
                base = current.split(".")
                # a module's package: drop the module name, then one level per extra dot
                pkg = base[: len(base) - node.level]
                mod = ".".join(pkg + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod == "analysis" or mod.startswith("analysis."):
                found.add(mod)
                for alias in node.names:  # `from analysis import qca` imports a submodule
                    found.add(f"{mod}.{alias.name}")
    return {m for m in found if _module_file(m, package_root) is not None}


def _module_file(module: str, package_root: Path) -> Path | None:
    parts = module.split(".")[1:]
    base = package_root.joinpath(*parts) if parts else package_root
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def code_closure(sources: list[str], package_root: Path) -> dict[str, Path]:
    """Every `analysis` module the code imports, transitively, with its file.

    Parent packages are included (importing `analysis.qca.fit` runs
    `analysis/qca/__init__.py`).
    """
    todo: list[tuple[str, str | None]] = [(s, None) for s in sources]
    seen: dict[str, Path] = {}
    while todo:
        source, current = todo.pop()
        for mod in _imported_analysis_modules(source, package_root, current):
            parts = mod.split(".")
            for i in range(1, len(parts) + 1):
                name = ".".join(parts[:i])
                if name in seen:
                    continue
                path = _module_file(name, package_root)
                if path is None:
                    continue
                seen[name] = path
                # relative imports resolve against the module's package: for a
                # package's __init__ that is the package itself
                current_name = name + ".__init__" if path.name == "__init__.py" else name
                todo.append((path.read_text(encoding="utf-8"), current_name))
    return dict(sorted(seen.items()))


def code_fingerprint(sources: list[str], package_root: Path) -> tuple[str, dict[str, str]]:
    """sha256 over the closure's files and the data files beside them."""
    files: dict[str, str] = {}
    for _, path in code_closure(sources, package_root).items():
        files[path.relative_to(package_root.parent).as_posix()] = sha256_file(path)
        for data in sorted(path.parent.glob("*")):
            if data.is_file() and data.suffix in {".yaml", ".yml", ".json", ".csv"}:
                files[data.relative_to(package_root.parent).as_posix()] = sha256_file(data)
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return digest, files


def _text_hash(parts: list[str]) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclass
class Fingerprint:
    inputs: dict[str, str | None]
    params: dict[str, Any]
    params_sha: str
    notebook_sha: str
    code_sha: str
    code_files: dict[str, str]
    lock_sha: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def stage_inputs(run: Run, stage: Stage) -> list[Path]:
    return [run.expand(t) for t in stage.inputs]


def stage_outputs(run: Run, stage: Stage) -> list[Path]:
    """Every output file of *stage* that exists now (folders expanded, sorted)."""
    files: list[Path] = []
    for template in stage.outputs:
        path = run.expand(template.rstrip("/"))
        if template.endswith("/"):
            if path.is_dir():
                files.extend(p for p in sorted(path.rglob("*"))
                             if p.is_file() and not p.name.startswith("."))
        elif path.exists():
            files.append(path)
    return files


def stage_fingerprint(run: Run, stage: Stage, space: ParamSpace, values: dict[str, Any]) -> Fingerprint:
    """The content hashes that decide whether *stage* is up to date."""
    inputs = {}
    for path in stage_inputs(run, stage):
        inputs[run.rel(path)] = sha256_file(path) if path.is_file() else None
    if stage.notebook:
        sources = notebook_code(run.notebooks_src / stage.notebook)
    else:
        module = (stage.function or "").split(":")[0]
        sources = [f"import {module}"]
    params = space.for_stage(stage.name, values)
    code_sha, code_files = code_fingerprint(sources, run.root / "analysis")
    lock_sha = sha256_file(run.lock_file) if run.lock_file.is_file() else ""
    return Fingerprint(inputs=inputs, params=params, params_sha=space.fingerprint(stage.name, values),
                       notebook_sha=_text_hash(sources), code_sha=code_sha, code_files=code_files,
                       lock_sha=lock_sha)


# --------------------------------------------------------------------------- state


def load_state(run: Run, *, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The run's recorded stage states; {} (everything reruns) when absent or not well formed.

    A state file that is not JSON, not an object, or whose entries lack the
    recorded fingerprint and outputs (hand-edited, truncated, from another
    version) is set aside as `state.json.invalid` with a one-line note, so the
    run starts clean instead of failing.
    """
    path = run.state_file
    if not path.exists():
        return {}
    problem = None
    try:
        state = read_json(path)
    except (OSError, ValueError) as exc:
        state, problem = None, f"not readable as JSON ({type(exc).__name__})"
    if problem is None and not isinstance(state, dict):
        problem = f"a JSON {type(state).__name__}, not an object"
    if problem is None:
        for name, entry in state.items():
            if not (isinstance(entry, dict) and isinstance(entry.get("fingerprint"), dict)
                    and isinstance(entry.get("outputs"), dict)
                    and all(k in entry["fingerprint"] for k in
                            ("inputs", "params", "params_sha", "notebook_sha", "code_sha", "code_files",
                             "lock_sha"))):
                problem = f"the entry {name!r} lacks its fingerprint or outputs"
                break
    if problem is None:
        return state
    msg = (f"note: {run.rel(path)} is {problem}; set aside as {path.name}.invalid, "
           "every stage will rerun")
    try:
        path.replace(path.with_name(path.name + ".invalid"))
    except OSError:
        pass
    (echo or (lambda m: print(m, file=sys.stderr)))(msg)
    return {}


def save_state(run: Run, state: dict[str, Any]) -> None:
    write_json(state, run.state_file)


def why(run: Run, stage: Stage, space: ParamSpace, values: dict[str, Any],
        state: dict[str, Any] | None = None) -> list[str]:
    """Reasons *stage* would rerun; empty when it is up to date."""
    run.params = dict(values)
    state = load_state(run) if state is None else state
    entry = state.get(stage.name)
    if entry is None:
        return ["no successful run recorded (never run, interrupted or failed)"]
    fp = stage_fingerprint(run, stage, space, values)
    old = entry["fingerprint"]
    reasons = []
    for path, sha in fp.inputs.items():
        if sha is None:
            reasons.append(f"input {path} is missing")
        elif old["inputs"].get(path) != sha:
            reasons.append(f"input {path} changed")
    if fp.params_sha != old["params_sha"]:
        changed = sorted(k for k in set(fp.params) | set(old["params"])
                         if fp.params.get(k) != old["params"].get(k))
        reasons.append("parameters changed: " + ", ".join(
            f"{k} {old['params'].get(k)!r} -> {fp.params.get(k)!r}" for k in changed))
    if fp.notebook_sha != old["notebook_sha"]:
        reasons.append(f"notebook code changed ({stage.notebook})")
    if fp.code_sha != old["code_sha"]:
        files = sorted(k for k in set(fp.code_files) | set(old["code_files"])
                       if fp.code_files.get(k) != old["code_files"].get(k))
        reasons.append("package code changed: " + ", ".join(files))
    if fp.lock_sha != old["lock_sha"]:
        reasons.append("the lock file (requirements.lock) changed")
    for path, sha in (entry.get("notebook") or {}).items() if fp.notebook_sha == old["notebook_sha"] else ():
        p = run.root / path if not Path(path).is_absolute() else Path(path)
        if p.is_file() and sha256_file(p) != sha:  # same code, other bytes: its outputs were edited
            reasons.append(f"executed notebook {path} was modified after the run (its displayed results "
                           "may no longer be the run's)")
    recorded = entry.get("outputs", {})
    for path, sha in recorded.items():
        p = run.root / path if not Path(path).is_absolute() else Path(path)
        if not p.is_file():
            reasons.append(f"output {path} is missing")
        elif sha256_file(p) != sha:
            reasons.append(f"output {path} was modified")
    return reasons


# --------------------------------------------------------------------------- environment


def lock_pins(lock_file: Path) -> dict[str, str]:
    """Package -> version pinned in the lock for this interpreter (markers evaluated)."""
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    if not lock_file.is_file():
        return pins
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if not m:
            continue
        name, version, marker = m.group(1), m.group(2), m.group(3)
        if marker and not Marker(marker).evaluate():
            continue
        pins[canonicalize_name(name.split("[")[0])] = version
    return pins


def environment_drift(lock_file: Path) -> list[str]:
    """Installed packages whose version differs from the lock (or are missing)."""
    drift = []
    for name, version in sorted(lock_pins(lock_file).items()):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            drift.append(f"{name}: locked {version}, not installed")
            continue
        if installed != version:
            drift.append(f"{name}: locked {version}, installed {installed}")
    return drift


def installed_versions(lock_file: Path) -> dict[str, str]:
    out = {}
    for name in sorted(lock_pins(lock_file)):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None  # type: ignore[assignment]
    return out


# --------------------------------------------------------------------------- notebook execution

_VOLATILE_CELL_META = ("papermill", "execution", "collapsed", "scrolled")


def _scrub_paths(text: str, root: Path) -> str:
    """Replace this machine's paths in printed output with neutral markers."""
    text = text.replace(str(root.resolve()) + "/", "")
    text = text.replace(str(root.resolve()), ".")
    text = re.sub(r"(/[^\s'\"]+)?/site-packages/", "<site-packages>/", text)
    text = re.sub(r"/[^\s'\"]*/lib/python3\.\d+/", "<python-lib>/", text)
    return text


def merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r"""Consecutive stream outputs of one stream (stdout, stderr) merged into one.

    How a kernel splits printed text into messages depends on timing; merged,
    the executed notebook is the same bytes on every run (nbval compares them
    merged too).

    >>> merge_streams([{"output_type": "stream", "name": "stdout", "text": "a\n"},
    ...                {"output_type": "stream", "name": "stdout", "text": ["b\n", "c"]}])
    [{'output_type': 'stream', 'name': 'stdout', 'text': 'a\nb\nc'}]
    """
    merged: list[dict[str, Any]] = []
    for out in outputs:
        text = out.get("text")
        if isinstance(text, list):
            text = "".join(text)
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = prev["text"] + text
            continue
        if out.get("output_type") == "stream":
            out = {**out, "text": text}
        merged.append(out)
    return merged


#: Environment of every notebook kernel the pipeline starts: BLAS and OpenMP on
#: one thread, so results do not depend on the machine's number of cores (the
#: matrices are small; a thread pool changes the order of floating-point sums).
KERNEL_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}

#: Seconds a notebook kernel may take to start (papermill's default is 60): a
#: loaded machine can be slow to start one.
KERNEL_START_TIMEOUT = 300


def tidy_notebook(nb: dict[str, Any], root: Path, parameters: dict[str, Any], lock_sha: str) -> dict[str, Any]:
    """Drop volatile metadata (timings, paths) and record the parameters and lock hash."""
    meta = nb.setdefault("metadata", {})
    meta.pop("papermill", None)
    meta.pop("widgets", None)
    meta["sbw_compendium"] = {"parameters": parameters, "lock_sha256": lock_sha}
    ids = set()
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("outputs"):
            cell["outputs"] = merge_streams(cell["outputs"])
        cmeta = cell.get("metadata", {})
        # papermill gives its injected cell a random id: make it stable
        if "injected-parameters" in cmeta.get("tags", []):
            cell["id"] = "injected-parameters"
        elif not cell.get("id") or cell["id"] in ids:
            cell["id"] = f"cell-{i}"
        ids.add(cell["id"])
        for key in _VOLATILE_CELL_META:
            cmeta.pop(key, None)
        for out in cell.get("outputs", []):
            if "text" in out:
                txt = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
                out["text"] = _scrub_paths(txt, root)
            for key, value in list(out.get("data", {}).items()):
                if key.startswith("text/"):
                    txt = "".join(value) if isinstance(value, list) else value
                    out["data"][key] = _scrub_paths(txt, root)
            if "traceback" in out:
                out["traceback"] = [_scrub_paths(t, root) for t in out["traceback"]]
    return nb


def execute_notebook(run: Run, stage: Stage, parameters: dict[str, Any], lock_sha: str) -> Path:
    """Run *stage*'s notebook with papermill; write it atomically to the run's notebooks."""
    import nbformat
    import papermill as pm

    src = run.notebooks_src / stage.notebook
    target = run.notebooks_out / stage.notebook
    tmp_dir = run.state_file.parent / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / stage.notebook
    failed_dir = run.notebooks_out / "_failed"
    # the kernel's own stderr (its log, and its asyncio noise when a run is stopped) goes
    # to a log beside the state, not to the user's terminal: the kernel inherits fd 2
    log = open(run.state_file.parent / f"kernel-{stage.name}.log", "wb")  # noqa: SIM115 - closed below
    saved_stderr = os.dup(2)
    try:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)
        os.environ.update(KERNEL_ENV)  # the kernel inherits this process's environment
        os.environ["SBW_PIPELINE_PID"] = str(os.getpid())  # it and its workers end with us (analysis._watchdog)
        pm.execute_notebook(str(src), str(tmp), parameters=parameters, kernel_name="python3",
                            cwd=str(run.root), progress_bar=False, log_output=False,
                            start_timeout=KERNEL_START_TIMEOUT,
                            # the kernel talks to us over loopback only; its TCP warning is noise
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: no failed notebook, the stage simply did not finish
        tmp.unlink(missing_ok=True)
        raise
    except BaseException as exc:
        if tmp.is_file():
            nb = json.loads(tmp.read_text(encoding="utf-8"))
            tidy_notebook(nb, run.root, parameters, lock_sha)
            failed: Path | None = failed_dir / stage.notebook
            try:
                atomic_write_bytes(failed, (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode())
            except OSError:  # a read-only or full output folder: report the stage's own error
                failed = None
            tmp.unlink()
            if isinstance(exc, pm.PapermillExecutionError):
                raise StageFailed(stage, failed, f"{exc.ename}: {exc.evalue}") from None
            raise StageFailed(stage, failed, f"{type(exc).__name__}: {exc}") from exc
        raise
    finally:
        sys.stderr.flush()
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        log.close()
    nb = json.loads(tmp.read_text(encoding="utf-8"))
    tidy_notebook(nb, run.root, parameters, lock_sha)
    nbformat.validate(nbformat.from_dict(nb))
    text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    atomic_write_bytes(target, text.encode("utf-8"))
    tmp.unlink()
    stale = failed_dir / stage.notebook
    if stale.is_file():
        stale.unlink()
    return target


class StageFailed(RuntimeError):
    """A stage's notebook or function raised; its executed notebook is kept."""

    def __init__(self, stage: Stage, notebook: Path | None, message: str):
        super().__init__(f"stage {stage.name} failed: {message}")
        self.stage = stage
        self.notebook = notebook
        self.message = message


# --------------------------------------------------------------------------- running


@dataclass
class StageReport:
    name: str
    status: str  # "ran", "skipped"
    seconds: float
    outputs: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _upstream(run: Run, target: str) -> list[Stage]:
    """*target* and every earlier stage it (transitively) takes inputs from."""
    order = list(run.stages)
    idx = {s.name: i for i, s in enumerate(order)}
    needed = {target}
    for s in reversed(order[: idx[target] + 1]):
        if s.name not in needed:
            continue
        wanted = {run.expand(t) for t in s.inputs}
        for up in order[: idx[s.name]]:
            outs = [run.expand(t.rstrip("/")) for t in up.outputs]
            if any(w == o or (t.endswith("/") and o in w.parents)
                   for w in wanted for o, t in zip(outs, up.outputs)):
                needed.add(up.name)
    return [s for s in order if s.name in needed]


def run_pipeline(run: Run, values: dict[str, Any], space: ParamSpace, *,
                 only: str | None = None, force: bool = False,
                 echo: Callable[[str], None] = print) -> list[StageReport]:
    """Run the stages of *run* in order (or *only* and what it needs), skipping up-to-date ones."""
    run.params = dict(values)
    # this process and the kernels it starts write where the run says (see analysis.io.output_path)
    os.environ[PIPELINE_ENV] = run.label
    stages = _upstream(run, only) if only else list(run.stages)
    drift = environment_drift(run.lock_file)
    if drift:
        echo("warning: installed packages differ from requirements.lock (results may differ):")
        for line in drift[:20]:
            echo(f"  {line}")
        if len(drift) > 20:
            echo(f"  ... and {len(drift) - 20} more")
    lock_sha = sha256_file(run.lock_file) if run.lock_file.is_file() else ""
    if needs_pseudonyms(run):
        echo(f"data other than the shipped stand-in: identifiers pseudonymised into "
             f"{run.rel(run.private)}/ (the key stays there; never share that folder)")
        pseudonymise_inputs(run)
    state = load_state(run, echo=echo)
    reports = []
    total = len(stages)
    for i, stage in enumerate(stages, 1):
        head = f"[{i}/{total}] {stage.name}"
        forced = force and (only is None or stage.name == only)  # `run X --force` forces X only
        reasons = ["--force"] if forced else why(run, stage, space, values, state)
        if not reasons:
            echo(f"{head}: up to date, skipped")
            reports.append(StageReport(stage.name, "skipped", 0.0,
                                       outputs=sorted(state[stage.name]["outputs"])))
            continue
        echo(f"{head}: running ({reasons[0]}{' ...' if len(reasons) > 1 else ''})")
        missing = [run.rel(p) for p in stage_inputs(run, stage) if not p.exists()]
        if missing:
            raise InputError(f"stage {stage.name}: missing input(s) " + ", ".join(missing))
        fp = stage_fingerprint(run, stage, space, values)
        state.pop(stage.name, None)
        save_state(run, state)  # an interrupted stage is never taken as done
        start = time.perf_counter()
        params = {**run.dirs_for_notebook(), **fp.params}
        if stage.notebook:
            nb_path = execute_notebook(run, stage, params, lock_sha)
        else:
            module, func = (stage.function or "").split(":")
            fn = getattr(__import__(module, fromlist=[func]), func)
            try:
                fn(run=run, **fp.params)
            except InputError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported with the stage's name
                raise StageFailed(stage, None, f"{type(exc).__name__}: {exc}") from exc
            nb_path = None
        seconds = time.perf_counter() - start
        outputs = {run.rel(p): sha256_file(p) for p in stage_outputs(run, stage)}
        # the executed notebook is listed in the manifest, but it is not checked
        # as an output: in the default run it is also the stage's source
        executed = {run.rel(nb_path): sha256_file(nb_path)} if nb_path is not None else {}
        state[stage.name] = {"fingerprint": fp.to_dict(), "outputs": outputs, "notebook": executed}
        save_state(run, state)
        echo(f"{head}: done in {seconds:.1f} s, {len(outputs)} output file(s)")
        reports.append(StageReport(stage.name, "ran", seconds, outputs=sorted(outputs), reasons=reasons))
    write_manifest(run, state, values, space)
    if needs_pseudonyms(run) and only is None:
        findings = build_release(run, k=DISCLOSURE_K)
        echo(f"release copy for sharing: {run.rel(run.release)}/ (small cells < {DISCLOSURE_K} suppressed); "
             + (f"disclosure check found {len(findings)} item(s) to review, listed in "
                f"{run.rel(run.release)}/DISCLOSURE.md" if findings else
                "disclosure check: no raw identifier and no small cell found"))
    return reports


# --------------------------------------------------------------------------- other (possibly real) data

#: Cells of release tables with fewer cases than this are suppressed (a common
#: threshold rule of statistical disclosure control, e.g. ONS and NHS Digital).
DISCLOSURE_K = 5


def needs_pseudonyms(run: Run) -> bool:
    """A run on other data with the study's raw files: identifiers are pseudonymised first."""
    return (not run.standin and run.source_raw is not None
            and all((run.source_raw / n).is_file() for n in datasets.RAW_FILES))


def pseudonymise_inputs(run: Run) -> Path:
    """Validate the owner's files, write their pseudonymised copy and key under the run's private/.

    Every stage then reads the copy (`run.raw`), so no output of any stage
    (processed tables, results, figures, notebooks, claims, paper) can hold a
    raw identifier. Validation runs on the original files, so an error names
    the owner's own file, line and column.
    """
    from analysis import disclosure
    from analysis.validate import load_raw

    assert run.source_raw is not None
    load_raw(run.source_raw)  # InputError with the full report, before anything is written
    disclosure.pseudonymise_folder(run.source_raw, run.raw, run.private)
    return run.raw


def build_release(run: Run, *, k: int = DISCLOSURE_K) -> list[Any]:
    """Copy the outputs meant for sharing into `run.release` with small cells suppressed; check them.

    Results (CSV with counts below *k* suppressed and their case lists blanked;
    JSON), figures, the paper and the executed notebooks. The copy is then
    scanned for the owner's raw identifiers and small cells
    (:func:`analysis.disclosure.scan`); the findings are written to
    `DISCLOSURE.md` in the release folder and returned.
    """
    import shutil

    import pandas as pd

    from analysis import disclosure
    from analysis.io import atomic_write_text, write_csv

    release = run.release
    if release.exists():
        shutil.rmtree(release)
    sources = [(run.results, release / "results"), (run.figures, release / "figures"),
               (run.paper / "build", release / "paper"), (run.notebooks_out, release / "notebooks")]
    suppressed = 0
    for src, dst in sources:
        if not src.is_dir():
            continue
        for path in sorted(src.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or "_failed" in path.parts:
                continue
            target = dst / path.relative_to(src)
            if path.suffix == ".csv":
                df = pd.read_csv(path, dtype=object, keep_default_na=False)
                counts = [c for c in df.columns if c.lower() in disclosure.COUNT_COLUMNS]
                if counts:
                    num = df.copy()
                    for c in counts:
                        num[c] = pd.to_numeric(df[c], errors="coerce")
                    out, n = disclosure.suppress_small_cells(num, k=k, count_columns=counts)
                    suppressed += n
                    write_csv(out, target)
                    continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    ids = disclosure.identifiers_from_raw(run.source_raw) if run.source_raw is not None else set()
    findings = disclosure.scan(release, identifiers=ids, k=k)
    lines = ["# Disclosure check of this release folder", "",
             f"Made by the pipeline from run `{run.label}`: rows of release tables with fewer than {k} cases "
             f"suppressed ({suppressed} row(s)); then scanned for the raw identifiers of the owner's files and "
             "for small cells (`python -m analysis disclosure-check` does the same).", ""]
    lines += ([f"{len(findings)} item(s) to review before sharing:", ""] + [f"- {f.message()}" for f in findings]
              if findings else ["No raw identifier and no small cell found."])
    atomic_write_text(release / "DISCLOSURE.md", "\n".join(lines) + "\n")
    return findings


def write_manifest(run: Run, state: dict[str, Any], values: dict[str, Any], space: ParamSpace) -> Path:
    """List every output with its sha256, the stage that wrote it, the parameters and versions."""
    outputs = []
    stages = {}
    for stage in run.stages:
        entry = state.get(stage.name)
        if entry is None:
            continue
        fp = entry["fingerprint"]
        stages[stage.name] = {
            "notebook": f"notebooks/{stage.notebook}" if stage.notebook else None,
            "function": stage.function,
            "parameters": fp["params"],
            "inputs": fp["inputs"],
            "code_sha256": fp["code_sha"],
        }
        for path, sha in sorted({**entry["outputs"], **entry.get("notebook", {})}.items()):
            outputs.append({"path": path, "sha256": sha, "stage": stage.name})
    manifest = {
        "run": run.label,
        "raw_data": run.rel(run.raw) if run.standin else "(other data; see data.digest)",
        "data": run.data.to_dict() if run.data is not None else None,
        "parameters": values,
        "lock_sha256": sha256_file(run.lock_file) if run.lock_file.is_file() else None,
        "python": ".".join(map(str, sys.version_info[:2])),
        "packages": installed_versions(run.lock_file),
        "stages": stages,
        "outputs": outputs,
    }
    return write_json(manifest, run.manifest_file)

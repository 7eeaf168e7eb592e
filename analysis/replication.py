"""The generated parts of README.md (Social Science Data Editors' replication template).

The README follows the template endorsed by the AEA. The parts that come
from the pipeline are rendered here, each between two markers in README.md::

    <!-- BEGIN generated:claims -->
    ... (rewritten by `python -m analysis.replication --write`)
    <!-- END generated:claims -->

Sections (:data:`SECTIONS`):

``claims``        every table, figure, in-text number and string of the paper, with
                  the label in the paper, the notebook and cell that make it
                  (from the published lock ``results/claims.lock.json``);
``outputs``       every output file and the stage and notebook that write it (lock);
``software``      the direct dependencies (``pyproject.toml``) with the versions
                  pinned in ``requirements.lock``, per Python version where they differ;
``requirements``  computational requirements: Python, hardware, runtime and storage
                  measured on the last full run (frozen in the lock), where the
                  random seeds are set (``params.yaml``, ``analysis.seeds``);
``data``          the raw data files shipped (rows, size, sha256).

Every input is a file in git (the lock, not ``results/``, which is not), so the
README can be checked in a fresh clone: :func:`stale_sections` lists the
sections whose text differs from what would be rendered now, and
``python -m analysis.replication --check`` exits 1 when there is one.

The runtime and storage come from the timing record the pipeline writes after
a run in which every stage ran (:func:`record_timing`, ``results/timing.json``);
``python -m analysis verify --update-lock`` freezes it into the lock with the
claims, so an ordinary rerun never makes the README stale.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Iterable

from analysis import config
from analysis.errors import InputError
from analysis.io import atomic_write_text, sha256_file, write_json

SECTIONS = ("claims", "outputs", "software", "requirements", "data")
README = config.ROOT / "README.md"
_BEGIN = "<!-- BEGIN generated:{} -->"
_END = "<!-- END generated:{} -->"
_BLOCK = re.compile(r"(<!-- BEGIN generated:([A-Za-z0-9_-]+) -->\n)(.*?)(<!-- END generated:\2 -->)", re.DOTALL)
_KIND_TITLE = {"table": "Tables", "figure": "Figures", "number": "In-text numbers", "text": "In-text results (text)"}


# --------------------------------------------------------------------------- timing


def _tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _memory_gb() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    except (ValueError, OSError, AttributeError):  # not on every platform
        return None


def record_timing(run: Any, reports: Iterable[Any], seconds: float) -> Path | None:
    """Write ``{run.results}/timing.json`` after a run in which every stage ran; else do nothing.

    Records the wall-clock seconds (total and per stage), the storage of the
    raw data and of each output folder, and the machine (OS, architecture,
    CPUs, memory, Python). *run* is an :class:`analysis.pipeline.Run`,
    *reports* the :class:`analysis.pipeline.StageReport` list of
    :func:`analysis.pipeline.run_pipeline`.
    """
    import datetime as dt

    reports = list(reports)
    if not reports or any(r.status != "ran" for r in reports) or len(reports) != len(run.stages):
        return None
    storage = {run.rel(p): _tree_bytes(p) for p in (run.raw, run.processed, run.results, run.figures,
                                                     run.notebooks_out)}
    mem = _memory_gb()
    record = {
        "measured_on": dt.datetime.now(dt.timezone.utc).date().isoformat(),
        "total_seconds": round(float(seconds), 1),
        "stages": {r.name: round(float(r.seconds), 1) for r in reports},
        "storage_bytes": storage,
        "machine": {"system": platform.system(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "memory_gb": None if mem is None else round(mem, 1),
                    "python": platform.python_version()},
    }
    return write_json(record, run.results / "timing.json")


# --------------------------------------------------------------------------- rendering helpers


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    m, s = divmod(int(round(seconds)), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def _runtime_bucket(seconds: float) -> str:
    """The template's runtime class: <10 minutes, 10-60 minutes, 1-2 hours, 2-8 hours, 8-24 hours, ..."""
    for limit, label in ((600, "< 10 minutes"), (3600, "10-60 minutes"), (7200, "1-2 hours"),
                         (28800, "2-8 hours"), (86400, "8-24 hours"), (259200, "1-3 days"),
                         (1209600, "3-14 days")):
        if seconds < limit:
            return label
    return "> 14 days"


def _storage_bucket(n: float) -> str:
    """The template's storage class: < 25 MB, 25 MB - 250 MB, 250 MB - 2 GB, 2 GB - 25 GB, ..."""
    mb = n / 1024 ** 2
    for limit, label in ((25, "< 25 MB"), (250, "25 MB - 250 MB"), (2048, "250 MB - 2 GB"),
                         (25600, "2 GB - 25 GB"), (256000, "25 GB - 250 GB"), (2097152, "250 GB - 2 TB")):
        if mb < limit:
            return label
    return "> 2 TB"


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock_file: Path) -> dict[str, list[tuple[str, str]]]:
    """Package -> [(version, marker)] from requirements.lock, every platform (markers kept, not evaluated)."""
    out: dict[str, list[tuple[str, str]]] = {}
    if not lock_file.is_file():
        return out
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if m:
            out.setdefault(_canon(m.group(1).split("[")[0]), []).append((m.group(2), (m.group(3) or "").strip()))
    return out


def direct_dependencies(pyproject: Path) -> tuple[list[str], str]:
    """(names of the direct dependencies incl. the test extra, requires-python) from pyproject.toml."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    deps = list(project.get("dependencies", [])) + list(project.get("optional-dependencies", {}).get("test", []))
    names = []
    for d in deps:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)", d)
        if m and _canon(m.group(1)) not in names:
            names.append(_canon(m.group(1)))
    return names, project.get("requires-python", "")


# --------------------------------------------------------------------------- sections


def _load_lock(lock_path: Path) -> dict[str, Any] | None:
    if not lock_path.is_file():
        return None
    from analysis.claims import read_lock

    return read_lock(lock_path)


def _no_lock() -> str:
    return ("_No published claims yet: run `make reproduce`, then `python -m analysis verify --update-lock` "
            "and `python -m analysis.replication --write`._\n")


def render_claims(lock: dict[str, Any] | None) -> str:
    """Every table, figure and in-text result with its label, notebook and cell."""
    if lock is None:
        return _no_lock()
    claims = lock["claims"]
    lines = [f"{len(claims)} results of the paper are recorded as claims and checked by "
             "`python -m analysis verify` (tolerance: numbers relative/absolute, text exact, figures by the "
             "data behind them). `python -m analysis trace NAME` shows where one comes from.", ""]
    for kind in ("table", "figure", "number", "text"):
        group = sorted((r for r in claims.values() if r["kind"] == kind), key=lambda r: r["name"])
        if not group:
            continue
        lines += [f"**{_KIND_TITLE[kind]}** ({len(group)})", "",
                  "| Claim | Label in the paper | Notebook | Cell | Output | Tolerance |",
                  "|---|---|---|---|---|---|"]
        from analysis.claims import show_tolerance

        for r in group:
            lines.append("| " + " | ".join(_md(x) for x in (
                f"`{r['name']}`", r.get("label") or "-", r.get("notebook") or r.get("stage") or "-",
                r.get("cell") or "-", r.get("output") or "-", show_tolerance(r))) + " |")
        lines.append("")
    return "\n".join(lines)


def render_outputs(lock: dict[str, Any] | None) -> str:
    """Every output file of the default run with the stage and notebook that write it."""
    if lock is None or not lock.get("outputs"):
        return _no_lock()
    stages = lock.get("stages", {})
    lines = ["| Output | Stage | Program |", "|---|---|---|"]
    for o in lock["outputs"]:
        st = stages.get(o["stage"], {})
        prog = st.get("notebook") or st.get("function") or "-"
        lines.append(f"| `{_md(o['path'])}` | {_md(o['stage'])} | `{_md(prog)}` |")
    return "\n".join(lines) + "\n"


def render_software(pyproject: Path, lock_file: Path) -> str:
    """The direct dependencies with the versions the lock pins (per Python version where they differ)."""
    names, requires = direct_dependencies(pyproject)
    pins = locked_versions(lock_file)
    lines = [f"- Python {requires or '3'} (the lock is resolved for Python 3.11 and newer, Linux, macOS, Windows)"]
    for name in sorted(names):
        versions = pins.get(name)
        if not versions:
            lines.append(f"- {name} (not in `requirements.lock`)")
        elif len({v for v, _ in versions}) == 1:
            lines.append(f"- {name}=={versions[0][0]}")
        else:
            lines.append(f"- {name}: " + "; ".join(f"{v} where `{mk}`" if mk else v for v, mk in versions))
    lines.append("")
    lines.append(f"All {len(pins)} pinned packages (direct and transitive, with hashes) "
                 "are in `requirements.lock`; `make` installs exactly them.")
    return "\n".join(lines) + "\n"


def render_requirements(lock: dict[str, Any] | None, params_file: Path) -> str:
    """Hardware, runtime and storage measured on the last full run, and where the seeds are set."""
    from analysis.params import load_params

    lines = []
    run = (lock or {}).get("run")
    if run:
        m = run.get("machine", {})
        mem = f", {m['memory_gb']} GB memory" if m.get("memory_gb") is not None else ""
        lines.append(f"- Hardware of the last full run ({run.get('measured_on', 'date not recorded')}): "
                     f"{m.get('system', '?')} {m.get('machine', '?')}, {m.get('cpus', '?')} CPUs{mem}, "
                     f"Python {m.get('python', '?')}. No GPU, no network at run time.")
        total = float(run.get("total_seconds", 0))
        lines.append(f"- Runtime of `make reproduce` (every stage, environment already installed): "
                     f"{_duration(total)} ({_runtime_bucket(total)}).")
        if run.get("stages"):
            lines.append("  Per stage: " + ", ".join(f"{k} {_duration(v)}" for k, v in run["stages"].items()) + ".")
        storage = run.get("storage_bytes", {})
        if storage:
            total_b = sum(storage.values())
            lines.append(f"- Storage: {_size(total_b)} ({_storage_bucket(total_b)}): "
                         + ", ".join(f"`{k}/` {_size(v)}" for k, v in storage.items())
                         + "; the environment (`.venv`) comes on top.")
    else:
        lines.append("- Runtime and storage: not measured yet (a full run records them in `results/timing.json`; "
                     "`python -m analysis verify --update-lock` publishes them).")
    space = load_params(params_file)
    seed = space.params.get("seed")
    if seed is not None:
        lines.append(f"- Randomness: one root seed, `seed: {seed.default}` in `params.yaml`; every random "
                     "generator of a stage is derived from it by name with `analysis.seeds` (`rng_for` / "
                     "`int_seed_for(seed, stage, purpose)`, numpy `SeedSequence`), and parallel jobs get "
                     "spawned child sequences, so results do not depend on execution order or on the number "
                     "of workers. A test fails on any unseeded generator in `analysis/` or "
                     "`notebooks/`.")
    try:
        from analysis.synth import DEFAULT_SEED

        lines.append(f"- The synthetic raw data were generated with `python -m analysis synth --seed "
                     f"{DEFAULT_SEED}`.")
    except ImportError:  # pragma: no cover
        pass
    return "\n".join(lines) + "\n"


def render_data(raw_dir: Path, root: Path | None = None) -> str:
    """The raw data files shipped: rows, size and sha256."""
    files = sorted(p for p in raw_dir.glob("*.csv") if p.is_file())
    if not files:
        return "_No raw data files in `data/raw/`._\n"
    lines = ["| File | Rows | Size | sha256 |", "|---|---|---|---|"]
    for p in files:
        with open(p, "rb") as fh:
            rows = max(sum(1 for _ in fh) - 1, 0)
        rel = p.relative_to(root).as_posix() if root is not None else config.relative_to_root(p)
        lines.append(f"| `{rel}` | {rows} | {_size(p.stat().st_size)} | `{sha256_file(p)}` |")
    lines.append("")
    lines.append("Rows are counted as lines after the header.")
    return "\n".join(lines) + "\n"


def render_sections(*, root: Path | None = None, lock_path: Path | None = None) -> dict[str, str]:
    """The text of every generated section, by name (see :data:`SECTIONS`)."""
    root = config.ROOT if root is None else Path(root)
    lock = _load_lock(lock_path if lock_path is not None else root / "results" / "claims.lock.json")
    return {
        "claims": render_claims(lock),
        "outputs": render_outputs(lock),
        "software": render_software(root / "pyproject.toml", root / "requirements.lock"),
        "requirements": render_requirements(lock, root / "params.yaml"),
        "data": render_data(root / "data" / "raw", root),
    }


# --------------------------------------------------------------------------- README


def update_readme(readme_text: str, sections: dict[str, str] | None = None) -> str:
    """*readme_text* with the text between each section's markers replaced by the rendered section.

    Text outside the markers is never touched; a section without markers is
    left out (see :func:`stale_sections`).

    Examples
    --------
    >>> update_readme("a\\n<!-- BEGIN generated:x -->\\nold\\n<!-- END generated:x -->\\nb", {"x": "new\\n"})
    'a\\n<!-- BEGIN generated:x -->\\nnew\\n<!-- END generated:x -->\\nb'
    """
    sections = render_sections() if sections is None else sections

    def repl(m: re.Match) -> str:
        name = m.group(2)
        if name not in sections:
            return m.group(0)
        body = sections[name]
        if body and not body.endswith("\n"):
            body += "\n"
        return m.group(1) + body + m.group(4)

    return _BLOCK.sub(repl, readme_text)


def stale_sections(readme_text: str, sections: dict[str, str] | None = None) -> list[str]:
    """Names of the sections whose README text differs from the rendering (missing markers included).

    Examples
    --------
    >>> stale_sections("<!-- BEGIN generated:x -->\\nold\\n<!-- END generated:x -->", {"x": "new", "y": "z"})
    ['x', 'y (markers missing)']
    """
    sections = render_sections() if sections is None else sections
    present = {m.group(2): m.group(3) for m in _BLOCK.finditer(readme_text)}
    stale = []
    for name, body in sections.items():
        if name not in present:
            stale.append(f"{name} (markers missing)")
            continue
        if body and not body.endswith("\n"):
            body += "\n"
        if present[name] != body:
            stale.append(name)
    return stale


def markers(name: str) -> tuple[str, str]:
    """The BEGIN and END marker lines of section *name*."""
    return _BEGIN.format(name), _END.format(name)


def main(argv: list[str] | None = None, *, root: Path | None = None) -> int:
    """``python -m analysis.replication --check | --write | --show SECTION``."""
    parser = argparse.ArgumentParser(prog="python -m analysis.replication",
                                     description="Check or rewrite the generated parts of README.md.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true", help="exit 1 when a generated section is stale")
    group.add_argument("--write", action="store_true", help="rewrite the generated sections in place")
    group.add_argument("--show", metavar="SECTION", choices=SECTIONS, help="print one rendered section")
    parser.add_argument("--readme", default=str(README), help="the README to check or rewrite")
    args = parser.parse_args(argv)
    if args.show:
        print(render_sections(root=root)[args.show], end="")
        return 0
    readme = config.project_path(args.readme)
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{args.readme}: cannot read: {exc}") from None
    sections = render_sections(root=root)
    if args.check:
        stale = stale_sections(text, sections)
        for name in stale:
            print(f"stale: {name}")
        if stale:
            print("run `python -m analysis.replication --write` to regenerate", file=sys.stderr)
        return 1 if stale else 0
    new = update_readme(text, sections)
    if new != text:
        atomic_write_text(readme, new)
    for name in stale_sections(new, sections):
        print(f"not written: {name}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    try:
        sys.exit(main())
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)

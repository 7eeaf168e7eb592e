"""Command line for the claims: `python -m analysis verify` and `python -m analysis trace NAME`.

verify   compares the claims of a run (default: the default run's
         ``results/claims/``) with the published lock
         (``results/claims.lock.json``): one line per claim that does not
         reproduce, a summary "N/M claims reproduced" and the classification
         (full, partial, failed); exit status 0 only when all reproduce, 1
         otherwise, 2 on bad input (no lock, no claims).
         ``--update-lock`` (re)writes the lock from the run's claims, the
         manifest and the timing record of the last full run.
trace    prints the chain behind a claim or an output file: raw files ->
         processed files -> stage, notebook, cell, parameters -> output ->
         label in the paper.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from analysis import claims as cl
from analysis import config, datasets
from analysis.errors import InputError
from analysis.io import PIPELINE_ENV, read_json


def _paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock", metavar="FILE", default=None,
                        help="the published lock (default results/claims.lock.json)")
    parser.add_argument("--claims-dir", metavar="DIR", default=None,
                        help="the run's claims folder (default results/claims; a separate run: "
                             "runs/<label>/results/claims)")
    parser.add_argument("--manifest", metavar="FILE", default=None,
                        help="the run's manifest (default: manifest.json beside the claims folder)")


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    _paths(parser)
    parser.add_argument("--update-lock", action="store_true",
                        help="(re)write the lock from the run's claims instead of comparing (maintainers, "
                             "after a deliberate change of results)")
    parser.add_argument("--timing", metavar="FILE", default=None,
                        help="timing record frozen into the lock with --update-lock "
                             "(default: timing.json beside the claims folder)")


def add_trace_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="a claim name (e.g. qca.solution.consistency), a figure's path or "
                                     "any output path in the manifest")
    _paths(parser)
    parser.add_argument("--state", metavar="FILE", default=None,
                        help="the pipeline state, used when there is no manifest (default: the run's "
                             ".pipeline/state.json)")


def _resolve(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    claims_dir = config.project_path(args.claims_dir) if args.claims_dir else config.RESULTS_DIR / cl.CLAIMS_SUBDIR
    lock = config.project_path(args.lock) if args.lock else cl.LOCK_FILE
    manifest = config.project_path(args.manifest) if args.manifest else claims_dir.parent / "manifest.json"
    return claims_dir, lock, manifest


def _check_lockable(claims_dir: Path, lock: Path, manifest: Path) -> None:
    """The published lock: only the default run on the shipped stand-in may write it.

    No lock (published or another) is ever written from a run on other data.
    """
    default_claims = (config.RESULTS_DIR / cl.CLAIMS_SUBDIR).resolve()
    if lock.resolve() != cl.LOCK_FILE.resolve():
        pass
    elif claims_dir.resolve() != default_claims:
        raise InputError(f"verify --update-lock works only on the default run's claims "
                         f"({config.relative_to_root(default_claims)}), not {config.relative_to_root(claims_dir)}: "
                         "the published lock records the default run on the shipped stand-in")
    else:
        datasets.require_standin_raw("verify --update-lock")
    if manifest.is_file():
        data = (read_json(manifest) or {}).get("data") or {}
        if data.get("kind") not in (None, "standin"):
            raise InputError(f"verify --update-lock: {config.relative_to_root(manifest)} says the run analysed "
                             "data other than the shipped stand-in; their claims are never published")


def verify_main(args: argparse.Namespace) -> int:
    claims_dir, lock, manifest = _resolve(args)
    if args.update_lock:
        _check_lockable(claims_dir, lock, manifest)
        os.environ[PIPELINE_ENV] = "update-lock"  # the lock is a published output
        timing = config.project_path(args.timing) if args.timing else claims_dir.parent / "timing.json"
        path = cl.write_lock(claims_dir, lock, manifest_path=manifest, timing_path=timing)
        n = len(cl.load_claims_file(path))
        print(f"wrote {config.relative_to_root(path)}: {n} claims locked from {config.relative_to_root(claims_dir)}")
        return 0
    if not lock.is_file():
        raise InputError(f"{config.relative_to_root(lock)}: no lock to compare with; create it from a "
                         "default run with `python -m analysis verify --update-lock`")
    doc = cl.read_lock(lock)
    report = cl.verify(doc, cl.load_claims(claims_dir))
    notebook_lines: list[str] = []
    if doc.get("notebooks") and manifest.is_file():
        notebook_lines = cl.compare_notebooks(doc["notebooks"], cl.notebook_digests(read_json(manifest)))
    for line in notebook_lines:
        print(line)
    for line in report.lines():
        print(line)
    if doc.get("notebooks") and manifest.is_file():
        n = len(doc["notebooks"])
        print(f"{n - len(notebook_lines)}/{n} executed notebooks display the published results")
    return 0 if report.ok and not notebook_lines else 1


def manifest_from_state(state: dict[str, Any]) -> dict[str, Any]:
    """A manifest-shaped view of the pipeline state (stages with inputs and parameters, outputs)."""
    from analysis import pipeline

    notebooks = {s.name: (f"notebooks/{s.notebook}" if s.notebook else None) for s in pipeline.STAGES}
    stages, outputs = {}, []
    for name, entry in state.items():
        if not isinstance(entry, dict) or "fingerprint" not in entry:
            continue
        fp = entry["fingerprint"]
        stages[name] = {"notebook": notebooks.get(name), "parameters": fp.get("params", {}),
                        "inputs": fp.get("inputs", {})}
        outputs += [{"path": p, "sha256": s, "stage": name} for p, s in entry.get("outputs", {}).items()]
    return {"stages": stages, "outputs": outputs}


def trace_main(args: argparse.Namespace) -> int:
    claims_dir, lock, manifest_path = _resolve(args)
    claims: dict[str, dict[str, Any]] = {}
    if lock.is_file():
        claims.update(cl.load_claims_file(lock))
    if claims_dir.is_dir():
        claims.update(cl.load_claims(claims_dir))  # the run's own records win over the lock's
    if manifest_path.is_file():
        manifest = read_json(manifest_path)
    else:
        # the state of the run the claims belong to: <run>/.pipeline/state.json
        state_file = (config.project_path(args.state) if args.state
                      else claims_dir.parent.parent / ".pipeline" / "state.json")
        manifest = manifest_from_state(read_json(state_file)) if state_file.is_file() else {}
    for line in cl.trace(args.name, claims, manifest):
        print(line)
    return 0

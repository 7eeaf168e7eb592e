"""Command-line front end of the pipeline: reproduce, run, list, why."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from analysis import pipeline
from analysis.errors import InputError
from analysis.params import load_params


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="raw-data folder to analyse (default data/raw); outputs go under runs/")
    parser.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameter for this run (see `python -m analysis list`)")


def add_reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--force", action="store_true", help="rerun every stage even if up to date")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stage", help="the stage to run (and any out-of-date stage it needs)")
    _common(parser)
    parser.add_argument("--force", action="store_true", help="rerun the stage even if up to date")


def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def add_why_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stage", help="the stage to explain")
    _common(parser)


def _setup(args: argparse.Namespace):
    space = load_params()
    values = space.resolve([tuple(p) for p in args.param])
    run = pipeline.make_run(args.data_dir, space.overridden(values))
    return space, values, run


def _summary(run: pipeline.Run, reports: list[pipeline.StageReport], seconds: float) -> None:
    ran = [r for r in reports if r.status == "ran"]
    print()
    print(f"Run {run.label!r}: {len(ran)} stage(s) ran, {len(reports) - len(ran)} up to date, "
          f"{seconds:.1f} s in all.")
    print(f"  raw data:   {run.rel(run.raw)}")
    for label, path in (("processed", run.processed), ("results", run.results), ("figures", run.figures),
                        ("notebooks", run.notebooks_out), ("paper", run.paper)):
        print(f"  {label + ':':11} {run.rel(path)}/")
    print(f"  manifest:   {run.rel(run.manifest_file)}")


@contextlib.contextmanager
def checkout_lock(root: Path):
    """One pipeline run at a time in a checkout: an exclusive lock on `.pipeline/run.lock`.

    A second `reproduce` or `run` while one is running is refused at once with
    the first one's process id (InputError, exit 2). The lock is released when
    the process ends, however it ends (the kernel drops flock locks).
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; runs are not serialised
        yield
        return
    path = root / ".pipeline" / "run.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot create the run lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            other = fh.read().strip() or "unknown"
            raise InputError(f"another pipeline run is in progress in this checkout (process {other}); "
                             "wait for it to finish, or stop it, then run again") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup on the way (kernel shutdown) runs."""


def _on_signal(signum, frame):  # noqa: ARG001 - signal handler signature
    # from here on the stopped kernel's asyncio tasks and shutdown are noise, not news
    _quiet_exit()
    raise _Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _execute(args: argparse.Namespace, only: str | None) -> int:
    space, values, run = _setup(args)
    if only is not None:
        pipeline.get_stage(only, run.stages)
    start = time.perf_counter()
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with checkout_lock(run.root):
            reports = pipeline.run_pipeline(run, values, space, only=only, force=args.force)
    except pipeline.StageFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.notebook is not None:
            print(f"the executed notebook, with the traceback, is kept at {run.rel(exc.notebook)}",
                  file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        _quiet_exit()
        what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        print(f"{what}: the running stage was stopped and will rerun next time; finished stages and "
              "outputs already written are kept", file=sys.stderr)
        return 143 if isinstance(exc, _Terminated) else 130
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot write{where}: {exc.strerror or exc} (is the output folder writable, and the "
              "disk not full?); files already written were not damaged (writes are atomic) and the stage "
              "will rerun next time", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    seconds = time.perf_counter() - start
    if only is None:
        # runtime and storage of a full run, for the README's computational requirements
        from analysis.replication import record_timing

        record_timing(run, reports, seconds)
    _summary(run, reports, seconds)
    return 0


def _quiet_exit() -> None:
    """After an interrupt, silence the asyncio and kernel-shutdown noise of the stopped kernel."""
    import logging

    logging.disable(logging.CRITICAL)
    sys.unraisablehook = lambda *a, **k: None


def reproduce_main(args: argparse.Namespace) -> int:
    return _execute(args, None)


def run_main(args: argparse.Namespace) -> int:
    # check the stage name before anything else, so a typo fails fast with the valid names
    pipeline.get_stage(args.stage)
    return _execute(args, args.stage)


def list_main(args: argparse.Namespace) -> int:
    space = load_params()
    run = pipeline.make_run()
    for i, stage in enumerate(run.stages, 1):
        print(f"{i}. {stage.name}: {stage.description}")
        print(f"   notebook: {'notebooks/' + stage.notebook if stage.notebook else stage.function}")
        print(f"   inputs:   {', '.join(stage.inputs) or '-'}")
        print(f"   outputs:  {', '.join(stage.outputs)}")
        names = [n for n in space.names() if stage.name in space.params[n].stages]
        print(f"   parameters: {', '.join(names) or '-'}")
    print()
    print("Parameters (override with -p NAME VALUE):")
    for name in space.names():
        p = space.params[name]
        print(f"  {name}: {p.describe()}")
        if p.help:
            print(f"      {p.help}")
    return 0


def why_main(args: argparse.Namespace) -> int:
    stage = pipeline.get_stage(args.stage)
    space, values, run = _setup(args)
    reasons = pipeline.why(run, stage, space, values)
    if not reasons:
        print(f"{stage.name}: up to date (inputs, parameters, notebook, package code and lock unchanged)")
    else:
        print(f"{stage.name} would rerun because:")
        for r in reasons:
            print(f"  - {r}")
    return 0

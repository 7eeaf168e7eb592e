"""Command line: `python -m analysis COMMAND ...`.

Each command lives in its own module, which provides

* ``add_arguments(parser: argparse.ArgumentParser) -> None`` and
* ``main(args: argparse.Namespace) -> int``.

Modules are imported only when their command runs, so `python -m analysis
list` stays fast. An :class:`analysis.errors.InputError` (bad file, column,
parameter) is printed without a traceback and gives exit status 2, as does an
argparse usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from analysis.errors import InputError

#: command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "reproduce": ("analysis.pipeline_cli", "run every stage in order (skipping those up to date)"),
    "run": ("analysis.pipeline_cli", "run one stage"),
    "list": ("analysis.pipeline_cli", "list the stages, their inputs, outputs and parameters"),
    "why": ("analysis.pipeline_cli", "say why a stage would rerun"),
    "verify": ("analysis.claims_cli", "compare a fresh run's claims with the published lock"),
    "trace": ("analysis.claims_cli", "show where a claim or figure comes from, raw data to paper"),
    "synth": ("analysis.synth", "write the synthetic stand-in raw data"),
    "validate": ("analysis.validate", "validate a raw-data folder"),
    "disclosure-check": ("analysis.disclosure", "check a folder for raw identifiers and small cells before sharing it"),
    "reliability": ("analysis.reliability_cli", "reliability of an item set in your own CSV"),
    "qca": ("analysis.qca.cli", "fuzzy-set / crisp QCA of your own CSV"),
    "regression": ("analysis.regression.cli", "the regression models compared with QCA, for one outcome or all"),
}


def _load(command: str):
    module = importlib.import_module(COMMANDS[command][0])
    return module


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; with *only*, import just that command's module."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Reproduce, inspect and adapt the SBW compendium's analysis.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only == name:  # the top-level help lists commands without importing them
            module = _load(name)
            adder = getattr(module, f"add_{name}_arguments", None) or module.add_arguments
            adder(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    if argv and not argv[0].startswith("-") and command is None:
        print(f"python -m analysis: unknown command {argv[0]!r}; valid commands: "
              + ", ".join(COMMANDS), file=sys.stderr)
        return 2
    try:
        parser = build_parser(only=command)
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    module = _load(args.command)
    runner = getattr(module, f"{args.command}_main", None) or module.main
    try:
        return int(runner(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

"""Typed, validated pipeline parameters read from `params.yaml`.

Every parameter has a type (int, float, bool, str, choice or list), a default,
an optional range or list of allowed values, optional values excluded from
that range (``exclude``: e.g. ``n_jobs`` takes -1 or a positive count, never 0)
and the stages that receive it.
Values given on the command line (`-p NAME VALUE`, always text) are parsed and
checked here, before any notebook kernel starts; a bad name or value raises
:class:`analysis.errors.InputError` listing what is valid.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis.config import PARAMS_FILE
from analysis.errors import InputError

TYPES = ("int", "float", "bool", "str", "choice", "list")


@dataclass(frozen=True)
class Param:
    """One pipeline parameter: its type, default, allowed values and stages."""

    name: str
    type: str
    default: Any
    stages: tuple[str, ...]
    help: str = ""
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    #: values refused even inside the range (e.g. 0 for n_jobs: joblib has no meaning for it)
    exclude: tuple[Any, ...] = ()
    affects_results: bool = True

    def describe(self) -> str:
        """One line: type, allowed values and default."""
        if self.choices is not None:
            allowed = "{" + ", ".join(self.choices) + "}"
        elif self.min is not None or self.max is not None:
            lo = "" if self.min is None else f"{self.min:g} <= "
            hi = "" if self.max is None else f" <= {self.max:g}"
            allowed = f"{lo}value{hi}"
            if self.exclude:
                allowed += ", except " + ", ".join(f"{v:g}" if isinstance(v, (int, float)) else str(v)
                                                   for v in self.exclude)
        else:
            allowed = self.type
        default = ",".join(self.default) if isinstance(self.default, (list, tuple)) else self.default
        return f"{self.type} {allowed} (default {default})"

    def parse(self, text: Any) -> Any:
        """Parse and validate a value (command-line text or a YAML value)."""
        where = f"parameter {self.name!r}"
        try:
            if self.type == "int":
                if isinstance(text, bool):
                    raise ValueError
                value: Any = int(str(text).strip())
            elif self.type == "float":
                if isinstance(text, bool):
                    raise ValueError
                value = float(str(text).strip())
                if value != value:  # NaN
                    raise ValueError
            elif self.type == "bool":
                if isinstance(text, bool):
                    value = text
                else:
                    low = str(text).strip().lower()
                    if low not in {"true", "false", "1", "0", "yes", "no"}:
                        raise ValueError
                    value = low in {"true", "1", "yes"}
            elif self.type in {"str", "choice"}:
                value = str(text).strip()
            elif self.type == "list":
                items = text if isinstance(text, (list, tuple)) else str(text).split(",")
                value = [str(v).strip() for v in items if str(v).strip()]
                if not value:
                    raise ValueError
            else:  # pragma: no cover - guarded when loading
                raise ValueError
        except ValueError:
            raise InputError(f"{where}: {text!r} is not a valid {self.type}; expected "
                             f"{self.describe()}") from None
        if self.choices is not None:
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in self.choices]
            if bad:
                raise InputError(f"{where}: {', '.join(map(repr, bad))} is not allowed; valid values: "
                                 + ", ".join(self.choices))
            if isinstance(value, list) and len(set(value)) != len(value):
                raise InputError(f"{where}: {text!r} names a value twice")
        if self.min is not None and value < self.min:
            raise InputError(f"{where}: {value} is below the minimum {self.min:g}")
        if self.max is not None and value > self.max:
            raise InputError(f"{where}: {value} is above the maximum {self.max:g}")
        if value in self.exclude:
            raise InputError(f"{where}: {value} is not allowed; valid values: {self.describe()}")
        return value


@dataclass(frozen=True)
class ParamSpace:
    """All parameters of the pipeline, by name."""

    params: dict[str, Param] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted(self.params)

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def resolve(self, overrides: list[tuple[str, str]] | dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with *overrides* applied; unknown names raise InputError."""
        values = self.defaults()
        items = overrides.items() if isinstance(overrides, dict) else (overrides or [])
        for name, text in items:
            if name not in self.params:
                raise InputError(f"unknown parameter {name!r}; valid parameters: "
                                 + ", ".join(self.names()))
            values[name] = self.params[name].parse(text)
        return values

    def for_stage(self, stage: str, values: dict[str, Any]) -> dict[str, Any]:
        """The parameters *stage* receives, with their values."""
        return {n: values[n] for n, p in sorted(self.params.items()) if stage in p.stages}

    def overridden(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values that differ from the defaults (and affect results)."""
        return {n: v for n, v in sorted(values.items())
                if v != self.params[n].default and self.params[n].affects_results}

    def fingerprint(self, stage: str, values: dict[str, Any]) -> str:
        """sha256 of the result-affecting parameters *stage* receives."""
        relevant = {n: v for n, v in self.for_stage(stage, values).items()
                    if self.params[n].affects_results}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def load_params(path: str | Path = PARAMS_FILE) -> ParamSpace:
    """Read and check the parameter definitions in *path* (`params.yaml`)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path.name}: cannot read parameter definitions: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path.name}: expected a mapping of parameter names")
    params = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or spec.get("type") not in TYPES or "default" not in spec:
            raise InputError(f"{path.name}: parameter {name!r} needs a 'type' (one of "
                             f"{', '.join(TYPES)}) and a 'default'")
        p = Param(
            name=name,
            type=spec["type"],
            default=None,
            stages=tuple(spec.get("stages", [])),
            help=spec.get("help", ""),
            choices=tuple(spec["choices"]) if "choices" in spec else None,
            min=spec.get("min"),
            max=spec.get("max"),
            affects_results=bool(spec.get("affects_results", True)),
        )
        excluded = spec.get("exclude", [])
        if not isinstance(excluded, list) or (excluded and p.type in {"list", "bool"}):
            raise InputError(f"{path.name}: parameter {name!r}: 'exclude' must be a list of {p.type} values "
                             "(not for list or bool parameters)")
        p = Param(**{**p.__dict__, "exclude": tuple(p.parse(v) for v in excluded)})
        default = p.parse(spec["default"])
        params[name] = Param(**{**p.__dict__, "default": default})
    return ParamSpace(params)

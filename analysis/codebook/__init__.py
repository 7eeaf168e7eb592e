"""Instrument codebooks: one YAML file per instrument, validated on load.

A codebook says which item columns an instrument has, their response range and
labels, which items are reverse keyed, its subscales, how the score is computed
(``sum``, ``mean``, ``formula`` or ``composite``), how many items may be missing
for a valid score, the published reliability and the published factor
structure. Item wording is never stored (copyright): ids and structure only.

>>> cb = load_codebook("gse")
>>> cb.name, len(cb.items), cb.response_min, cb.response_max
('General Self-Efficacy Scale', 10, 1, 4)
>>> cb.score_range
(10.0, 40.0)
>>> sorted(all_codebooks())
['gse', 'iis', 'rpq', 'sbw']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import InputError

#: Folder holding the shipped codebooks.
CODEBOOK_DIR = Path(__file__).resolve().parent

#: Instruments whose items are columns of the staff survey, in column order.
ITEM_INSTRUMENTS: tuple[str, ...] = ("gse", "iis", "rpq")

_REQUIRED = ("id", "name", "citation", "items", "response", "reverse_keyed", "subscales",
             "scoring", "max_missing", "categories", "published_reliability", "structure")
_RULES = ("sum", "mean", "formula", "composite")


@dataclass(frozen=True)
class Codebook:
    """One instrument's codebook (read-only), as validated from its YAML file."""

    id: str
    name: str
    citation: str
    items: tuple[str, ...]
    response_min: int
    response_max: int
    response_labels: dict[int, str]
    reverse_keyed: tuple[str, ...]
    subscales: dict[str, tuple[str, ...]]
    scoring: dict[str, Any]
    max_missing: int
    categories: tuple[dict[str, Any], ...]
    published_reliability: dict[str, Any]
    structure: dict[str, tuple[str, ...]]
    rationale: str = ""
    missing_rule: str = "prorate"
    extra: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    @property
    def response(self) -> dict[str, Any]:
        """The YAML ``response`` mapping: {'min': int, 'max': int, 'labels': {value: label}}."""
        return {"min": self.response_min, "max": self.response_max, "labels": dict(self.response_labels)}

    @property
    def rule(self) -> str:
        """The scoring rule: 'sum', 'mean', 'formula' or 'composite'."""
        return str(self.scoring["rule"])

    @property
    def score_range(self) -> tuple[float, float]:
        """(lowest, highest) possible score, as declared in ``scoring.range``."""
        lo, hi = self.scoring["range"]
        return float(lo), float(hi)

    def category_of(self, score: float) -> str | None:
        """Label of the category holding *score* (``min <= score < next min``); None if none.

        >>> load_codebook("iis").category_of(80.5)
        'Early adopters'
        >>> load_codebook("iis").category_of(81)
        'Innovators'
        """
        if not self.categories or score != score:  # NaN
            return None
        label = None
        for cat in sorted(self.categories, key=lambda c: c["min"]):
            if score >= cat["min"]:
                label = cat["label"]
        lo, hi = self.score_range
        return label if lo <= score <= hi else None


def _fail(path: Path, key: str, message: str) -> InputError:
    return InputError(f"codebook {path.name}, key {key!r}: {message}")


def _computed_range(cb: dict[str, Any], path: Path) -> tuple[float, float] | None:
    """The score range implied by items, response range and rule (None for composites)."""
    lo, hi = cb["response"]["min"], cb["response"]["max"]
    n = len(cb["items"])
    rule = cb["scoring"]["rule"]
    if rule == "sum":
        return (n * lo, n * hi)
    if rule == "mean":
        return (lo, hi)
    if rule == "formula":
        k = cb["scoring"].get("constant", 0)
        n_plus, n_minus = len(cb["scoring"]["plus"]), len(cb["scoring"]["minus"])
        return (k + n_plus * lo - n_minus * hi, k + n_plus * hi - n_minus * lo)
    return None


def _validate(raw: Any, path: Path, expected_id: str | None) -> Codebook:
    if not isinstance(raw, dict):
        raise InputError(f"codebook {path.name}: expected a YAML mapping, got {type(raw).__name__}")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise _fail(path, missing[0], f"required key missing (all required keys: {', '.join(_REQUIRED)})")
    cid = raw["id"]
    if not isinstance(cid, str) or not re.fullmatch(r"[a-z][a-z0-9]*", cid):
        raise _fail(path, "id", f"got {cid!r}, expected a lower-case identifier such as 'gse'")
    if expected_id is not None and cid != expected_id:
        raise _fail(path, "id", f"got {cid!r}, expected {expected_id!r} (the file name)")
    items = raw["items"]
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise _fail(path, "items", f"got {items!r}, expected a list of item ids")
    for i in items:
        if not re.fullmatch(rf"{cid}_\d{{2}}", i):
            raise _fail(path, "items", f"item {i!r} does not match '{cid}_NN' (id prefix, two digits)")
    if len(set(items)) != len(items):
        dup = sorted({i for i in items if items.count(i) > 1})
        raise _fail(path, "items", f"duplicate item ids {dup}")
    resp = raw["response"]
    if not isinstance(resp, dict) or not {"min", "max"} <= set(resp):
        raise _fail(path, "response", f"got {resp!r}, expected {{min: int, max: int, labels: {{...}}}}")
    rmin, rmax = resp["min"], resp["max"]
    if not (isinstance(rmin, int) and isinstance(rmax, int) and rmin < rmax):
        raise _fail(path, "response", f"min {rmin!r} and max {rmax!r} must be integers with min < max")
    labels = resp.get("labels") or {}
    for k in labels:
        if not isinstance(k, int) or not rmin <= k <= rmax:
            raise _fail(path, "response.labels", f"label key {k!r} is outside the response range {rmin}..{rmax}")
    item_set = set(items)

    def _subset(key: str, values: Any) -> tuple[str, ...]:
        if not isinstance(values, list):
            raise _fail(path, key, f"got {values!r}, expected a list of item ids")
        bad = [v for v in values if v not in item_set]
        if bad:
            raise _fail(path, key, f"{bad} are not items of this instrument")
        return tuple(values)

    reverse = _subset("reverse_keyed", raw["reverse_keyed"])
    if not isinstance(raw["subscales"], dict):
        raise _fail(path, "subscales", f"got {raw['subscales']!r}, expected a mapping name -> items")
    subscales = {str(k): _subset(f"subscales.{k}", v) for k, v in raw["subscales"].items()}
    if not isinstance(raw["structure"], dict):
        raise _fail(path, "structure", f"got {raw['structure']!r}, expected a mapping factor -> items")
    structure = {str(k): _subset(f"structure.{k}", v) for k, v in raw["structure"].items()}

    scoring = raw["scoring"]
    if not isinstance(scoring, dict) or scoring.get("rule") not in _RULES:
        got = scoring.get("rule") if isinstance(scoring, dict) else scoring
        raise _fail(path, "scoring.rule", f"got {got!r}, expected one of {', '.join(_RULES)}")
    rng = scoring.get("range")
    if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng)
            and rng[0] < rng[1]):
        raise _fail(path, "scoring.range", f"got {rng!r}, expected [low, high] with low < high")
    rule = scoring["rule"]
    if rule in ("sum", "mean", "formula") and not items:
        raise _fail(path, "items", f"rule {rule!r} needs at least one item")
    if rule == "formula":
        plus = _subset("scoring.plus", scoring.get("plus"))
        minus = _subset("scoring.minus", scoring.get("minus"))
        if set(plus) & set(minus) or set(plus) | set(minus) != item_set:
            raise _fail(path, "scoring", "plus and minus must split the items into two disjoint sets")
        if not isinstance(scoring.get("constant", 0), (int, float)):
            raise _fail(path, "scoring.constant", f"got {scoring['constant']!r}, expected a number")
    if rule == "composite":
        comps = scoring.get("components")
        if not isinstance(comps, list) or not comps or not all(isinstance(c, str) for c in comps):
            raise _fail(path, "scoring.components", f"got {comps!r}, expected a list of codebook ids")
        if scoring.get("transform") not in ("pomp",) or scoring.get("combine") not in ("mean",):
            raise _fail(path, "scoring", "composite needs transform: pomp and combine: mean")
    implied = _computed_range(raw, path)
    if implied is not None and (float(implied[0]), float(implied[1])) != (float(rng[0]), float(rng[1])):
        raise _fail(path, "scoring.range",
                    f"declared {rng} but items, response range and rule give {list(implied)}")
    mm = raw["max_missing"]
    limit = len(items) if items else len(scoring.get("components", []))
    if not isinstance(mm, int) or isinstance(mm, bool) or not 0 <= mm < max(limit, 1):
        raise _fail(path, "max_missing", f"got {mm!r}, expected an integer from 0 to {max(limit - 1, 0)}")
    cats = raw["categories"]
    if not isinstance(cats, list):
        raise _fail(path, "categories", f"got {cats!r}, expected a list")
    prev_max = None
    for c in sorted(cats, key=lambda c: c.get("min", 0) if isinstance(c, dict) else 0):
        if not (isinstance(c, dict) and {"label", "min", "max"} <= set(c) and c["min"] <= c["max"]):
            raise _fail(path, "categories", f"entry {c!r} needs label, min, max with min <= max")
        if not (rng[0] <= c["min"] and c["max"] <= rng[1]):
            raise _fail(path, "categories", f"entry {c['label']!r} lies outside the score range {rng}")
        if prev_max is not None and c["min"] != prev_max + 1:
            raise _fail(path, "categories", f"entry {c['label']!r} does not start right after {prev_max}")
        prev_max = c["max"]
    rel = raw["published_reliability"]
    if not isinstance(rel, dict) or "source" not in rel:
        raise _fail(path, "published_reliability", "expected a mapping with alpha, range and source")
    known = set(_REQUIRED) | {"rationale", "missing_rule"}
    return Codebook(
        id=cid, name=str(raw["name"]), citation=str(raw["citation"]), items=tuple(items),
        response_min=rmin, response_max=rmax, response_labels={int(k): str(v) for k, v in labels.items()},
        reverse_keyed=reverse, subscales=subscales, scoring=dict(scoring), max_missing=mm,
        categories=tuple(dict(c) for c in cats), published_reliability=dict(rel), structure=structure,
        rationale=str(raw.get("rationale", "")).strip(), missing_rule=str(raw.get("missing_rule", "prorate")),
        extra={k: v for k, v in raw.items() if k not in known}, path=path.name,
    )


def load_codebook_file(path: str | Path, expected_id: str | None = None) -> Codebook:
    """Read and validate one codebook YAML file; raise InputError naming the file and key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"codebook {path}: file not found") from None
    except yaml.YAMLError as exc:
        raise InputError(f"codebook {path.name}: not valid YAML ({exc})") from None
    return _validate(raw, path, expected_id)


@lru_cache(maxsize=None)
def load_codebook(id: str) -> Codebook:
    """The shipped codebook *id* (e.g. 'gse'), validated; InputError if unknown or invalid."""
    path = CODEBOOK_DIR / f"{id}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in CODEBOOK_DIR.glob("*.yaml"))
        raise InputError(f"unknown codebook {id!r}; known: {', '.join(known)}")
    cb = load_codebook_file(path, expected_id=id)
    if cb.rule == "composite":
        for comp in cb.scoring["components"]:
            if comp == id or not (CODEBOOK_DIR / f"{comp}.yaml").exists():
                raise _fail(path, "scoring.components", f"{comp!r} is not another shipped codebook")
    return cb


def all_codebooks() -> dict[str, Codebook]:
    """Every shipped codebook, keyed by id, in alphabetical order."""
    return {p.stem: load_codebook(p.stem) for p in sorted(CODEBOOK_DIR.glob("*.yaml"))}


def item_columns() -> list[str]:
    """Every item column of the staff survey, in column order (GSE, IIS, RPQ)."""
    return [i for cid in ITEM_INSTRUMENTS for i in load_codebook(cid).items]


__all__ = ["Codebook", "CODEBOOK_DIR", "ITEM_INSTRUMENTS", "load_codebook", "load_codebook_file",
           "all_codebooks", "item_columns"]

"""Controlled randomness: every random generator derived from the one root seed.

The root seed is the parameter ``seed`` in ``params.yaml``. A stage never
creates a generator from a fixed literal, from the clock or from numpy's global
state: it asks for one by *name*,

>>> rng = rng_for(20240601, "qca", "permutation")
>>> float(rng.random()) == float(rng_for(20240601, "qca", "permutation").random())
True

and gets a numpy ``Generator`` whose stream depends only on the root seed and
the names. The names are mapped to integers with sha256 and used as the
``spawn_key`` of a :class:`numpy.random.SeedSequence` (O'Neill 2015; NumPy's
"Parallel random number generation" guide), so

* the same (seed, names) give the same stream in any process, on any machine,
  whatever ran before (no dependence on execution order);
* different names give statistically independent streams;
* a parallel job ``i`` of ``n`` takes ``rngs_for(seed, n, ...)[i]`` (or
  ``rng_for(seed, ..., index=i)``): its stream does not depend on how the jobs
  are scheduled nor on how many workers run them.

Libraries that take an integer ``random_state`` (pandas ``sample``, scipy
``rvs``) get one from :func:`int_seed_for`.

The module also holds the scanner used by the test that fails on an unseeded
generator in ``analysis/`` or ``notebooks/`` (:func:`find_unseeded`).
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from analysis.errors import InputError
from analysis.nbcells import code_cells

__all__ = ["seed_sequence_for", "rng_for", "rngs_for", "int_seed_for", "Finding", "find_unseeded",
           "scan_paths"]


def _key_int(key: str) -> int:
    """A stable 64-bit integer for a name: the first 8 bytes of its sha256 (big-endian)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: got {seed!r}, expected a non-negative integer (the root seed in params.yaml)")
    return int(seed)


def seed_sequence_for(seed: int, *keys: str, index: int | None = None) -> np.random.SeedSequence:
    """The SeedSequence of the stream named *keys* under the root *seed*.

    SeedSequence(entropy=seed, spawn_key=(h(k1), h(k2), ..., [index])) with
    h(k) = first 8 bytes of sha256(k); NumPy's SeedSequence hashing makes the
    streams of different keys independent.

    Examples
    --------
    >>> seed_sequence_for(1, "qca").spawn_key == seed_sequence_for(1, "qca").spawn_key
    True
    """
    seed = _check_seed(seed)
    if not keys:
        raise InputError("rng keys: give at least one name for the stream, e.g. ('qca', 'permutation')")
    for k in keys:
        if not isinstance(k, str) or not k:
            raise InputError(f"rng keys: got {k!r}, expected non-empty strings such as 'qca'")
    spawn = [_key_int(k) for k in keys]
    if index is not None:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise InputError(f"rng index: got {index!r}, expected a non-negative integer")
        spawn.append(int(index))
    return np.random.SeedSequence(entropy=seed, spawn_key=tuple(spawn))


def rng_for(seed: int, *keys: str, index: int | None = None) -> np.random.Generator:
    """A numpy Generator for the stream named *keys* (and job *index*) under *seed*.

    Generator(PCG64(seed_sequence_for(seed, *keys, index=index))).

    Examples
    --------
    >>> a = rng_for(7, "qca", "permutation").integers(0, 10**9, 3)
    >>> b = rng_for(7, "qca", "permutation").integers(0, 10**9, 3)
    >>> bool((a == b).all()), bool((a == rng_for(7, "qca", "bootstrap").integers(0, 10**9, 3)).all())
    (True, False)
    """
    return np.random.default_rng(seed_sequence_for(seed, *keys, index=index))


def rngs_for(seed: int, n: int, *keys: str) -> list[np.random.Generator]:
    """*n* independent generators for *n* parallel jobs: job i gets rng_for(seed, *keys, index=i).

    Identical to ``seed_sequence_for(seed, *keys).spawn(n)`` (children's
    spawn keys append i), so job i's stream never depends on scheduling.

    Examples
    --------
    >>> g = rngs_for(3, 2, "robustness")
    >>> float(g[1].random()) == float(rng_for(3, "robustness", index=1).random())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"number of generators: got {n!r}, expected a non-negative integer")
    return [rng_for(seed, *keys, index=i) for i in range(int(n))]


def int_seed_for(seed: int, *keys: str, index: int | None = None) -> int:
    """A 32-bit integer seed for libraries that take an int ``random_state``.

    The first uint32 word of seed_sequence_for(seed, *keys).generate_state(1).

    Examples
    --------
    >>> int_seed_for(1, "figures", "jitter") == int_seed_for(1, "figures", "jitter")
    True
    """
    return int(seed_sequence_for(seed, *keys, index=index).generate_state(1, dtype=np.uint32)[0])


# --------------------------------------------------------------------------- scanner

#: numpy.random attributes that are fine to call: seeded constructors (checked for
#: an argument separately where one is required) and types.
_NP_CONSTRUCTORS = {"default_rng", "SeedSequence", "RandomState", "PCG64", "PCG64DXSM", "Philox",
                    "SFC64", "MT19937"}
_NP_ALLOWED = _NP_CONSTRUCTORS | {"Generator", "BitGenerator"}
#: stdlib random: only a seeded Random(x) instance is deterministic
_STDLIB_ALLOWED = {"Random"}
#: calls that draw from numpy's global RNG unless given random_state (or rng=)
_RANDOM_STATE_METHODS = {"sample", "rvs"}
_RANDOM_STATE_FUNCS = {"bootstrap", "permutation_test", "monte_carlo_test"}
_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    """One unseeded use of randomness: where and what."""

    file: str
    line: int
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.code}: {self.reason}"


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> the module or object it stands for (numpy, numpy.random, random, ...)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    names[a.asname] = a.name
                else:
                    names[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _resolve(dotted: str, aliases: dict[str, str]) -> str:
    head, _, tail = dotted.partition(".")
    if head in aliases:
        return aliases[head] + ("." + tail if tail else "")
    return dotted


def _no_seed(call: ast.Call) -> bool:
    """True when a constructor gets no seed: no argument, or None as the seed."""
    if any(isinstance(k.value, ast.Constant) and k.value.value is None for k in call.keywords
           if k.arg in {"seed", "entropy"}):
        return True
    if call.args:
        return isinstance(call.args[0], ast.Constant) and call.args[0].value is None
    if any(k.arg in {"seed", "entropy", "bit_generator"} or k.arg is None for k in call.keywords):
        return False
    return True


def _random_state_missing(call: ast.Call) -> bool:
    for k in call.keywords:
        if k.arg is None:  # **kwargs: cannot tell
            return False
        if k.arg in {"random_state", "rng", "seed"}:
            return isinstance(k.value, ast.Constant) and k.value.value is None
    return True


def find_unseeded(source: str, filename: str = "<source>") -> list[Finding]:
    """Unseeded random generators in Python *source* (magic lines ignored).

    Flags: numpy's legacy global functions (``np.random.normal(...)``,
    ``np.random.seed(...)``, also through ``from numpy.random import rand``);
    any function of the stdlib ``random`` module and ``random.Random()``
    without a seed; ``default_rng()``, ``SeedSequence()``, ``RandomState()``
    and bit generators with no seed (or ``None``); ``.sample(...)`` /
    ``.rvs(...)`` and scipy's ``bootstrap`` / ``permutation_test`` /
    ``monte_carlo_test`` without ``random_state`` (or ``rng``). A syntax error
    is itself a finding (the file cannot be checked).

    Examples
    --------
    >>> [f.reason for f in find_unseeded("import numpy as np\\nx = np.random.rand(3)")]
    ["numpy's global RNG (np.random.rand); use analysis.seeds.rng_for(seed, ...)"]
    >>> find_unseeded("import numpy as np\\nrng = np.random.default_rng(seed)\\nx = rng.random(3)")
    []
    """
    try:
        tree = ast.parse(_MAGIC.sub("", source), filename=filename)
    except SyntaxError as exc:
        return [Finding(filename, exc.lineno or 0, "", f"cannot parse: {exc.msg}")]
    aliases = _aliases(tree)
    lines = source.splitlines()
    found: list[Finding] = []

    def add(node: ast.AST, reason: str) -> None:
        line = getattr(node, "lineno", 0)
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        found.append(Finding(filename, line, code, reason))

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        full = _resolve(dotted, aliases) if dotted else None
        if full is not None and full.startswith("numpy.random."):
            attr = full[len("numpy.random."):]
            if "." not in attr:
                if attr not in _NP_ALLOWED:
                    add(node, f"numpy's global RNG (np.random.{attr}); use analysis.seeds.rng_for(seed, ...)")
                elif attr in _NP_CONSTRUCTORS and _no_seed(node):
                    add(node, f"np.random.{attr}() without a seed; use analysis.seeds.rng_for(seed, ...)")
                continue
        if full is not None and full.startswith("random.") and dotted.split(".")[0] in aliases:
            attr = full[len("random."):]
            if "." not in attr:
                if attr not in _STDLIB_ALLOWED:
                    add(node, f"the stdlib random module's global state (random.{attr}); "
                              "use analysis.seeds.rng_for(seed, ...)")
                elif _no_seed(node):
                    add(node, "random.Random() without a seed")
                continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in _RANDOM_STATE_METHODS:
            if _random_state_missing(node):
                add(node, f".{node.func.attr}(...) without random_state draws from numpy's global RNG; "
                          "pass random_state=analysis.seeds.int_seed_for(seed, ...)")
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else (
            node.func.id if isinstance(node.func, ast.Name) else None)
        if name in _RANDOM_STATE_FUNCS and full is not None and full.startswith("scipy."):
            if _random_state_missing(node):
                add(node, f"{name}(...) without random_state/rng uses numpy's global RNG")
    return sorted(found, key=lambda f: (f.line, f.reason))


def notebook_sources(path: str | Path) -> list[tuple[str, str]]:
    """(label, source) of each code cell of a notebook; label 'file[cell id]'."""
    return [(f"{Path(path).as_posix()}[{cid}]", src) for cid, src in code_cells(path)]


def scan_paths(paths: Iterable[str | Path], root: str | Path | None = None) -> list[Finding]:
    """Unseeded generators in every .py file and notebook code cell under *paths*.

    Folders are searched recursively (``.ipynb_checkpoints`` and
    ``_failed`` skipped); file names are reported relative to *root* when given.
    """
    found: list[Finding] = []
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(f for f in sorted(p.rglob("*"))
                         if f.suffix in {".py", ".ipynb"} and f.is_file()
                         and not {".ipynb_checkpoints", "_failed", "__pycache__"} & set(f.parts))
        elif p.is_file():
            files.append(p)
    for f in files:
        name = f.as_posix()
        if root is not None:
            try:
                name = f.resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                pass
        if f.suffix == ".py":
            found.extend(find_unseeded(f.read_text(encoding="utf-8"), name))
        else:
            for label, src in notebook_sources(f):
                cell = label[label.rindex("["):]
                found.extend(find_unseeded(src, name + cell))
    return found

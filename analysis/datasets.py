"""Which data a run analyses: the shipped synthetic stand-in, or other (possibly real) data.

The stand-in is recognised by its checksums, recorded in the tracked file
``data/standin.sha256`` (``sha256sum`` format) when ``python -m analysis synth``
writes it into ``data/raw/``. Every other folder of raw files is *other data*:
they may be the study's real, personal records, so

* they are never accepted in ``data/raw/`` (tracked by git): :func:`check_raw_folder`
  refuses them with a message saying where to put them instead;
* a run on them writes everything under ``runs/data-<digest>/`` (ignored by git),
  named by a digest of the files' contents, so two data owners' runs (or two
  extracts in folders of the same name) never overwrite each other;
* stand-in-only commands (``verify --update-lock``, ``synth`` into ``data/raw``)
  refuse them (:func:`require_standin_raw`).

The paper's data statement is built from the same check (:func:`describe`).
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.errors import InputError
from analysis.io import atomic_write_text, sha256_file

#: The raw files a data folder holds, in the order their digests are combined.
RAW_FILES = ("staff_survey.csv", "participants.csv", "contacts.csv")

#: The stand-in's checksums (tracked; written by `python -m analysis synth --out data/raw`).
STANDIN_FILE = config.ROOT / "data" / "standin.sha256"

#: Where real files go (ignored by git, see .gitignore); any folder outside the repository works too.
REAL_DATA_HINT = ("put real files in a folder of your own outside the repository, or in data/real/ "
                  "(any data/real*/ folder is ignored by git), and run with --data-dir FOLDER")


@dataclass(frozen=True)
class DataIdentity:
    """A raw-data folder's identity: the files' sha256, their combined digest, stand-in or not."""

    folder: Path
    files: dict[str, str | None]
    digest: str
    standin: bool

    @property
    def label(self) -> str:
        """Run-folder name for these data: 'standin', or 'data-' + 16 hex digits of the digest."""
        return "standin" if self.standin else f"data-{self.digest[:16]}"

    @property
    def kind(self) -> str:
        return "standin" if self.standin else "other"

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "digest": self.digest, "files": dict(self.files)}


def standin_checksums(path: Path | None = None) -> dict[str, str]:
    """File name -> sha256 of the shipped stand-in (from ``data/standin.sha256``)."""
    path = STANDIN_FILE if path is None else path
    if not path.is_file():
        raise InputError(f"{config.relative_to_root(path)}: missing; it records the stand-in's checksums "
                         "(restore it with `git checkout data/standin.sha256`)")
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise InputError(f"{config.relative_to_root(path)}, line {n}: expected 'SHA256  FILE', got {line!r}")
        out[parts[1].lstrip("*")] = parts[0]
    return out


def identify(folder: str | Path, *, checksums: dict[str, str] | None = None) -> DataIdentity:
    """The identity of the raw files in *folder* (missing files count as absent)."""
    folder = Path(folder)
    files: dict[str, str | None] = {}
    for name in RAW_FILES:
        p = folder / name
        files[name] = sha256_file(p) if p.is_file() else None
    # the digest covers every CSV file of the folder (the study's three, or a
    # project's own), so folders of the same name with other contents differ
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.csv")):
        if p.is_file():
            h.update(f"{p.name}\0{files.get(p.name) or sha256_file(p)}\n".encode())
    ref = standin_checksums() if checksums is None else checksums
    standin = all(files[n] is not None and files[n] == ref.get(n) for n in RAW_FILES)
    return DataIdentity(folder=folder, files=files, digest=h.hexdigest(), standin=standin)


def write_standin_checksums(folder: Path, path: Path | None = None) -> Path:
    """Record the files now in *folder* as the stand-in (used by ``synth --out data/raw``)."""
    path = STANDIN_FILE if path is None else path
    lines = ["# sha256 of the synthetic stand-in in data/raw/ (written by `python -m analysis synth`);",
             "# the pipeline treats data/raw/ as the stand-in only while its files match these."]
    lines += [f"{sha256_file(folder / name)}  {name}" for name in RAW_FILES]
    return atomic_write_text(path, "\n".join(lines) + "\n")


def changed_files(ident: DataIdentity, checksums: dict[str, str] | None = None) -> list[str]:
    ref = standin_checksums() if checksums is None else checksums
    return [n for n in RAW_FILES if ident.files[n] != ref.get(n)]


def check_raw_folder(raw: Path | None = None) -> DataIdentity:
    """``data/raw/`` must hold the shipped stand-in: InputError saying where real data go otherwise."""
    raw = config.RAW_DIR if raw is None else raw
    ident = identify(raw)
    if not ident.standin:
        changed = changed_files(ident)
        raise InputError(
            f"{config.relative_to_root(raw)}/ holds files that are not the shipped synthetic stand-in "
            f"({', '.join(changed)} differ from data/standin.sha256). data/raw/ is tracked by git, so real "
            f"data must never be placed there: move them out, {REAL_DATA_HINT}; then restore the stand-in "
            "with `git checkout data/raw`.")
    return ident


def require_standin_raw(command: str) -> DataIdentity:
    """Refuse a stand-in-only *command* unless ``data/raw/`` holds the stand-in."""
    try:
        return check_raw_folder()
    except InputError as exc:
        raise InputError(f"{command} works only on the shipped stand-in: {exc}") from None


def _git_ignored(path: Path) -> bool | None:
    """Whether git ignores *path* (None when git or the repository is not available)."""
    if not (config.ROOT / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(config.ROOT), "check-ignore", "-q", "--no-index", str(path)],
                             capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.returncode == 0


def check_other_folder(folder: Path) -> None:
    """Other data inside the repository must sit in a folder git ignores."""
    folder = folder.resolve()
    try:
        folder.relative_to(config.ROOT.resolve())
    except ValueError:
        return  # outside the repository
    probe = folder / RAW_FILES[0]
    if _git_ignored(probe) is False:
        raise InputError(f"--data-dir {config.relative_to_root(folder)}: this folder is inside the repository "
                         f"and not ignored by git, so its files could be committed; {REAL_DATA_HINT}")


def describe(ident: DataIdentity) -> str:
    """One sentence for the paper and the run summary: which data were analysed."""
    if ident.standin:
        return ("the synthetic stand-in shipped with the compendium (generated by a documented, seeded "
                "process; it describes no real person)")
    return (f"data supplied by a data owner, not the shipped stand-in (content digest "
            f"{ident.digest[:16]}); identifiers are replaced by pseudonyms in every output")

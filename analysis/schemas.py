"""Table contracts: the columns, types, ranges and keys of every raw and processed table.

One declarative :class:`ColumnSpec` per column, item columns generated from the
codebooks (their response range is the Likert range of the instrument). The
same specs drive

* :mod:`analysis.validate` (cell-by-cell checks with messages naming file, line,
  column, value and what was expected),
* :func:`to_pandera` (a pandera ``DataFrameSchema`` of the typed table, used to
  check processed tables and as an independent second check in the tests), and
* :mod:`analysis.datadict` (the generated data dictionary ``data/README.md``).

>>> [c.name for c in raw_schema("contacts").columns]
['contact_id', 'participant_id', 'staff_id', 'date', 'duration_min']
>>> raw_schema("staff_survey").column("gse_01").max
4
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.codebook import ITEM_INSTRUMENTS, load_codebook
from analysis.errors import InputError

#: Column kinds: 'id' (unique text key), 'ref' (text key of another table), 'text',
#: 'category', 'int', 'float', 'date' (ISO 8601 YYYY-MM-DD).
KINDS = ("id", "ref", "text", "category", "int", "float", "date")

#: Fewest workers (data rows of staff_survey.csv) the analysis can use. Stage 05
#: refuses to fit its regressions with fewer than 10 workers; the QCA with four
#: conditions has 2**4 = 16 truth-table rows, so with fewer than 10 cases most rows
#: are empty remainders and a solution says next to nothing; and the reliability
#: and factor analyses of stage 02 need several complete answers per scale. The
#: study has 65 workers; 10 is the floor below which no stage gives a result.
MIN_WORKERS = 10

#: Fewest workers answering every item of a scale (or subscale): stage 02 computes
#: reliability on complete rows and refuses fewer than 3 (analysis.psychometrics).
MIN_COMPLETE_ROWS = 3

#: The rule every date column of every raw table follows.
DATE_RULE = ("no date is after the data's extraction date (`--extraction-date`; "
             "without it, today's date in UTC)")


@dataclass(frozen=True)
class ColumnSpec:
    """One column's contract: kind, allowed values or range, whether empty cells are allowed."""

    name: str
    kind: str
    description: str
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()
    nullable: bool = False
    references: str | None = None      # 'table.column' for kind 'ref'
    unit: str = ""
    source: str = ""                   # codebook id for item columns

    def expected(self) -> str:
        """What a valid cell looks like, in words (used in error messages and the dictionary)."""
        if self.kind == "id":
            text = "a unique, non-empty identifier"
        elif self.kind == "ref":
            text = f"an identifier present in {self.references}"
        elif self.kind == "text":
            text = "non-empty text"
        elif self.kind == "category":
            text = "one of " + ", ".join(repr(a) for a in self.allowed)
        elif self.kind == "date":
            text = "an ISO 8601 date YYYY-MM-DD"
        else:
            what = "an integer" if self.kind == "int" else "a number"
            lo, hi = self.min, self.max
            fmt = (lambda v: f"{v:g}")
            if lo is not None and hi is not None:
                text = f"{what} from {fmt(lo)} to {fmt(hi)}"
            elif lo is not None:
                text = f"{what} >= {fmt(lo)}" if lo != 0 or self.kind == "int" else f"{what} >= 0"
            elif hi is not None:
                text = f"{what} <= {fmt(hi)}"
            else:
                text = what
            if self.source:
                text += f" ({self.source} codebook response range)"
        return text + (" or empty" if self.nullable else "")


@dataclass(frozen=True)
class TableSpec:
    """A table's contract: file name, ordered columns (the first is the unique id), row checks."""

    name: str
    file: str
    description: str
    columns: tuple[ColumnSpec, ...]
    row_rules: tuple[str, ...] = field(default=())

    @property
    def id_column(self) -> str:
        return self.columns[0].name

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def item_specs() -> list[ColumnSpec]:
    """One spec per item column of every instrument, in survey order, from the codebooks."""
    out = []
    for cid in ITEM_INSTRUMENTS:
        cb = load_codebook(cid)
        for item in cb.items:
            rev = " (negatively worded)" if item in cb.reverse_keyed else ""
            out.append(ColumnSpec(item, "int", f"{cb.name}: answer to item {item}{rev}; empty = not answered",
                                  min=cb.response_min, max=cb.response_max, nullable=True, source=cid))
    return out


YES_NO = ("yes", "no")
DUE = ("yes", "no", "not_due")


def _raw_specs() -> dict[str, TableSpec]:
    staff = TableSpec(
        "staff_survey", "staff_survey.csv", "One row per front-line worker: survey answers.",
        (ColumnSpec("staff_id", "id", "Worker identifier (synthetic: S001, S002, ...)"),
         ColumnSpec("partnership", "category", "Outcomes partnership", allowed=("KBOP", "GMBOP")),
         ColumnSpec("organisation", "text", "Delivery organisation within the partnership"),
         ColumnSpec("tenure_years", "float", "Years in the role", min=0, max=60, unit="years"),
         *item_specs()),
        row_rules=(f"at least {MIN_WORKERS} workers (data rows)",
                   "no item column entirely empty and no item with the same answer from every worker",
                   f"every scale and subscale answered in full by at least {MIN_COMPLETE_ROWS} workers, "
                   "whose scale scores are not all equal"),
    )
    participants = TableSpec(
        "participants", "participants.csv", "One row per participant supported by a worker.",
        (ColumnSpec("participant_id", "id", "Participant identifier (synthetic: P0001, ...)"),
         ColumnSpec("staff_id", "ref", "The participant's key worker", references="staff_survey.staff_id"),
         ColumnSpec("start_date", "date", "Date the participant joined the programme"),
         ColumnSpec("age", "int", "Age in years at start", min=16, max=100, unit="years"),
         ColumnSpec("accommodation_entry_date", "date",
                    "Date the participant entered accommodation; empty if not (yet) housed", nullable=True),
         ColumnSpec("sustained_6m", "category",
                    "Accommodation sustained 6 months after entry; not_due = check not yet due at the data cut-off "
                    "(or no entry yet), which is not the same as no", allowed=DUE),
         ColumnSpec("sustained_12m", "category",
                    "Accommodation sustained 12 months after entry; not_due as for sustained_6m", allowed=DUE),
         ColumnSpec("ete_entry", "category", "Entered employment, education or training", allowed=YES_NO),
         ColumnSpec("wellbeing_start", "int", "Wellbeing score at start (SWEMWBS-style metric 7-35)", min=7, max=35),
         ColumnSpec("wellbeing_followup", "int", "Wellbeing score at follow-up; empty if not collected",
                    min=7, max=35, nullable=True)),
        row_rules=("accommodation_entry_date is on or after start_date", DATE_RULE,
                   "sustained_6m and sustained_12m are not_due when accommodation_entry_date is empty",
                   "sustained_12m = yes only if sustained_6m = yes"),
    )
    contacts = TableSpec(
        "contacts", "contacts.csv", "One row per meeting between a worker and a participant.",
        (ColumnSpec("contact_id", "id", "Contact identifier (synthetic: C000001, ...)"),
         ColumnSpec("participant_id", "ref", "Participant met", references="participants.participant_id"),
         ColumnSpec("staff_id", "ref", "Worker who held the meeting", references="staff_survey.staff_id"),
         ColumnSpec("date", "date", "Date of the meeting"),
         # float: systems that log meetings may export fractions of a minute
         ColumnSpec("duration_min", "float", "Length of the meeting", min=1, max=1440, unit="minutes")),
        row_rules=("date is on or after the participant's start_date", DATE_RULE,
                   "staff_id is the participant's key worker (the staff_id of the participant in participants.csv)"),
    )
    return {t.name: t for t in (staff, participants, contacts)}


def _processed_specs() -> dict[str, TableSpec]:
    staff_raw = _raw_specs()["staff_survey"]
    derived = (
        ColumnSpec("caseload", "float", "Mean number of active participants per calendar month, from the worker's "
                   "first to last contact month; a participant is active between their first and last contact",
                   min=0, nullable=True, unit="participants"),
        ColumnSpec("workload_hours", "float", "Contact hours per week: total contact minutes / 60 / weeks from the "
                   "worker's first to last contact", min=0, nullable=True, unit="hours/week"),
        ColumnSpec("meeting_minutes", "float", "Mean contact duration", min=0, nullable=True, unit="minutes"),
        ColumnSpec("n_participants", "int", "Participants supported", min=0),
        ColumnSpec("n_contacts", "int", "Contacts recorded", min=0),
        ColumnSpec("n_due_6m", "int", "Participants whose 6-month sustainment check is due (yes or no)", min=0),
        ColumnSpec("n_sustained_6m", "int", "Of them, accommodation sustained 6 months", min=0),
        ColumnSpec("sustain6_rate", "float", "n_sustained_6m / n_due_6m; empty when none is due",
                   min=0, max=1, nullable=True),
        ColumnSpec("n_due_12m", "int", "Participants whose 12-month sustainment check is due (yes or no): "
                   "the denominator of sustain12_rate", min=0),
        ColumnSpec("n_sustained_12m", "int", "Of them, accommodation sustained 12 months", min=0),
        ColumnSpec("sustain12_rate", "float", "n_sustained_12m / n_due_12m; empty when none is due",
                   min=0, max=1, nullable=True),
        ColumnSpec("n_ete", "int", "Participants who entered employment, education or training", min=0),
        ColumnSpec("ete_rate", "float", "n_ete / n_participants; empty when the worker has no participant",
                   min=0, max=1, nullable=True),
        ColumnSpec("n_wellbeing", "int", "Participants with both wellbeing scores", min=0),
        ColumnSpec("wellbeing_change", "float", "Mean (wellbeing_followup - wellbeing_start) over those participants",
                   min=-28, max=28, nullable=True, unit="points"),
    )
    staff = TableSpec("staff", "staff.csv", "Stage 01 output (data/processed/staff.csv): one row per worker.",
                      (*staff_raw.columns, *derived))
    return {"staff": staff}


def raw_schema(name: str) -> TableSpec:
    """Contract of raw table *name* ('staff_survey', 'participants' or 'contacts')."""
    specs = _raw_specs()
    if name not in specs:
        raise InputError(f"unknown raw table {name!r}; expected one of {', '.join(specs)}")
    return specs[name]


def processed_schema(name: str = "staff") -> TableSpec:
    """Contract of processed table *name* (currently only 'staff')."""
    specs = _processed_specs()
    if name not in specs:
        raise InputError(f"unknown processed table {name!r}; expected one of {', '.join(specs)}")
    return specs[name]


def raw_schemas() -> dict[str, TableSpec]:
    """Every raw table contract, in loading order (staff_survey, participants, contacts)."""
    return _raw_specs()


def to_pandera(spec: TableSpec) -> Any:
    """A pandera DataFrameSchema checking a *typed* table against *spec*.

    Types: id/ref/text/category -> str, int -> Int64 (nullable integers), float -> float64,
    date -> datetime64[ns]; ranges and allowed values as checks; the id column unique;
    columns exactly as specified, in order.
    """
    import pandera.pandas as pa

    dtypes = {"id": str, "ref": str, "text": str, "category": str, "int": "Int64",
              "float": "float64", "date": "datetime64[ns]"}
    cols = {}
    for c in spec.columns:
        checks = []
        if c.kind == "category":
            checks.append(pa.Check.isin(list(c.allowed)))
        if c.kind in ("int", "float"):
            if c.min is not None:
                checks.append(pa.Check.ge(c.min))
            if c.max is not None:
                checks.append(pa.Check.le(c.max))
        cols[c.name] = pa.Column(dtypes[c.kind], checks=checks, nullable=c.nullable,
                                 unique=c.kind == "id", description=c.description)
    return pa.DataFrameSchema(cols, strict=True, ordered=True, name=spec.name)

"""Readable names of the scale scores and QCA conditions, for figures and the paper."""

from __future__ import annotations

#: code -> readable name (codes without an entry are shown as they are)
LABELS: dict[str, str] = {
    "rpq": "Reflective practice (RPQ)", "gse": "Self-efficacy (GSE)",
    "iis": "Innovativeness (IIS)", "sbw": "SBW index (0-100)",
    "SBW": "SBW", "INNOV": "INNOV", "CASELOAD": "CASELOAD", "LONGMEET": "LONGMEET",
    "WORKLOAD": "WORKLOAD",
}


def label(code: str) -> str:
    """The readable name of *code* (itself when it has none).

    >>> label("gse"), label("other")
    ('Self-efficacy (GSE)', 'other')
    """
    return LABELS.get(code, code)

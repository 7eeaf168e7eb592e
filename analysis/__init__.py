"""Research compendium: strengths-based working and long-term outcomes.

The package holds every piece of logic the notebooks call: data generation and
validation, psychometric scoring, the fuzzy-set QCA engine, the regression
models, figures and the pipeline runner.
"""

__version__ = "0.1.0"

# A kernel or worker started by the pipeline ends with the pipeline (analysis._watchdog).
from analysis import _watchdog  # noqa: E402

_watchdog.start_from_environment()

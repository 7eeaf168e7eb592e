"""nbval reruns the committed notebooks outside the pipeline: their outputs go
under runs/notebook/ (analysis.io.output_path), silently, so that the
comparison with the committed outputs sees no note about it."""

import os

os.environ.setdefault("SBW_QUIET_REDIRECT", "1")

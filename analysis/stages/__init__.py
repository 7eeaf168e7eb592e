"""The study's stages, one module per notebook, with one contract.

Each module ``analysis.stages.<name>`` (``prepare``, ``psychometrics``,
``calibration``, ``qca``, ``regression``, ``figures``) provides

* ``run(...) -> <Name>Result``: compute the stage's results from its inputs
  (a frozen dataclass; no file is written);
* ``write(result, dirs) -> list[Path]``: write the stage's outputs, where
  *dirs* maps ``raw``, ``processed``, ``results``, ``figures`` to folders;
* ``claim_values(result) -> dict[str, tuple[value, paper label or None]]``:
  the claims the stage records for the paper.

The notebook of the stage calls these three and displays the result; the
statistical engines (:mod:`analysis.qca`, :mod:`analysis.regression`, the
psychometrics) hold no stage code, and :mod:`analysis.study` holds the study's
vocabulary.
"""

"""The examples in the docstrings of the claims, seeds and replication modules run and hold."""

from __future__ import annotations

import doctest

import pytest

from analysis import claims, replication, seeds


@pytest.mark.parametrize("module", [claims, seeds, replication], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

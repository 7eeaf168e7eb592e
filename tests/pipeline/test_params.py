"""Parameters: typed parsing, ranges, choices, and errors that list what is valid."""

from __future__ import annotations

import pytest

from analysis import pipeline
from analysis.cli import main
from analysis.errors import InputError
from analysis.params import load_params


@pytest.fixture(scope="module")
def space():
    return load_params()


def test_defaults_are_valid_and_typed(space):
    values = space.defaults()
    assert values["incl_cut"] == 0.8 and isinstance(values["incl_cut"], float)
    assert values["conditions"] == ["SBW", "INNOV", "CASELOAD", "LONGMEET"]
    assert isinstance(values["seed"], int)


def test_command_line_text_is_parsed_to_the_type(space):
    values = space.resolve([("incl_cut", "0.75"), ("n_cut", "2"), ("conditions", "SBW, INNOV,WORKLOAD")])
    assert values["incl_cut"] == 0.75
    assert values["n_cut"] == 2
    assert values["conditions"] == ["SBW", "INNOV", "WORKLOAD"]


def test_unknown_parameter_lists_valid_names(space):
    with pytest.raises(InputError) as err:
        space.resolve([("nosuchparam", "1")])
    msg = str(err.value)
    assert "nosuchparam" in msg
    for name in space.names():
        assert name in msg


@pytest.mark.parametrize("name, value, fragment", [
    ("incl_cut", "1.2", "above the maximum 1"),
    ("incl_cut", "high", "not a valid float"),
    ("incl_cut", "nan", "not a valid float"),
    ("n_cut", "0", "below the minimum 1"),
    ("n_cut", "1.5", "not a valid int"),
    ("outcome", "happiness", "valid values: sustain12, sustain6, ete_entry, wellbeing"),
    ("conditions", "SBW,FOO", "'FOO' is not allowed"),
    ("conditions", "SBW,SBW", "names a value twice"),
    ("conditions", " , ", "not a valid list"),
    ("n_jobs", "0", "0 is not allowed; valid values: int -1 <= value, except 0"),
    ("n_jobs", "-2", "below the minimum -1"),
])
def test_bad_values_are_refused_with_the_reason(space, name, value, fragment):
    with pytest.raises(InputError) as err:
        space.resolve([(name, value)])
    assert fragment in str(err.value)
    assert name in str(err.value)


def test_stage_receives_only_its_parameters(space):
    values = space.defaults()
    assert "incl_cut" in space.for_stage("qca", values)
    assert "incl_cut" not in space.for_stage("psychometrics", values)


def test_fingerprint_ignores_parameters_that_do_not_affect_results(space):
    base = space.defaults()
    assert space.fingerprint("qca", base) == space.fingerprint("qca", {**base, "n_jobs": 2})
    assert space.fingerprint("qca", base) != space.fingerprint("qca", {**base, "incl_cut": 0.9})
    # a parameter the stage does not receive does not change its fingerprint
    assert space.fingerprint("psychometrics", base) == space.fingerprint(
        "psychometrics", {**base, "incl_cut": 0.9})


def test_overridden_lists_only_changed_values(space):
    values = space.resolve([("incl_cut", "0.8"), ("n_cut", "3"), ("n_jobs", "1")])
    assert space.overridden(values) == {"n_cut": 3}


@pytest.mark.parametrize("value", ["-1", "1", "2"])
def test_n_jobs_takes_minus_one_or_a_positive_count(space, value):
    assert space.resolve([("n_jobs", value)])["n_jobs"] == int(value)


def test_exclude_refuses_values_inside_the_range(tmp_path):
    f = tmp_path / "params.yaml"
    f.write_text("ratio:\n  type: float\n  default: 0.5\n  min: 0\n  max: 1\n  exclude: [0.25]\n"
                 "  stages: [s]\n")
    p = load_params(f).params["ratio"]
    assert p.exclude == (0.25,)
    assert "except 0.25" in p.describe()
    assert p.parse("0.3") == 0.3
    with pytest.raises(InputError, match=r"parameter 'ratio': 0.25 is not allowed; valid values: "
                                         r"float 0 <= value <= 1, except 0.25"):
        p.parse("0.25")


@pytest.mark.parametrize("spec, fragment", [
    ("type: int\n  default: 0\n  exclude: [0]", "0 is not allowed"),       # the default itself
    ("type: int\n  default: 1\n  exclude: 0", "'exclude' must be a list"),
    ("type: int\n  default: 1\n  exclude: [x]", "not a valid int"),
    ("type: list\n  default: [a]\n  exclude: [a]", "not for list or bool"),
])
def test_bad_exclude_definitions_are_refused(tmp_path, spec, fragment):
    f = tmp_path / "params.yaml"
    f.write_text(f"p:\n  {spec}\n  stages: [s]\n")
    with pytest.raises(InputError, match=fragment):
        load_params(f)


@pytest.mark.parametrize("args, fragment", [
    (["reproduce", "-p", "n_jobs", "0"], "parameter 'n_jobs': 0 is not allowed; valid values: int -1 <= value"),
    (["run", "qca", "-p", "n_jobs", "0"], "parameter 'n_jobs': 0 is not allowed"),
    (["reproduce", "-p", "outcome", "happiness"],
     "valid values: sustain12, sustain6, ete_entry, wellbeing"),
    (["reproduce", "-p", "incl_cut", "1.01"], "parameter 'incl_cut': 1.01 is above the maximum 1"),
])
def test_refused_values_exit_2_before_any_stage_runs(monkeypatch, capsys, args, fragment):
    def no_run(*a, **k):
        raise AssertionError("a stage was started for a refused parameter value")

    monkeypatch.setattr(pipeline, "run_pipeline", no_run)
    monkeypatch.setattr(pipeline, "execute_notebook", no_run)
    assert main(args) == 2
    assert fragment in capsys.readouterr().err

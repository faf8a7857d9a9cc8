"""One set of solver rules: SolverOptions validated once; the CLI flags from one helper."""

import argparse

import pytest

from porestudio.cli._solver_args import add_solver_arguments, solver_from_args
from porestudio.errors import InputError
from porestudio.physics.options import HELP, SolverOptions, solver_options


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"mode": "free"}, "boundary mode"), ({"method": "fem"}, "method"),
     ({"collision": "mrt"}, "collision"), ({"device": "tpu"}, "device"),
     ({"device": "cuda:x"}, "device"), ({"tol": 0.0}, "tol"), ({"tol": 1.0}, "tol"),
     ({"tol": "abc"}, "tol"), ({"tol": float("nan")}, "tol"), ({"max_steps": 0}, "max_steps"),
     ({"max_steps": 2.5}, "max_steps"), ({"tau": 0.5}, "tau"), ({"dtype": "float16"}, "dtype")],
)  # fmt: skip
def test_every_bad_value_is_refused_when_built(kwargs, match):
    with pytest.raises(InputError, match=match):
        SolverOptions(**kwargs)


def test_good_values_are_normalised_and_frozen():
    opts = SolverOptions(device="CUDA:1", tol=1e-5, max_steps=10.0, tau=1)
    assert (opts.device, opts.tol, opts.max_steps, opts.tau) == ("cuda:1", 1e-5, 10, 1.0)
    with pytest.raises(AttributeError):
        opts.tol = 0.1  # type: ignore[misc]
    assert SolverOptions(device="cpu").resolved().device == "cpu"
    assert solver_options(tol=None, mode="periodic") == SolverOptions(mode="periodic")
    with pytest.raises(InputError, match="unknown solver option"):
        solver_options(tolerance=1e-3)


def test_permeability_and_the_campaign_share_the_rules(tmp_path):
    from porestudio.physics.campaign import label_dataset
    from porestudio.physics.permeability import permeability

    with pytest.raises(InputError, match="tol must be between 0 and 1"):
        permeability(__import__("numpy").ones((2, 2, 2), bool), tol=2.0)
    with pytest.raises(InputError, match="tol must be between 0 and 1"):
        label_dataset(tmp_path / "missing.h5", tol=2.0)  # refused before the file is read


def test_the_flag_helper_declares_every_option_with_help_and_defaults():
    parser = argparse.ArgumentParser()
    add_solver_arguments(parser)
    text = parser.format_help()
    for flag in ("--mode", "--method", "--collision", "--device", "--tol", "--max-steps",
                 "--tau", "--dtype"):  # fmt: skip
        assert flag in text
    assert "cuda:N" in text and "(default: kuhn)" in text and "(default: 1e-06)" in text
    actions = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert all(a.help for a in actions) and len(actions) == len(HELP)
    args = parser.parse_args(["--device", "cuda:0", "--tol", "1e-4", "--mode", "periodic"])
    assert solver_from_args(args) == SolverOptions(mode="periodic", device="cuda:0", tol=1e-4)
    with pytest.raises(InputError, match="tol"):
        solver_from_args(parser.parse_args(["--tol", "5"]))

"""One switch picks the backend: minixai.use, backends.using, $MINIXAI_BACKEND, or backend= per call."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minixai
from minixai import backends
from minixai.backends import reference

ROOT = pathlib.Path(__file__).resolve().parents[2]

CONTRACT = ("NAME", "asarray", "to_numpy", "zeros", "add", "reshape", "map", "conv2d_forward",
            "conv2d_backward_input", "conv2d_backward_params", "maxpool2d_forward", "maxpool2d_backward",
            "gap_forward", "gap_backward", "dense_forward", "dense_backward_input", "dense_backward_params")


def test_every_backend_implements_the_whole_contract(backend):
    module = backends.get(backend)
    missing = [name for name in CONTRACT if not hasattr(module, name)]
    assert not missing, f"backend {backend} lacks {missing}"
    assert module.NAME == backend


def test_use_switches_the_global_backend_and_returns_it(backend):
    module = minixai.use(backend)
    assert module is backends.get(backend) is backends.current()
    assert backends.resolve(None) is module and backends.resolve(backend) is module and backends.resolve(module) is module


def test_using_switches_for_a_block_and_restores_afterwards_even_on_error(backend):
    minixai.use("numpy")
    with backends.using(backend) as module:
        assert backends.current() is module is backends.get(backend)
    assert backends.current() is reference
    with pytest.raises(RuntimeError):
        with backends.using(backend):
            raise RuntimeError("inside")
    assert backends.current() is reference


def test_a_models_backend_argument_overrides_the_global_one(backend):
    from minixai.nn import Dense, Sequential
    model = Sequential([("fc", Dense(2, 2, rng=0))])
    minixai.use("numpy")
    trace = model.trace(np.ones((1, 2)), backend=backend)
    assert trace.backend is backends.get(backend)
    assert backends.current() is reference


@pytest.mark.parametrize("value, expected", [("numpy", "numpy"), ("", "numba"), (None, "numba")])
def test_the_environment_variable_picks_the_backend_in_a_fresh_process(value, expected):
    env = {"NUMBA_ENABLE_CUDASIM": "1", "PATH": ""}
    if value is not None:
        env["MINIXAI_BACKEND"] = value
    code = "import minixai.backends as b; print(b.current().NAME)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == expected


def test_the_default_backend_is_numba():
    assert backends.DEFAULT == "numba"

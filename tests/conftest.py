"""Shared test setup: the CUDA simulator, hypothesis profiles, and the backend parametrisation.

- ``NUMBA_ENABLE_CUDASIM`` defaults to 1 here, before anything imports numba, so the CUDA
  backend's tests run under numba's simulator in CI and on machines without a GPU. A GPU owner
  runs ``NUMBA_ENABLE_CUDASIM=0 pytest``.
- Hypothesis profiles, picked with ``HYPOTHESIS_PROFILE``: ``dev`` (default), ``ci`` (few
  examples, derandomised so a CI run is reproducible), ``cudasim`` (tiny), ``grade`` (ci without
  shrinking, for grading student copies). ``deadline=None``
  everywhere: the first example of a test compiles its Numba kernels.
- Any test with a ``backend`` argument runs once per backend (ids ``numpy``, ``numba``,
  ``cuda``); ``@pytest.mark.backends("numba", "cuda")`` narrows the list, and so does the
  environment variable ``MINIXAI_TEST_BACKENDS`` (for example ``numpy`` or ``numpy,numba``).
  CUDA items carry the ``cuda`` marker (``-m "not cuda"`` skips them) and run at most the
  ``cudasim`` profile's number of hypothesis examples: the simulator runs GPU threads in Python.
- Every test leaves the global backend (``minixai.use``) as it found it.
"""
import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, Phase, is_hypothesis_test, settings  # noqa: E402

import minixai.backends  # noqa: E402

BACKENDS = ("numpy", "numba", "cuda")
SELECTED = tuple(os.environ.get("MINIXAI_TEST_BACKENDS", ",".join(BACKENDS)).replace(" ", "").split(","))
SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.filter_too_much]

settings.register_profile("dev", deadline=None, max_examples=25, suppress_health_check=SLOW_IS_FINE)
settings.register_profile("ci", deadline=None, max_examples=10, derandomize=True, print_blob=True,
                          suppress_health_check=SLOW_IS_FINE)
settings.register_profile("cudasim", deadline=None, max_examples=3, derandomize=True, print_blob=True,
                          suppress_health_check=SLOW_IS_FINE)
# Grading a student copy (minixai assignment grade): a stub fails on every example, so shrinking
# the failure would only cost time.
settings.register_profile("grade", deadline=None, max_examples=10, derandomize=True,
                          phases=(Phase.explicit, Phase.reuse, Phase.generate), suppress_health_check=SLOW_IS_FINE)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)
CUDA_MAX_EXAMPLES = settings.get_profile("cudasim").max_examples


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker else BACKENDS
    unknown = [n for n in (*names, *SELECTED) if n not in BACKENDS]
    if unknown:
        raise pytest.UsageError(f"{metafunc.definition.name}: unknown backends {unknown}")
    metafunc.parametrize("backend", [pytest.param(n, id=n, marks=[pytest.mark.cuda] if n == "cuda" else [])
                                     for n in names if n in SELECTED])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Run hypothesis tests on the CUDA backend with at most CUDA_MAX_EXAMPLES examples."""
    test = getattr(item, "obj", None)
    if item.get_closest_marker("cuda") is None or not is_hypothesis_test(test):
        return (yield)
    # Hypothesis reads a test's settings when the test is called, from this attribute.
    original = test._hypothesis_internal_use_settings
    test._hypothesis_internal_use_settings = settings(original, max_examples=min(original.max_examples,
                                                                                 CUDA_MAX_EXAMPLES))
    try:
        return (yield)
    finally:
        test._hypothesis_internal_use_settings = original


@pytest.fixture(autouse=True)
def _restore_global_backend():
    previous = minixai.backends._current
    yield
    minixai.backends._current = previous


def pytest_report_header(config):
    return (f"hypothesis profile: {PROFILE}; "
            f"NUMBA_ENABLE_CUDASIM={os.environ.get('NUMBA_ENABLE_CUDASIM')}; "
            f"backends: {', '.join(SELECTED)}")

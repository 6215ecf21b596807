"""Engine speed: forward and forward+backward per backend, against PyTorch on the same weights.

Cases: (a) the MNIST-1D CNN, batch 100 of (1, 40); (b) the VGG-7, batch 32 of (3, 64, 64).
Modes: ``forward`` (``model(x)``, keeping no trace, as PyTorch under ``no_grad``); ``fwd+bwd
params`` (a training step without the update: the input gradient and every parameter
gradient); ``fwd+bwd input`` (the input gradient only, what a
saliency method asks for). Backends: numpy (the reference: one run, no warm-up, and only the
MNIST-1D case unless ``--numpy-vgg``), numba, and cuda where a GPU is present (never under
numba's simulator). PyTorch, when importable, runs the model from ``minixai.interop.to_torch``
in float32 with as many threads as numba uses.

    python benchmarks/engine.py [--repeats 5] [--quick] [--threads N] [--blas-core NAME]
                                [--numpy-vgg] [--cold-start]

Medians of ``--repeats`` runs after one warm-up (the first compiles), in two rounds of blocks
per candidate (``timing.compare``), so a burst of load from elsewhere lands on all of them. ``--threads N`` reruns the script with N
threads for BLAS, numba and PyTorch alike; on a machine shared with other work, ``--threads 1``
is the comparison to trust, since two threads that must meet at every parallel step wait for
whichever one the scheduler has parked. The numba backend tunes glibc's malloc when imported
(``minixai/backends/_malloc.py``), and PyTorch runs in the same process, so both get it; set
``MINIXAI_KEEP_FREED_MEMORY=0`` to see a pass page-fault its fresh arrays instead.
``--blas-core NAME`` reruns with ``OPENBLAS_CORETYPE=NAME``: OpenBLAS picks its kernels from
the processor's family and model, and falls back to older ones for a processor it does not know
(the header prints the kernels in use; this machine's AMD family 26 gets "Haswell", AVX2,
though it has AVX-512: ``--blas-core SkylakeX`` runs the AVX-512 kernels; PyTorch brings its own
BLAS and is not affected). ``--cold-start`` also times the first forward+backward
in a fresh process with an empty kernel cache, then again with the cache warm. Numbers are
printed, never asserted: read them next to the load average.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import compare  # noqa: E402

import minixai  # noqa: E402
from minixai import backends  # noqa: E402
from minixai.errors import NotApplicableError  # noqa: E402
from minixai.models import mnist1d_cnn, vgg7  # noqa: E402

CASES = [("mnist1d_cnn", mnist1d_cnn, (100, 1, 40)), ("vgg7", vgg7, (32, 3, 64, 64))]
MODES = ["forward", "fwd+bwd params", "fwd+bwd input"]


def minixai_step(model, x, grad, backend, mode: str):
    """The function to time: one forward (and backward) pass of ``model`` on ``backend``."""
    if mode == "forward":  # model(x): no trace kept, as torch under no_grad
        return lambda: model.forward(x, backend=backend)
    params = mode == "fwd+bwd params"
    return lambda: model.trace(x, backend=backend).backward(grad, params=params)


def torch_step(model, x, grad, mode: str):
    """The same step in PyTorch; ``torch.autograd.grad`` computes only the gradients asked for."""
    import torch
    from minixai.interop import to_torch
    net = to_torch(model, dtype=torch.float32)
    xt, gt = torch.from_numpy(x), torch.from_numpy(grad)
    weights = list(net.parameters())
    if mode == "forward":
        def step():
            with torch.no_grad():
                return net(xt).numpy()
        return step

    def step():
        xx = xt.detach().requires_grad_(True)
        wanted = [xx] + (weights if mode == "fwd+bwd params" else [])
        return [g.numpy() for g in torch.autograd.grad(net(xx), wanted, gt)]
    return step


def available_backends(numpy_vgg: bool) -> tuple:
    """({name: module}, [notes]) for the backends to time."""
    found, notes = {"numpy": backends.get("numpy"), "numba": backends.get("numba")}, []
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        notes.append("cuda: skipped, NUMBA_ENABLE_CUDASIM is set (the simulator shows correctness, not speed)")
    else:
        try:
            found["cuda"] = backends.get("cuda")
        except (NotApplicableError, ImportError) as exc:
            notes.append(f"cuda: skipped, no GPU ({str(exc).split(';')[0].split('. ')[0]})")
    if not numpy_vgg:
        notes.append("numpy: VGG-7 skipped (about a minute a pass; --numpy-vgg times it once)")
    return found, notes


def torch_threads() -> int | None:
    """Match PyTorch's thread count to numba's; None when PyTorch is not importable."""
    try:
        import torch
    except ImportError:
        return None
    import numba
    torch.set_num_threads(numba.get_num_threads())
    return torch.get_num_threads()


def run(repeats: int, numpy_vgg: bool) -> None:
    found, notes = available_backends(numpy_vgg)
    threads = torch_threads()
    import numba
    blas = os.environ.get("OPENBLAS_NUM_THREADS", f"{os.cpu_count()} (default)")
    print(f"minixai {minixai.__version__} engine benchmark: median ms of 2 rounds of {repeats} runs after 1 warm-up "
          f"(numpy: 1 run); threads: BLAS {blas}, numba {numba.get_num_threads()}"
          + (f", torch {threads}" if threads else ", PyTorch not installed"))
    for note in notes:
        print(note)
    from threadpoolctl import threadpool_info

    from minixai.backends import numba_cpu
    kernels = ", ".join(f"{lib['internal_api']} {lib.get('architecture')}" for lib in threadpool_info()
                        if lib["user_api"] == "blas")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; NumPy's BLAS kernels: "
          f"{kernels}; glibc keeps freed memory: {numba_cpu.MALLOC_TUNED}")
    columns = list(found) + (["torch"] if threads else [])
    header = f"{'case':<28}{'mode':<16}" + "".join(f"{c:>10}" for c in columns) + (f"{'numba/torch':>13}" if threads else "")
    print(header)
    print("-" * len(header))
    for name, make, shape in CASES:
        model = make()
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        grad = np.random.default_rng(1).standard_normal(model.output_shape(shape)).astype(np.float32)
        label = f"{name} N={shape[0]} {shape[1:]}"
        for mode in MODES:
            steps = {b: minixai_step(model, x, grad, module, mode) for b, module in found.items() if b != "numpy"}
            if threads:
                steps["torch"] = torch_step(model, x, grad, mode)
            times = compare(steps, repeats, warmup=1, rounds=2)
            if name == "mnist1d_cnn" or numpy_vgg:
                times["numpy"] = compare({"numpy": minixai_step(model, x, grad, found["numpy"], mode)}, 1, warmup=0)["numpy"]
            cells = "".join(f"{times[c]:>10.2f}" if c in times else f"{'-':>10}" for c in columns)
            ratio = f"{times['numba'] / times['torch']:>13.2f}" if threads else ""
            print(f"{label:<28}{mode:<16}{cells}{ratio}")
            label = ""
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


COLD_START = """
import time
t0 = time.perf_counter()
import numpy as np
import minixai
from minixai.models import {make}
model = {make}()
x = np.random.default_rng(0).standard_normal({shape}).astype(np.float32)
t1 = time.perf_counter()
def step():
    trace = model.trace(x, backend="numba")
    trace.backward(np.ones(trace.output.shape, np.float32), params=True)
step()
t2 = time.perf_counter()
step()
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def cold_start() -> None:
    """First forward+backward in a fresh process: with an empty kernel cache, then a warm one."""
    print("\ncold start, numba backend, forward+backward with params (seconds): "
          "import | first step (compiles or loads kernels) | second step")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for name, _, shape in CASES:
            for state in ("empty cache", "warm cache"):
                script = COLD_START.format(make=name, shape=shape)
                out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                     cwd=Path(__file__).resolve().parents[1], check=True).stdout.split()
                imported, first, second = (float(v) for v in out[-3:])
                print(f"  {name:<12} {state:<12} {imported:6.2f} | {first:6.2f} | {second:6.3f}")


def environment(args) -> dict:
    """Environment variables the run needs, read by BLAS at start-up (so: a new process)."""
    env = {}
    if args.threads:
        n = str(args.threads)
        env.update(OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, NUMBA_NUM_THREADS=n)
    if args.blas_core:
        env.update(OPENBLAS_CORETYPE=args.blas_core)
    return env


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per candidate (median reported)")
    parser.add_argument("--quick", action="store_true", help="2 timed runs per candidate")
    parser.add_argument("--threads", type=int, help="threads for BLAS, numba and PyTorch (default: numba's)")
    parser.add_argument("--blas-core", help="OPENBLAS_CORETYPE for this run (SkylakeX, Haswell, Zen, ...)")
    parser.add_argument("--numpy-vgg", action="store_true", help="also time the NumPy reference on the VGG-7 (slow)")
    parser.add_argument("--cold-start", action="store_true", help="also time compilation in fresh processes")
    args = parser.parse_args(argv)
    env = environment(args)
    if any(os.environ.get(k) != v for k, v in env.items()):
        os.execve(sys.executable, [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:])],
                  dict(os.environ, **env))
    start = time.perf_counter()
    run(2 if args.quick else args.repeats, args.numpy_vgg)
    if args.cold_start:
        cold_start()
    print(f"\n(benchmark took {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

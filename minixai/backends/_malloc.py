"""Keep freed memory for reuse: glibc's malloc tuned so a pass stops page-faulting its arrays.

A forward pass allocates every activation afresh and frees it a layer later. glibc serves
blocks above a threshold (128 KB, raised on the fly up to 32 MB) with their own mmap and gives
them back on free, and it trims the top of the heap once more than twice that threshold lies
free there. Either way the next pass gets fresh pages, and every 4 KB page costs a fault and a
zeroing on first touch: 436 minor faults per MNIST-1D forward pass at batch 100 (the arrays are
0.25 to 0.5 MB), which took it from 1.1 ms to 2.0 ms. PyTorch's passes fault none.

``keep_freed_memory`` fixes both thresholds (``mallopt``): blocks under 32 MB come from the heap,
and up to 64 MB of free heap top is kept for the next pass. The process then holds on to that
much memory after a large pass. The numba backend calls it when imported; set
``MINIXAI_KEEP_FREED_MEMORY=0`` to leave malloc as it was. Elsewhere than on glibc (macOS,
musl) it does nothing.
"""
from __future__ import annotations

import ctypes
import os
import sys

# From glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for the dynamic threshold on 64-bit machines
TRIM_THRESHOLD = 64 << 20


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds as above; True when both took effect."""
    if os.environ.get("MINIXAI_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) & bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))

"""Pooling: max-pooling with switches (1-D and 2-D) and global average pooling.

Max-pool forward keeps *switches*, the position of each window's maximum; back-prop and
DeconvNet alike send the signal back through them (seed 003_9e1ffa84955ffc85.txt, the table
"Layer | Forward pass | DeconvNet | Back-prop w.r.t. input"). Ties go to the first maximum in
scan order. Windows may overlap (kernel > stride); then signals meeting at one input add up.
"""
from __future__ import annotations

from ..errors import ShapeError
from .layer import Layer, Record, pair, positive_int, rank_error


class MaxPool2d(Layer):
    """x (N, C, H, W) -> y (N, C, HO, WO), the max of each kernel window; no padding."""

    def __init__(self, kernel_size, stride=None):
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")

    def config(self) -> dict:
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride)}

    def output_shape(self, shape: tuple, name: str = "pool") -> tuple:
        if len(shape) != 4:
            raise rank_error(name, shape, "(N, C, H, W)")
        return (*shape[:2], *self._spatial_out(shape[2:], name))

    def _spatial_out(self, sizes: tuple, name: str) -> tuple:
        out = []
        for size, k, s in zip(sizes, self.kernel_size, self.stride):
            if size < k:
                raise ShapeError(f"{name}: kernel_size {k} is larger than the input ({size})")
            out.append((size - k) // s + 1)
        return tuple(out)

    def forward(self, x, B, params: dict) -> tuple:
        y, switches = B.maxpool2d_forward(x, self.kernel_size, self.stride)
        return y, {"switches": switches}

    def infer(self, x, B, params: dict):
        return B.maxpool2d_forward(x, self.kernel_size, self.stride, switches=False)[0]

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = r_out routed to the forward argmax (switches)"""
        return fwd.backend.maxpool2d_backward(r_out, fwd.saved["switches"], fwd.x.shape)


class MaxPool1d(MaxPool2d):
    """x (N, C, L) -> y (N, C, LO); runs as MaxPool2d with kernel (1, K) on (N, C, 1, L)."""

    def __init__(self, kernel_size: int, stride: int | None = None):
        kernel_size = positive_int(kernel_size, "kernel_size")
        stride = kernel_size if stride is None else positive_int(stride, "stride")
        super().__init__((1, kernel_size), (1, stride))

    def config(self) -> dict:
        return {"kernel_size": self.kernel_size[1], "stride": self.stride[1]}

    def output_shape(self, shape: tuple, name: str = "pool") -> tuple:
        if len(shape) != 3:
            raise rank_error(name, shape, "(N, C, L)")
        return (*shape[:2], self._spatial_out((1, shape[2]), name)[1])

    def forward(self, x, B, params: dict) -> tuple:
        n, c, length = x.shape
        y, switches = B.maxpool2d_forward(B.reshape(x, (n, c, 1, length)), self.kernel_size, self.stride)
        return B.reshape(y, (n, c, y.shape[3])), {"switches": switches}

    def infer(self, x, B, params: dict):
        n, c, length = x.shape
        y, _ = B.maxpool2d_forward(B.reshape(x, (n, c, 1, length)), self.kernel_size, self.stride, switches=False)
        return B.reshape(y, (n, c, y.shape[3]))

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = r_out routed to the forward argmax (switches)"""
        B = fwd.backend
        n, c, length = fwd.x.shape
        r_in = B.maxpool2d_backward(B.reshape(r_out, (n, c, 1, r_out.shape[2])), fwd.saved["switches"], (n, c, 1, length))
        return B.reshape(r_in, (n, c, length))


class GlobalAvgPool(Layer):
    """x (N, C, L) or (N, C, H, W) -> y (N, C), the mean of each channel over its positions.

    The head conv -> GAP -> dense is what CAM needs (Zhou et al. 2016).
    """

    def output_shape(self, shape: tuple, name: str = "gap") -> tuple:
        if len(shape) not in (3, 4):
            raise ShapeError(f"{name}: input x: expected 3 dimensions (N, C, L) or 4 (N, C, H, W), got shape {tuple(shape)}")
        return tuple(shape[:2])

    def forward(self, x, B, params: dict) -> tuple:
        return B.gap_forward(_as_image(B, x)), {}

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = r_out / Z at every one of the Z positions"""
        B = fwd.backend
        return B.reshape(B.gap_backward(r_out, _as_image(B, fwd.x).shape), fwd.x.shape)


def _as_image(B, x):
    return B.reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2])) if len(x.shape) == 3 else x

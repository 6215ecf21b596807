"""The course project's models: a shallow 1-D CNN for MNIST-1D and a VGG-7 for textures."""
from .architectures import mnist1d_cnn, vgg7

__all__ = ["mnist1d_cnn", "vgg7"]

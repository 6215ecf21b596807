"""The course project's models: a shallow 1-D CNN for MNIST-1D and a VGG-7 for textures."""
from .architectures import mnist1d_cnn, vgg7
from .pretrained import SHIPPED, model_card, pretrained

__all__ = ["mnist1d_cnn", "vgg7", "pretrained", "model_card", "SHIPPED"]

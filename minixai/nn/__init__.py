"""The network: layers, the Sequential model, loss, optimisers, training, save/load."""
from .activation import ReLU
from .conv import Conv1d, Conv2d
from .dense import Dense, Flatten
from .io import load, save
from .layer import Layer, Record
from .loss import softmax, softmax_cross_entropy
from .model import Sequential, Signals, Trace
from .optim import SGD, Adam
from .pooling import GlobalAvgPool, MaxPool1d, MaxPool2d
from .train import accuracy, cosine_schedule, fit, train_step

__all__ = ["Layer", "Record", "Conv1d", "Conv2d", "ReLU", "MaxPool1d", "MaxPool2d", "GlobalAvgPool",
           "Flatten", "Dense", "Sequential", "Trace", "Signals", "softmax", "softmax_cross_entropy",
           "SGD", "Adam", "fit", "cosine_schedule", "train_step", "accuracy", "save", "load"]

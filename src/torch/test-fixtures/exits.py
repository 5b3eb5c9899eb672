# Ends the worker abruptly, without a Python exception.
import os

INPUT_SHAPES = [[1, 4]]


def build():
    os._exit(1)

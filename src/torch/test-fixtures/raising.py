"""A fixture whose build() raises: the bridge must report the Python traceback."""
INPUT_SHAPES = [[1, 4]]


def build():
    raise ValueError("this fixture is broken on purpose")

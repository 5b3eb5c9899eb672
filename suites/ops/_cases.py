"""The case type of the operator suite: one line of a family table (suites/ops/_<family>.py) is one case.

scripts/make-op-fixtures.py turns every case into a fixture file suites/ops/<family>/<prefix>_<name>.py
following the fixture contract (README "The fixture contract"). Nothing here imports torch: the
tables are plain data, so the generator runs on any Python 3.
"""
from dataclasses import dataclass, field

# Input distributions (the fixture contract's INPUT_DISTRIBUTION).
POSITIVE = {"kind": "uniform", "low": 0.1, "high": 4.0}  # log, sqrt, rsqrt, reciprocal, pow's base
WIDE = {"kind": "uniform", "low": -6.0, "high": 6.0}  # remainder, floor_divide, rounding: several periods
UNIT = {"kind": "uniform", "low": 0.5, "high": 1.5}  # prod, cumprod: magnitudes stay near 1

# Float32 tolerance with a relative part, for ops whose outputs grow well past 1 (prod, exp, pow).
RELATIVE = {"atol": 1e-5, "rtol": 1e-5}


@dataclass(frozen=True)
class Case:
    """One operator variant.

    name:    unique within its family; the fixture is <family prefix>_<name>.py.
    forward: a Python expression over the inputs x, y, z (one per shape), returned by forward; or
             several statements ending in a `return` line (use ';' or '\\n' between them).
    shapes:  INPUT_SHAPES (keep them small: goldens are committed elsewhere).
    init:    statements run in __init__ (after super().__init__()), e.g. "self.m = nn.GroupNorm(2, 4)";
             ';' or '\\n' between several. Normalization layers get non-trivial statistics.
    dist:    INPUT_DISTRIBUTION, or None for the default N(0, 1).
    tol:     TOLERANCE, or None for the suite's.
    """

    name: str
    forward: str
    shapes: list = field(default_factory=lambda: [[2, 3, 4]])
    init: str = ""
    dist: object = None
    tol: object = None


def c(name, forward, shapes=None, init="", dist=None, tol=None):
    return Case(name, forward, shapes if shapes is not None else [[2, 3, 4]], init, dist, tol)


def layer(name, module, shapes, forward="self.m(x)", dist=None, tol=None):
    """A case whose operator is an nn.Module (built once in __init__ as self.m)."""
    return Case(name, forward, shapes, f"self.m = {module}", dist, tol)

"""Writes the reference files the src/tensor tests read: .npy files made by real numpy (one per
dtype, plus a Fortran-ordered and a big-endian one that must be refused) and numpy's own
float32 -> float16 conversions of awkward values.

Run: /usr/bin/python3 scripts/make_tensor_fixtures.py  (writes src/tensor/fixtures/)
"""
import json
import os

import numpy

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "tensor", "fixtures")
os.makedirs(OUT, exist_ok=True)

rng = numpy.random.default_rng(1234)
arrays = {
    "float32": rng.standard_normal((2, 3, 4)).astype(numpy.float32),
    "float64": rng.standard_normal((3, 2)).astype(numpy.float64),
    "float16": rng.standard_normal((5,)).astype(numpy.float16),
    "int8": rng.integers(-128, 128, (2, 5), dtype=numpy.int8),
    "uint8": rng.integers(0, 256, (7,), dtype=numpy.uint8),
    "int32": rng.integers(-(2**31), 2**31 - 1, (2, 2), dtype=numpy.int32),
    "int64": numpy.array([[-(2**62), 2**40 + 3], [7, -1]], dtype=numpy.int64),
    "bool": numpy.array([True, False, True, True], dtype=numpy.bool_),
    "scalar_float32": numpy.array(3.5, dtype=numpy.float32),
    "empty_float32": numpy.zeros((0, 3), dtype=numpy.float32),
}
expected = {}
for name, array in arrays.items():
    numpy.save(os.path.join(OUT, f"{name}.npy"), array)
    values = array.astype(numpy.float64).ravel().tolist() if array.dtype != numpy.int64 else [str(v) for v in array.ravel()]
    expected[name] = {"dtype": str(array.dtype), "shape": list(array.shape), "values": values}

numpy.save(os.path.join(OUT, "fortran_float32.npy"), numpy.asfortranarray(rng.standard_normal((3, 4)).astype(numpy.float32)))
numpy.save(os.path.join(OUT, "bigendian_float32.npy"), rng.standard_normal((4,)).astype(">f4"))

def json_number(value):
    """JSON has no infinities: write them as the strings "inf" / "-inf"."""
    value = float(value)
    return value if numpy.isfinite(value) else ("inf" if value > 0 else "-inf")


# float32 -> float16 rounding: ties, subnormals, overflow, the largest finite half.
awkward = numpy.array(
    [0.0, -0.0, 1.0, 65504.0, 65519.0, 65520.0, 1e-8, 6e-8, 5.96e-8, 2.98e-8, 6.1e-5, 1.0009765625, 1.00048828125,
     1.00146484375, -2.5, 3.14159265, 1e5, -1e5, float("inf"), float("-inf")],
    dtype=numpy.float32,
)
with numpy.errstate(over="ignore"):  # 1e5 overflowing to inf is one of the cases
    halves = awkward.astype(numpy.float16)
expected["float16_rounding"] = {
    "inputs": [json_number(v) for v in awkward.astype(numpy.float64)],
    "bits": halves.view(numpy.uint16).tolist(),
    "decoded": [json_number(v) for v in halves.astype(numpy.float64)],
}
with open(os.path.join(OUT, "expected.json"), "w") as handle:
    json.dump(expected, handle, indent=1, allow_nan=False)
print(f"wrote {len(arrays) + 2} .npy files and expected.json to {os.path.normpath(OUT)}")

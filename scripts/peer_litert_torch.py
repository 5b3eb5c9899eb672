"""Converts fixtures with litert-torch (Google's PyTorch -> TFLite converter), the peer that
scripts/perf-table.ts times torchport's files against. Not a dependency of torchport: run it with an
interpreter that has `litert-torch` installed (a separate venv: it pins its own jax / torchao).

    PY scripts/peer_litert_torch.py --out DIR --representative SAMPLES.npy FIXTURE.py [...]

Writes DIR/<fixture name>/fp32.tflite and DIR/<fixture name>/int8.tflite. int8 is litert-torch's PT2E
route: symmetric per-channel weights, activation observers calibrated on every sample of
SAMPLES.npy ([N, *input shape], float32: the same samples torchport calibrates on), int8 inputs and
outputs. The fixture contract is the project's: build(), INPUT_SHAPES, SEED.
"""
import argparse
import importlib.util
import os
import sys

import numpy as np
import torch


def load_fixture(path):
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--representative", required=True)
    parser.add_argument("fixtures", nargs="+")
    args = parser.parse_args()

    import litert_torch
    from litert_torch.quantize import pt2e_quantizer
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e import quantize_pt2e

    samples = np.load(args.representative)
    for path in args.fixtures:
        fixture = load_fixture(path)
        name = os.path.splitext(os.path.basename(path))[0]
        if len(fixture.INPUT_SHAPES) != 1:
            sys.exit(f"{path}: this script converts single-input fixtures only")
        if tuple(samples.shape[1:]) != tuple(fixture.INPUT_SHAPES[0]):
            sys.exit(f"{args.representative}: samples of shape {list(samples.shape[1:])}, {path} takes {fixture.INPUT_SHAPES[0]}")
        torch.manual_seed(fixture.SEED)
        model = fixture.build().eval()
        example = (torch.from_numpy(samples[0]),)
        out = os.path.join(args.out, name)
        os.makedirs(out, exist_ok=True)
        litert_torch.convert(model, example).export(os.path.join(out, "fp32.tflite"))

        quantizer = pt2e_quantizer.PT2EQuantizer().set_global(pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=True))
        prepared = quantize_pt2e.prepare_pt2e(torch.export.export(model, example).module(), quantizer)
        with torch.no_grad():
            for sample in samples:
                prepared(torch.from_numpy(sample))
        quantized = quantize_pt2e.convert_pt2e(prepared, fold_quantize=False)
        litert_torch.convert(quantized, example, quant_config=QuantConfig(pt2e_quantizer=quantizer)).export(os.path.join(out, "int8.tflite"))
        print(f"{name}: fp32.tflite, int8.tflite", flush=True)


if __name__ == "__main__":
    main()

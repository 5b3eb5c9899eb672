"""torchport's TensorFlow-side worker: real Keras 3 and the native LiteRT interpreter.

Separate from the PyTorch bridge (scripts/torch_bridge.py): started only when a target needs it,
once per run. Modules are imported when a method first needs them (ai_edge_litert for TFLite,
keras + tensorflow for Keras and the TFLite converter), so a run that only uses the native
interpreter never pays TensorFlow's import.

Protocol (newline-delimited JSON; requests on stdin, answers on the original stdout):
  worker -> {"event": "ready", "python": ..., "numpy": ..., "modules": {name: version or null}}
  client -> {"id": N, "method": NAME, "params": {...}}
  worker -> {"id": N, "result": {...}}  or  {"id": N, "error": {"type", "message", "traceback"}}
Tensors travel as .npy files named in params / results. The worker exits at the end of stdin.
"""

import importlib.metadata
import json
import os
import platform
import sys
import time
import traceback

PROTOCOL = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy  # noqa: E402

# torchport's own copy of the custom layers, never one found beside a user's model file.
LAYERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "keras", "io")

MODELS = {}  # handle -> {"kind": "keras" | "tflite", ...}


class WorkerRequestError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def version_of(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def need(module, distribution):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        raise WorkerRequestError("ModuleUnavailable", f"{distribution} is not installed for {sys.executable} ({error}); run `npm run setup`") from error


def keras_module():
    keras = need("keras", "keras")
    if LAYERS_DIR not in sys.path:
        sys.path.insert(0, LAYERS_DIR)
    import torchport_layers  # noqa: F401, PLC0415 (registers the custom layers)

    return keras


def new_handle(entry):
    handle = len(MODELS) + 1
    while handle in MODELS:
        handle += 1
    MODELS[handle] = entry
    return handle


def model_entry(params, kind):
    entry = MODELS.get(params.get("handle"))
    if entry is None or entry["kind"] != kind:
        raise WorkerRequestError("BadHandle", f"no loaded {kind} model with handle {params.get('handle')!r}")
    return entry


def io_spec(name, shape, dtype):
    return {"name": name, "shape": [None if d is None else int(d) for d in shape], "dtype": numpy.dtype(dtype).name}


# ---------------------------------------------------------------------------------------------
# Keras


def load_keras(params):
    keras = keras_module()
    path = params["path"]
    if not os.path.isfile(path):
        raise WorkerRequestError("ModelFileError", f"{path}: no such file")
    model = keras.models.load_model(path, compile=False)
    inputs = [io_spec(t.name, t.shape, t.dtype) for t in model.inputs]
    outputs = [io_spec(t.name, t.shape, t.dtype) for t in model.outputs]
    handle = new_handle({"kind": "keras", "model": model, "inputs": inputs, "outputs": outputs})
    return {"handle": handle, "inputs": inputs, "outputs": outputs, "keras": keras.__version__, "backend": keras.backend.backend()}


def tf_convert(params):
    """TensorFlow's own TFLiteConverter on a Keras model file: the route a Keras user takes.
    Static batch `batch`; variant fp32 / fp16 / dynamic-int8 / int8 (float I/O, calibrated on
    `representative`: a list of samples, each a list of .npy paths, one per input)."""
    keras = keras_module()
    import tensorflow as tf  # noqa: PLC0415

    model = keras.models.load_model(params["path"], compile=False)
    batch = int(params.get("batch", 1))
    specs = [tf.TensorSpec([batch, *t.shape[1:]], tf.float32, name=f"input_{i}") for i, t in enumerate(model.inputs)]

    def forward(*xs):
        outputs = model(list(xs) if len(xs) > 1 else xs[0], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return {f"output_{i}": o for i, o in enumerate(outputs)}

    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2  # noqa: PLC0415

    # Weights frozen into constants (as from_keras_model does): left as variables they become
    # uninitialised resource variables in the .tflite.
    concrete = convert_variables_to_constants_v2(tf.function(forward).get_concrete_function(*specs))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    variant = params["variant"]
    if variant not in ("fp32", "fp16", "dynamic-int8", "int8"):
        raise WorkerRequestError("BadVariant", f"unknown variant {variant!r}")
    if variant != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if variant == "int8":
        samples = [[numpy.load(p, allow_pickle=False) for p in sample] for sample in params["representative"]]
        converter.representative_dataset = lambda: iter(samples)
    data = converter.convert()
    temporary = f"{params['out']}.tmp-{os.getpid()}"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, params["out"])
    return {"path": params["out"], "bytes": len(data), "tensorflow": tf.__version__}


def run_keras(entry, inputs):
    outputs = entry["model"](inputs if len(inputs) > 1 else inputs[0], training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [numpy.asarray(o) for o in outputs]


# ---------------------------------------------------------------------------------------------
# TFLite (the native LiteRT interpreter)


def load_tflite(params):
    litert = need("ai_edge_litert.interpreter", "ai-edge-litert")
    threads = int(params.get("threads") or 1)
    path = params["path"]
    if not os.path.isfile(path):
        raise WorkerRequestError("ModelFileError", f"{path}: no such file")
    interpreter = litert.Interpreter(model_path=path, num_threads=threads)
    signatures = interpreter.get_signature_list()
    if signatures:
        key = "serving_default" if "serving_default" in signatures else next(iter(signatures))
        runner = interpreter.get_signature_runner(key)
        details_in = runner.get_input_details()
        details_out = runner.get_output_details()
        # The signature lists names sorted; positional order is the subgraph's input / output order.
        input_order = [d["index"] for d in interpreter.get_input_details()]
        output_order = [d["index"] for d in interpreter.get_output_details()]
        input_names = sorted(signatures[key]["inputs"], key=lambda n: position(input_order, details_in[n]["index"]))
        output_names = sorted(signatures[key]["outputs"], key=lambda n: position(output_order, details_out[n]["index"]))
        inputs = [io_spec(n, details_in[n]["shape"], details_in[n]["dtype"]) for n in input_names]
        outputs = [io_spec(n, details_out[n]["shape"], details_out[n]["dtype"]) for n in output_names]
        quant = {n: details_out[n]["quantization"] for n in output_names}
    else:
        interpreter.allocate_tensors()
        runner = None
        inputs = [io_spec(d["name"], d["shape"], d["dtype"]) for d in interpreter.get_input_details()]
        outputs = [io_spec(d["name"], d["shape"], d["dtype"]) for d in interpreter.get_output_details()]
        quant = {d["name"]: d["quantization"] for d in interpreter.get_output_details()}
    entry = {"kind": "tflite", "interpreter": interpreter, "runner": runner, "inputs": inputs, "outputs": outputs}
    handle = new_handle(entry)
    return {
        "handle": handle,
        "inputs": inputs,
        "outputs": outputs,
        "outputQuantization": [{"scale": float(quant[o["name"]][0]), "zeroPoint": int(quant[o["name"]][1])} for o in outputs],
        "litert": version_of("ai-edge-litert"),
        "threads": threads,
    }


def position(order, index):
    return order.index(index) if index in order else len(order)


def run_tflite(entry, inputs):
    if entry["runner"] is not None:
        result = entry["runner"](**{spec["name"]: value for spec, value in zip(entry["inputs"], inputs)})
        return [numpy.asarray(result[spec["name"]]) for spec in entry["outputs"]]
    interpreter = entry["interpreter"]
    for detail, value in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], value)
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()]


# ---------------------------------------------------------------------------------------------
# Both


RUN = {"keras": run_keras, "tflite": run_tflite}


def read_inputs(entry, paths):
    if len(paths) != len(entry["inputs"]):
        raise WorkerRequestError("InputError", f"the model takes {len(entry['inputs'])} input(s), got {len(paths)}")
    return [numpy.load(p, allow_pickle=False) for p in paths]


def run(params):
    entry = MODELS.get(params.get("handle"))
    if entry is None:
        raise WorkerRequestError("BadHandle", f"no loaded model with handle {params.get('handle')!r}")
    outputs = RUN[entry["kind"]](entry, read_inputs(entry, params["inputs"]))
    paths = []
    for i, value in enumerate(outputs):
        path = os.path.join(params["outputDir"], f"output_{i}.npy")
        numpy.save(path, numpy.ascontiguousarray(value))
        paths.append(path)
    return {"outputs": paths}


def bench(params):
    """Warm-up runs, then timed runs (inputs set and outputs read back inside the timed region)."""
    entry = MODELS.get(params.get("handle"))
    if entry is None:
        raise WorkerRequestError("BadHandle", f"no loaded model with handle {params.get('handle')!r}")
    inputs = read_inputs(entry, params["inputs"])
    execute = RUN[entry["kind"]]
    for _ in range(int(params.get("warmup", 5))):
        execute(entry, inputs)
    samples = []
    min_runs = int(params.get("minRuns", 1))
    deadline = time.perf_counter() + float(params.get("maxSeconds", 10))
    for _ in range(int(params.get("runs", 50))):
        start = time.perf_counter()
        execute(entry, inputs)
        samples.append((time.perf_counter() - start) * 1000)
        if len(samples) >= min_runs and time.perf_counter() > deadline:
            break
    return {"samplesMs": samples}


def close(params):
    MODELS.pop(params.get("handle"), None)
    return {}


METHODS = {"tf_convert": tf_convert, "load_keras": load_keras, "load_tflite": load_tflite, "run": run, "bench": bench, "close": close}


def send(message):
    PROTOCOL.write(json.dumps(message, allow_nan=False) + "\n")
    PROTOCOL.flush()


def main():
    modules = {name: version_of(name) for name in ("keras", "tensorflow-cpu", "tensorflow", "ai-edge-litert")}
    send({"event": "ready", "python": platform.python_version(), "numpy": numpy.__version__, "executable": sys.executable, "cpus": os.cpu_count(), "modules": modules})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        method = METHODS.get(request.get("method"))
        try:
            if method is None:
                raise WorkerRequestError("UnknownMethod", f"unknown method {request.get('method')!r}")
            send({"id": request["id"], "result": method(request.get("params") or {})})
        except Exception as error:  # noqa: BLE001 (every failure goes back to the client)
            kind = error.kind if isinstance(error, WorkerRequestError) else type(error).__name__
            send({"id": request["id"], "error": {"type": kind, "message": str(error), "traceback": traceback.format_exc()}})


if __name__ == "__main__":
    main()

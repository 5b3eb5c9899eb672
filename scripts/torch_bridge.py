"""torchport's PyTorch bridge: one long-lived worker per run.

Protocol (newline-delimited JSON on the worker's original stdout; requests on stdin):
  worker -> {"event": "ready", "torch": ..., "python": ..., "numpy": ..., "pid": ...}   once, at start
  client -> {"id": N, "method": NAME, "params": {...}}
  worker -> {"id": N, "result": {...}}  or  {"id": N, "error": {"type", "message", "traceback"}}
Tensors never travel as JSON numbers: the client names .npy / .safetensors paths and the worker
reads or writes them. Adding a capability means adding a method to METHODS, not changing the
framing. Anything a fixture prints goes to stderr (fd 1 is re-pointed there), so it cannot corrupt
the protocol stream.

Exit codes: 0 after "shutdown" or end of stdin, 3 when torch cannot be imported.
"""

import faulthandler
import importlib.util
import inspect
import json
import os
import platform
import signal
import struct
import sys
import time
import traceback

# Keep the protocol stream private before anything (torch, a fixture) can print to it.
PROTOCOL = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

# The client sends SIGUSR1 before killing a request that ran out of time, so the log shows
# where the fixture was stuck.
faulthandler.register(signal.SIGUSR1, all_threads=True)


def end_process_group(*_):
    """Ends this worker together with everything a fixture started (the client spawns the worker
    as the leader of its own process group)."""
    try:
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(1)


def watch_parent():
    """The worker must not outlive the node process that started it (a kill -9 of node, a crash):
    the kernel sends SIGTERM when the parent dies (Linux prctl PR_SET_PDEATHSIG), and a thread
    polls as well (other systems, an interpreter wrapper between node and Python, or a main thread
    stuck in C code when the signal comes). Either ends the whole process group."""
    node = os.environ.get("TORCHPORT_BRIDGE_PARENT_PID")
    if not node or not node.isdigit():
        return
    node = int(node)
    parent = os.getppid()  # node itself, or a wrapper script that did not exec

    def node_gone():
        if os.getppid() != parent:
            return True
        try:
            os.kill(node, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        return False

    signal.signal(signal.SIGTERM, end_process_group)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the polling thread still covers it
    if node_gone():  # it died before the signal was armed
        end_process_group()

    import threading

    def poll():
        while True:
            time.sleep(0.25)
            if node_gone():
                end_process_group()

    threading.Thread(target=poll, name="torchport-parent-watch", daemon=True).start()


watch_parent()

try:
    import numpy
    import torch
except ImportError as error:  # the client tries the next interpreter
    sys.stderr.write(f"torchport bridge: cannot import torch with {sys.executable}: {error}\n")
    sys.exit(3)


class BridgeRequestError(Exception):
    """A request that cannot be served; `kind` becomes the error type the client sees."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def send(message):
    PROTOCOL.write(json.dumps(message, allow_nan=False) + "\n")
    PROTOCOL.flush()


# ---------------------------------------------------------------------------------------------
# Fixtures

FIXTURES = {}  # handle -> {"module": nn.Module, "path": str, ...}


def load_fixture_module(path):
    if not os.path.isfile(path):
        raise BridgeRequestError("FixtureError", f"fixture file not found: {path}")
    # Fixtures may import helpers that sit beside them (suites/fixtures/_common.py).
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = "torchport_fixture_" + str(len(FIXTURES))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BridgeRequestError("FixtureError", f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def validate_input_shapes(path, shapes):
    if not isinstance(shapes, (list, tuple)) or len(shapes) == 0:
        raise BridgeRequestError(
            "FixtureError", f"{path}: INPUT_SHAPES must be a non-empty list of shapes, one per input, got {shapes!r}"
        )
    checked = []
    for i, shape in enumerate(shapes):
        if isinstance(shape, torch.Size):
            shape = list(shape)
        if (
            not isinstance(shape, (list, tuple))
            or len(shape) == 0
            or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        ):
            raise BridgeRequestError(
                "FixtureError",
                f"{path}: INPUT_SHAPES[{i}] must be a list of positive integers like [1, 3, 224, 224], got {shape!r}",
            )
        checked.append([int(d) for d in shape])
    return checked


def json_safe(value, where):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise BridgeRequestError("FixtureError", f"{where} must be JSON-like (numbers, strings, lists, dicts): {error}")
    return value


def method_load_fixture(params):
    path = os.path.abspath(params["path"])
    with FileReads() as reads:
        module = load_fixture_module(path)
        build = getattr(module, "build", None)
        if not callable(build):
            raise BridgeRequestError("FixtureError", f"{path}: a fixture must define build() returning an nn.Module")
        shapes = validate_input_shapes(path, getattr(module, "INPUT_SHAPES", None))
        seed = getattr(module, "SEED", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise BridgeRequestError("FixtureError", f"{path}: SEED must be a non-negative integer, got {seed!r}")
        # Weights are initialised from torch's RNG: seed it so build() is reproducible.
        torch.manual_seed(seed)
        model = build()
    if not isinstance(model, torch.nn.Module):
        raise BridgeRequestError(
            "FixtureError", f"{path}: build() must return a torch.nn.Module, got {type(model).__name__}"
        )
    model.eval()
    waiver = getattr(module, "DISCRIMINATION_WAIVER", None)
    if waiver is not None and (not isinstance(waiver, str) or not waiver.strip()):
        raise BridgeRequestError("FixtureError", f"{path}: DISCRIMINATION_WAIVER must be a non-empty string saying why, got {waiver!r}")
    handle = f"f{len(FIXTURES)}"
    FIXTURES[handle] = {"module": model, "path": path, "shapes": shapes}
    return {
        "handle": handle,
        "inputShapes": shapes,
        "seed": seed,
        "inputDistribution": json_safe(getattr(module, "INPUT_DISTRIBUTION", None), f"{path}: INPUT_DISTRIBUTION"),
        "tolerance": json_safe(getattr(module, "TOLERANCE", None), f"{path}: TOLERANCE"),
        "moduleType": type(model).__name__,
        "dependencies": sorted(set(local_modules(module, path)) | {p for p in reads.paths if p != path}),
        **({"discriminationWaiver": waiver} if waiver is not None else {}),
    }


# ---------------------------------------------------------------------------------------------
# What a fixture depends on besides its own file: a golden is stale when any of these changes.

LIBRARY_ROOTS = tuple(
    sorted(
        {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__), os.path.dirname(os.path.dirname(torch.__file__)))}
        | {os.path.realpath(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    )
)


def is_project_file(path):
    real = os.path.realpath(path)
    return os.path.isfile(real) and not real.startswith(LIBRARY_ROOTS) and not real.startswith("/dev/") and not real.startswith("/proc/")


class FileReads:
    """Records every file opened for reading (open(), io.open, os.open) while the fixture loads and builds."""

    def __init__(self):
        self.paths = set()

    def __enter__(self):
        import builtins
        import io

        self.originals = (builtins.open, io.open, os.open)
        original_open, _, original_os_open = self.originals
        reads = self.paths

        def note(file, mode):
            if isinstance(file, (str, bytes, os.PathLike)) and not any(flag in str(mode) for flag in "wax+"):
                path = os.path.abspath(os.fsdecode(file))
                if is_project_file(path):
                    reads.add(path)

        def traced_open(file, mode="r", *args, **kwargs):
            note(file, mode)
            return original_open(file, mode, *args, **kwargs)

        def traced_os_open(path, flags, *args, **kwargs):
            note(path, "r" if (flags & (os.O_WRONLY | os.O_RDWR)) == 0 else "w")
            return original_os_open(path, flags, *args, **kwargs)

        builtins.open = traced_open
        io.open = traced_open
        os.open = traced_os_open
        return self

    def __exit__(self, *exc):
        import builtins
        import io

        builtins.open, io.open, os.open = self.originals
        return False


def local_modules(module, fixture_path):
    """Project modules the fixture imports (directly or through each other), by file path."""
    seen = set()
    found = []
    queue = [module]
    while queue:
        current = queue.pop()
        for value in list(vars(current).values()):
            owner = value if isinstance(value, type(sys)) else sys.modules.get(getattr(value, "__module__", None) or "")
            file = getattr(owner, "__file__", None)
            if owner is None or file is None or id(owner) in seen:
                continue
            seen.add(id(owner))
            path = os.path.abspath(file)
            if path != fixture_path and is_project_file(path):
                found.append(path)
                queue.append(owner)
    return found


def fixture_for(params):
    handle = params.get("handle")
    if handle not in FIXTURES:
        raise BridgeRequestError("ProtocolError", f"unknown fixture handle {handle!r}; call load_fixture first")
    return FIXTURES[handle]


# ---------------------------------------------------------------------------------------------
# Tensors on disk

SAFETENSORS_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
TORCH_DTYPES = {code: dtype for dtype, code in SAFETENSORS_DTYPES.items()}


def tensor_bytes(tensor):
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:  # numpy has no bfloat16: move the raw 16-bit patterns
        tensor = tensor.view(torch.int16)
    array = tensor.numpy()
    if array.dtype.byteorder == ">":
        array = array.byteswap()
    return array.tobytes()


def write_safetensors(path, tensors):
    """Writes the safetensors layout by hand (no safetensors package on Debian's torch)."""
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        tensor = tensors[name]
        if tensor.dtype not in SAFETENSORS_DTYPES:
            raise BridgeRequestError("TensorError", f"state_dict entry {name} has unsupported dtype {tensor.dtype}")
        blob = tensor_bytes(tensor)
        header[name] = {
            "dtype": SAFETENSORS_DTYPES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    encoded = text.encode("utf-8")
    write_atomic(path, [struct.pack("<Q", len(encoded)), encoded] + blobs)


def read_safetensors(path):
    with open(path, "rb") as handle:
        data = handle.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = TORCH_DTYPES[info["dtype"]]
        raw = bytearray(body[begin:end])
        if dtype == torch.bfloat16:
            flat = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if raw else torch.empty(0, dtype=dtype)
        else:
            flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"]).clone()
    return tensors


def write_atomic(path, chunks):
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def read_npy(path):
    return torch.from_numpy(numpy.load(path, allow_pickle=False).copy())


def write_npy(path, tensor):
    array = tensor.detach().cpu().contiguous().numpy()
    temporary = f"{path}.tmp-{os.getpid()}.npy"
    try:
        numpy.save(temporary, array, allow_pickle=False)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def flatten_outputs(value, prefix="output"):
    """Model outputs as (name, tensor) pairs: a tensor, or tuples/lists/dicts of them, in order."""
    if isinstance(value, torch.Tensor):
        return [(prefix, value)]
    if isinstance(value, (tuple, list)):
        pairs = []
        for i, item in enumerate(value):
            pairs.extend(flatten_outputs(item, f"{prefix}_{i}"))
        return pairs
    if isinstance(value, dict):
        pairs = []
        for key, item in value.items():
            pairs.extend(flatten_outputs(item, f"{prefix}_{key}"))
        return pairs
    raise BridgeRequestError(
        "FixtureError", f"forward() returned {type(value).__name__} at {prefix}; outputs must be tensors or tuples/lists/dicts of tensors"
    )


def output_names(pairs):
    # A single tensor output is "output_0", like the first element of a tuple.
    return ["output_0" if name == "output" else name for name, _ in pairs]


# ---------------------------------------------------------------------------------------------
# Methods


def method_hello(params):
    return versions()


def method_state_dict(params):
    fixture = fixture_for(params)
    state = fixture["module"].state_dict()
    write_safetensors(params["path"], state)
    return {
        "path": params["path"],
        "tensors": [
            {"name": name, "dtype": str(tensor.dtype).replace("torch.", ""), "shape": list(tensor.shape)}
            for name, tensor in sorted(state.items())
        ],
    }


def method_load_weights(params):
    fixture = fixture_for(params)
    state = read_safetensors(params["path"])
    missing, unexpected = fixture["module"].load_state_dict(state, strict=False)
    if missing or unexpected:
        raise BridgeRequestError(
            "WeightsError",
            f"{params['path']} does not fit the fixture's model: missing {list(missing)}, unexpected {list(unexpected)}",
        )
    fixture.pop("double", None)  # the float64 copies were made from the old weights
    fixture.pop("half_double", None)
    return {"tensors": len(state)}


def double_model(fixture):
    """A float64 copy of the fixture's model (made once per fixture): the reference a float32 run is
    measured against. The fixture's own model stays float32."""
    if "double" not in fixture:
        import copy

        fixture["double"] = copy.deepcopy(fixture["module"]).double().eval()
    return fixture["double"]


def half_double_model(fixture):
    """The float64 copy with every floating parameter and buffer first rounded to float16: what storing
    the weights in float16 costs on this model, in exact arithmetic (the float16-budget rule's yardstick)."""
    if "half_double" not in fixture:
        import copy

        model = copy.deepcopy(fixture["module"]).eval()
        with torch.no_grad():
            for tensor in list(model.parameters()) + list(model.buffers()):
                if tensor.is_floating_point():
                    tensor.data = tensor.data.half().double()
        fixture["half_double"] = model.double()
    return fixture["half_double"]


def method_run(params):
    fixture = fixture_for(params)
    inputs = [read_npy(path) for path in params["inputs"]]
    expected = fixture["shapes"]
    if len(inputs) != len(expected):
        raise BridgeRequestError("InputError", f"the model takes {len(expected)} inputs, got {len(inputs)}")
    float16_weights = bool(params.get("float16Weights"))
    float64 = bool(params.get("float64")) or float16_weights
    module = fixture["module"]
    if float64:
        # Integer inputs (token ids) stay integer; only floating-point inputs are widened.
        module = half_double_model(fixture) if float16_weights else double_model(fixture)
        inputs = [x.double() if x.is_floating_point() else x for x in inputs]
    # In float64 the tensors forward() creates without a dtype (torch.zeros(n)) are float64 as well.
    default_dtype = torch.get_default_dtype()
    try:
        if float64:
            torch.set_default_dtype(torch.float64)
        with torch.no_grad():
            result = module(*inputs)
    finally:
        torch.set_default_dtype(default_dtype)
    pairs = flatten_outputs(result)
    names = output_names(pairs)
    out_dir = params["outputDir"]
    outputs = []
    for name, (_, tensor) in zip(names, pairs):
        path = os.path.join(out_dir, f"{name}.npy")
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        if float64 and tensor.is_floating_point() and tensor.dtype != torch.float64:
            raise BridgeRequestError(
                "Float64Error",
                f"{name} is {str(tensor.dtype).replace('torch.', '')} when the model runs in float64: forward() casts to a narrower float type, so there is no float64 answer",
            )
        write_npy(path, tensor)
        outputs.append({"name": name, "path": path, "shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", "")})
    return {"outputs": outputs}


def method_capture_graph(params):
    """Captures the model's graph on the given inputs: graph JSON, constant tensors and, when
    asked, every intermediate activation (by value id) as safetensors."""
    import torchport_capture

    fixture = fixture_for(params)
    inputs = [read_npy(path) for path in params["inputs"]]
    keep = bool(params.get("activationsPath"))
    try:
        graph, constants, activations = torchport_capture.capture(
            fixture["module"], inputs, lambda result: list(zip(output_names(flatten_outputs(result)), [t for _, t in flatten_outputs(result)])), keep
        )
    except torchport_capture.CaptureError as error:
        raise BridgeRequestError("CaptureError", str(error))
    write_safetensors(params["constantsPath"], constants)
    if keep:
        write_safetensors(params["activationsPath"], activations)
    text = json.dumps(graph, allow_nan=False, separators=(",", ":"))
    write_atomic(params["graphPath"], [text.encode("utf-8")])
    return {"nodes": len(graph["nodes"]), "constants": len(constants)}


# torch 2.x defaults to the dynamo exporter, which writes the weights to a separate .data file next
# to the temporary path; the TorchScript exporter (torch 1.13's only one) writes one self-contained file.
# A golden holds one self-contained model.onnx: where the exporter can write weights beside the model
# ("<file>.data", named after the temporary file), it is told not to.
_EXPORT_PARAMETERS = inspect.signature(torch.onnx.export).parameters
ONNX_EXPORT_OPTIONS = {
    **({"dynamo": False} if "dynamo" in _EXPORT_PARAMETERS else {}),
    **({"external_data": False} if "external_data" in _EXPORT_PARAMETERS else {}),
}


def method_export_onnx(params):
    """Exports the model with torch.onnx.export on the given inputs (static shapes): the ONNX route
    users would otherwise take, kept as a baseline target."""
    fixture = fixture_for(params)
    inputs = [read_npy(path) for path in params["inputs"]]
    with torch.no_grad():
        names = output_names(flatten_outputs(fixture["module"](*inputs)))
    temporary = f"{params['path']}.tmp-{os.getpid()}"
    import warnings

    opset = int(params.get("opset", 17))
    attempts = [(opset, ONNX_EXPORT_OPTIONS)]
    if "dynamo" in _EXPORT_PARAMETERS:
        # What the TorchScript exporter has no conversion for (F.scaled_dot_product_attention with enable_gqa=True,
        # transformers' Llama attention) the dynamo exporter may export. It is asked for opset 18 at least: its
        # conversion down to 17 leaves Split with opset 18's num_outputs attribute, which ONNX Runtime refuses.
        attempts.append((max(opset, 18), {"dynamo": True, **({"external_data": False} if "external_data" in _EXPORT_PARAMETERS else {})}))
    failures = []
    try:
        for attempt_opset, options in attempts:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # tracer warnings about Python values are expected
                    torch.onnx.export(
                        fixture["module"],
                        tuple(inputs),
                        temporary,
                        opset_version=attempt_opset,
                        input_names=[f"input_{i}" for i in range(len(inputs))],
                        output_names=names,
                        do_constant_folding=True,
                        **options,
                    )
            except Exception as error:  # noqa: BLE001 - every exporter's failure is reported below
                exporter = "dynamo exporter" if options.get("dynamo") else "TorchScript exporter"
                failures.append(f"{exporter} (opset {attempt_opset}): {type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}")
                remove_partial_export(temporary)
                continue
            os.replace(temporary, params["path"])
            return {"path": params["path"], "opset": attempt_opset, "outputs": names}
        raise RuntimeError("torch.onnx.export failed: " + "; ".join(failures))
    finally:
        remove_partial_export(temporary)


def remove_partial_export(temporary):
    """A failed export may have written part of the file: never leave it inside a golden."""
    for path in (temporary, f"{temporary}.data"):
        if os.path.exists(path):
            os.remove(path)


def method_time_run(params):
    """Times forward passes of the model on the given inputs, inside Python (time.perf_counter_ns),
    for the latency benchmark's PyTorch reference row: `warmup` untimed passes, then timed passes
    until `runs` are done or `budgetMs` of timed work has passed (at least `minRuns`). The timed region is
    the forward call alone, under no_grad; `threads` (optional) sets torch's intra-op threads for the
    duration of the request."""
    fixture = fixture_for(params)
    inputs = [read_npy(path) for path in params["inputs"]]
    warmup = int(params.get("warmup", 0))
    runs = max(1, int(params.get("runs", 1)))
    min_runs = max(1, int(params.get("minRuns", 1)))
    budget_ns = float(params.get("budgetMs", float("inf"))) * 1e6
    previous_threads = torch.get_num_threads()
    if params.get("threads"):
        torch.set_num_threads(int(params["threads"]))
    try:
        module = fixture["module"]
        samples = []
        with torch.no_grad():
            for _ in range(warmup):
                module(*inputs)
            spent = 0
            while len(samples) < runs and (len(samples) < min_runs or spent < budget_ns):
                started = time.perf_counter_ns()
                module(*inputs)
                elapsed = time.perf_counter_ns() - started
                samples.append(elapsed)
                spent += elapsed
        return {"samplesNs": samples, "warmup": warmup, "threads": torch.get_num_threads()}
    finally:
        torch.set_num_threads(previous_threads)


def method_unload(params):
    FIXTURES.pop(params.get("handle"), None)
    return {}


METHODS = {
    "hello": method_hello,
    "load_fixture": method_load_fixture,
    "state_dict": method_state_dict,
    "load_weights": method_load_weights,
    "run": method_run,
    "capture_graph": method_capture_graph,
    "export_onnx": method_export_onnx,
    "time_run": method_time_run,
    "unload": method_unload,
}


def versions():
    return {
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "pid": os.getpid(),
    }


def serve():
    send({"event": "ready", **versions()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            method = request.get("method")
            if method == "shutdown":
                send({"id": request_id, "result": {}})
                return
            if method not in METHODS:
                raise BridgeRequestError("ProtocolError", f"unknown method {method!r}")
            result = METHODS[method](request.get("params") or {})
            send({"id": request_id, "result": result})
        except BaseException as error:  # a fixture may raise anything, SystemExit included
            if isinstance(error, KeyboardInterrupt):
                raise
            kind = error.kind if isinstance(error, BridgeRequestError) else "FixtureError"
            send(
                {
                    "id": request_id,
                    "error": {
                        "type": kind,
                        "message": f"{type(error).__name__}: {error}",
                        "traceback": traceback.format_exc(),
                    },
                }
            )


if __name__ == "__main__":
    serve()

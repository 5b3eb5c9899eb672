"""Graph capture for torchport: runs a model once on real inputs and records what it computed.

Why not torch.fx or TorchScript alone: fx's symbolic tracing fails on ordinary forward code that does
shape arithmetic (`b, c, h, w = x.size()`), and a TorchScript trace inlines every module into aten
ops, losing the module boundaries the Keras side needs (one Keras layer per PyTorch module, named
by its state_dict prefix). Running the model for real under a TorchFunctionMode sees every torch
call with concrete values instead: shape arithmetic simply evaluates, specialised on INPUT_SHAPES.

What is recorded:
- leaf modules (classes from torch.nn that are not containers: Conv2d, BatchNorm2d, ReLU,
  MultiheadAttention, LSTM, ...) as one "module" node each, with their public attributes; the
  composite Transformer classes are traced into their parts instead (TRACED_THROUGH);
- every other torch call that produces a tensor from graph-dependent tensors (functional ops,
  Tensor methods and operators) as a "function" node, scoped by the user module whose forward
  made it;
- computations that do not depend on the inputs (torch.arange, parameter arithmetic) are folded:
  their results become constant tensors (holding their content when a node reads them, so a constant
  written in place after it was made is read with the write);
- in-place writes (`y[:, 0] = v`, `y.add_(v)`, `ReLU(inplace=True)`) as nodes that make a new value of the
  tensor written; a write into a view made by indexing also as the assignment into its base. A tensor
  changed by a write the graph cannot show (through a view made by view/transpose/...) is refused when
  read, instead of being read with its old content.
"""

import json
import math

import torch
from torch.overrides import TorchFunctionMode

CONTAINERS = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict, torch.nn.ParameterList, torch.nn.ParameterDict)
# Tensor methods/attributes that answer questions about a tensor instead of computing one.
NON_COMPUTING = {"size", "dim", "numel", "shape", "dtype", "device", "is_contiguous", "stride", "element_size", "__len__", "item", "tolist", "data_ptr", "requires_grad", "ndim", "__format__", "__repr__", "__bool__", "__int__", "__float__", "__index__"}
# Tensor attributes that compute a tensor from the one read (x.T, x.mT; x.H and x.mH are the same on real
# tensors). An attribute read reaches the torch-function mode as Tensor.__get__ (the descriptor's __get__);
# these are recorded as nodes named Tensor.<attribute>, every other attribute read (shape, dtype, device,
# data, grad, is_leaf, requires_grad, ...) is not.
COMPUTING_ATTRIBUTES = {"T", "mT", "H", "mH"}


def attribute_read(func):
    """The attribute a Tensor.__get__ call reads (x.T: "T"), or None when func is no attribute read."""
    descriptor = getattr(func, "__self__", None)
    if getattr(func, "__name__", None) != "__get__" or type(descriptor).__name__ != "getset_descriptor":
        return None
    return getattr(descriptor, "__name__", None)


class CaptureError(Exception):
    pass


CONCATENATIONS = ("torch.cat", "torch.concat", "torch.concatenate")

# Operators that write into their left operand (`x += y`); methods do the same when named with a trailing _.
INPLACE_OPERATORS = {"__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__imatmul__"}


def storage_owner(tensor):
    """The tensor whose storage a view looks into (the tensor itself when it is not a view)."""
    return tensor._base if tensor._base is not None else tensor


def is_inplace(short_name):
    return short_name in INPLACE_OPERATORS or (short_name.endswith("_") and not short_name.startswith("_"))


def without_empty_operands(args):
    """torch.cat's tensors without the empty ones, which add nothing: a key/value cache starts as an empty
    tensor that each step concatenates onto (transformers' DynamicCache), and a converter has no layer for a
    tensor with no elements."""
    if not args or not isinstance(args[0], (list, tuple)):
        return args
    tensors = [t for t in args[0] if not (isinstance(t, torch.Tensor) and t.numel() == 0)]
    return (tensors if tensors else list(args[0]), *args[1:])


# torch.nn modules built from other modules that the converter has no conversion of its own for:
# they are traced into their parts (Linear, LayerNorm, MultiheadAttention, functional calls).
TRACED_THROUGH = ("Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer")


# Methods a subclass may define without changing what its torch.nn base computes.
NON_COMPUTING_METHODS = {"__init__", "extra_repr", "reset_parameters", "_reset_parameters", "__repr__", "__setstate__", "__getstate__", "_load_from_state_dict", "_save_to_state_dict", "init_weights", "_init_weights"}


def torch_class(cls):
    """The torch.nn class whose computation `cls` performs: cls itself when torch defines it; for a subclass
    defined elsewhere (a library's `class Norm(nn.LayerNorm)` that only changes __init__) the torch.nn class it
    inherits forward from, so the module is recorded by what it computes. None when a class outside torch
    overrides forward or another method (then the module is traced into its calls, never refused for its name)."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("torch.nn.modules"):
            return klass
        own = {name for name, attribute in vars(klass).items() if callable(attribute) or isinstance(attribute, (staticmethod, classmethod, property))}
        if own - NON_COMPUTING_METHODS:
            return None
    return None


def is_leaf_module(module):
    cls = torch_class(type(module))
    if cls is None or (cls.__module__ == "torch.nn.modules.transformer" and cls.__name__ in TRACED_THROUGH):
        return False
    return cls is not torch.nn.Module and not issubclass(cls, CONTAINERS)


def module_type(module):
    """The class name a leaf module is recorded under: its torch.nn class (see torch_class)."""
    cls = torch_class(type(module)) if is_leaf_module(module) else None
    return (cls or type(module)).__name__


def op_name(func):
    """A stable, readable name for a torch callable: torch.cat, Tensor.view, F.relu, Tensor.__getitem__."""
    name = getattr(func, "__name__", None) or repr(func)
    qualname = getattr(func, "__qualname__", name)
    module = getattr(func, "__module__", None)
    if qualname.startswith("_TensorBase.") or qualname.startswith("Tensor."):
        return "Tensor." + name
    if module == "torch.nn.functional" or (module or "").startswith("torch._C._nn"):
        return "F." + name  # F.gelu and F.avg_pool2d are the C functions torch._C._nn.*
    if module == "torch.functional":
        return "torch." + name  # torch.split is defined in torch/functional.py
    if qualname.startswith("_VariableFunctionsClass.") or module == "torch":
        return "torch." + name
    if module and module.startswith("torch._tensor"):
        return "Tensor." + name
    if getattr(func, "__objclass__", None) is not None:  # a slot wrapper such as Tensor.__getitem__
        return "Tensor." + name
    if isinstance(func, property) or type(func).__name__ in ("getset_descriptor", "method-wrapper"):
        return "Tensor." + name
    return (module + "." if module else "") + qualname


def json_attribute(value):
    """Module attributes that are plain data (hyperparameters), or None when not JSON-like."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value, True
    if isinstance(value, float):
        return (value if math.isfinite(value) else str(value)), True
    if isinstance(value, (tuple, list)):
        items = [json_attribute(v) for v in value]
        if all(ok for _, ok in items):
            return [v for v, _ in items], True
    if isinstance(value, torch.Size):
        return list(value), True
    return None, False


def module_attributes(module):
    attributes = {}
    for key, value in vars(module).items():
        if key.startswith("_"):
            continue
        if key == "training":
            # Recorded only when True (a module left in training mode although the model is in eval mode),
            # so that the converters whose op is random in training (RReLU) can refuse it.
            if value is True:
                attributes["training"] = True
            continue
        encoded, ok = json_attribute(value)
        if ok:
            attributes[key] = encoded
    return attributes


class Recorder(TorchFunctionMode):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.values = {}  # value id -> {"shape", "dtype"}
        self.value_of = {}  # id(tensor) -> value id
        self.dynamic = set()  # value ids that depend on a graph input
        self.keep_alive = []  # tensors seen, so that id() values are never reused during the capture
        self.param_name = {}
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            self.param_name.setdefault(id(tensor), name)
        self.constants = {}  # constant id -> tensor
        self.constant_of = {}  # id(tensor) -> constant id
        self.nodes = []
        self.node_names = {}
        self.scope = [""]
        self.leaf_depth = 0
        self.activations = {}  # value id -> tensor (only when asked)
        self.keep_activations = False
        self.suspended = 0  # > 0 while the recorder itself computes (copies of activations)
        # In-place writes. Every recorded tensor keeps the version counter (tensor._version, shared by a
        # tensor and its views, bumped by every in-place write) it had when recorded: a tensor whose counter
        # moved on was written by something the graph does not show, and using it would bake in the old
        # value. A view made by indexing (x[:, 0]) remembers its base and index, so a write into it is
        # recorded as the assignment into the base (x[:, 0] = ...) that it is.
        self.version_of = {}  # value id -> tensor._version when recorded
        self.constant_version = {}  # constant id -> tensor._version when copied
        self.indexed_view = {}  # id(view) -> (base tensor, index)
        # While an in-place write is recorded: the tensor written (by the tensor owning its storage, as the
        # version counter is shared) -> its version before the write.
        self.written = {}

    # -- values ---------------------------------------------------------------------------------
    def new_value(self, tensor, dynamic):
        value = f"v{len(self.values)}"
        self.values[value] = {"shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", "")}
        self.value_of[id(tensor)] = value
        self.version_of[value] = tensor._version
        self.keep_alive.append(tensor)
        if dynamic:
            self.dynamic.add(value)
            if self.keep_activations:
                self.activations[value] = self.copy(tensor)
        return value

    def copy(self, tensor):
        self.suspended += 1
        try:
            return tensor.detach().clone()
        finally:
            self.suspended -= 1

    def encode(self, arg):
        """Encodes an argument; returns (encoded, depends_on_input)."""
        if isinstance(arg, torch.Tensor):
            value = self.value_of.get(id(arg))
            if value is not None:
                if self.version_of[value] not in (arg._version, self.written.get(id(storage_owner(arg)))):
                    raise CaptureError(
                        f"a tensor the model reads ({'x'.join(map(str, arg.shape)) or 'scalar'} {str(arg.dtype).replace('torch.', '')}, "
                        f"made by node {self.producer_of(value)}) was changed by an in-place write torchport cannot follow: an in-place op "
                        "on a view of it (made by view/reshape/transpose/narrow/split/...), or on the tensor it is a view of; write that step out of place, "
                        "e.g. build the new tensor with torch.cat or torch.where, or assign with an index (x[:, 0] = y), which is supported"
                    )
                return {"value": value}, value in self.dynamic
            name = self.param_name.get(id(arg))
            if name is not None:
                return {"param": name}, False
            constant = self.constant_of.get(id(arg))
            if constant is None or self.constant_version[constant] != arg._version:
                constant = self.new_constant(arg)
            return {"constant": constant}, False
        if isinstance(arg, torch.Size):
            return {"list": [{"const": int(d)} for d in arg]}, False  # encoded like any int list
        if isinstance(arg, (list, tuple)):
            items = [self.encode(a) for a in arg]
            return {"list": [e for e, _ in items]}, any(d for _, d in items)
        if isinstance(arg, dict):
            items = {str(k): self.encode(v) for k, v in arg.items()}
            return {"dict": {k: e for k, (e, _) in items.items()}}, any(d for _, d in items.values())
        if isinstance(arg, slice):
            parts = [self.encode(p)[0] for p in (arg.start, arg.stop, arg.step)]
            return {"slice": parts}, False
        if arg is Ellipsis:
            return {"ellipsis": True}, False
        if isinstance(arg, torch.dtype):
            return {"dtype": str(arg).replace("torch.", "")}, False
        if isinstance(arg, bool) or arg is None or isinstance(arg, (int, str)):
            return {"const": arg}, False
        if isinstance(arg, float):
            return ({"const": arg} if math.isfinite(arg) else {"const": str(arg)}), False
        if isinstance(arg, torch.device):
            return {"const": str(arg)}, False
        return {"repr": repr(arg)[:200]}, False

    def new_constant(self, tensor):
        """A constant holding the tensor's current content (a tensor written in place since gets a new one,
        so nodes recorded before the write keep the old content)."""
        constant = f"c{len(self.constants)}"
        self.constants[constant] = self.copy(tensor)
        self.constant_of[id(tensor)] = constant
        self.constant_version[constant] = tensor._version
        self.keep_alive.append(tensor)
        return constant

    def producer_of(self, value):
        for node in reversed(self.nodes):
            if value in node["outputs"]:
                return f"'{node['name']}' ({node['op']})"
        return "(a graph input)"

    def flat_tensors(self, result):
        if isinstance(result, torch.Tensor):
            return [result]
        if isinstance(result, (list, tuple)):
            out = []
            for item in result:
                out.extend(self.flat_tensors(item))
            return out
        return []

    def record(self, kind, op, args, kwargs, result, module=None):
        encoded_args = [self.encode(a) for a in args]
        encoded_kwargs = {k: self.encode(v) for k, v in kwargs.items()}
        dynamic = any(d for _, d in encoded_args) or any(d for _, d in encoded_kwargs.values())
        outputs = self.flat_tensors(result)
        if not outputs:
            return
        if not dynamic:
            # Does not depend on the inputs: its results are constants, not graph nodes.
            for tensor in outputs:
                self.value_of.pop(id(tensor), None)
                if id(tensor) not in self.param_name:
                    self.new_constant(tensor)
            return
        scope = module if kind == "module" else self.scope[-1]
        base = module if kind == "module" else (f"{scope}.{op.split('.')[-1].strip('_')}" if scope else op.split(".")[-1].strip("_"))
        count = self.node_names.get(base, 0)
        self.node_names[base] = count + 1
        name = base if count == 0 else f"{base}:{count}"
        node = {
            "name": name,
            "kind": kind,
            "op": op,
            "scope": scope,
            "args": [e for e, _ in encoded_args],
            "kwargs": {k: e for k, (e, _) in encoded_kwargs.items()},
            # Every output gets a fresh value, even when the op returned its input (in-place ops),
            # so later uses of that tensor object refer to the new value.
            "outputs": [self.new_value(t, True) for t in outputs],
            "structure": structure_of(result),
        }
        if module is not None:
            node["module"] = module
        self.nodes.append(node)

    # -- interception -----------------------------------------------------------------------------
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        target = args[0] if args and isinstance(args[0], torch.Tensor) else None
        version_before = target._version if target is not None else None
        result = func(*args, **kwargs)
        if self.leaf_depth == 0 and self.suspended == 0:
            name = op_name(func)
            short = name.split(".")[-1]
            # Tensor.__setitem__ is recorded by traced_setitem, which every assignment goes through.
            if name == "Tensor.__get__" and attribute_read(func) in COMPUTING_ATTRIBUTES and isinstance(result, torch.Tensor):
                self.record("function", f"Tensor.{attribute_read(func)}", args[:1], {}, result)
            elif short not in NON_COMPUTING and name not in ("Tensor.__get__", "Tensor.__set__", "Tensor.__setitem__"):
                if name in CONCATENATIONS:
                    args = without_empty_operands(args)
                if target is not None and result is target and is_inplace(short):
                    self.record_write(name, args, kwargs, target, version_before)
                else:
                    self.record("function", name, args, kwargs, result)
        return result

    def record_write(self, name, args, kwargs, tensor, version_before, kind="function", module=None):
        """Records an in-place write into `tensor` (done already: its version counter moved on from
        `version_before`) as a node making a new value of it; then, when `tensor` is a view made by indexing,
        the assignment into its base (`base[index] = tensor`), which the write changed too."""
        self.written[id(storage_owner(tensor))] = version_before
        try:
            self.record(kind, name, args, kwargs, tensor, module=module)
        finally:
            del self.written[id(storage_owner(tensor))]
        origin = self.indexed_view.get(id(tensor))
        if origin is not None and self.value_of.get(id(tensor)) in self.dynamic:
            base, index = origin
            # A view shares its base's version counter: the base too stood at version_before.
            self.record_write("Tensor.__setitem__", (base, index, tensor), {"indexed_shape": list(tensor.shape)}, base, version_before)

    def traced_setitem(self, original):
        """Tensor.__setitem__, recorded as a node that makes a new value of the tensor assigned into (the
        torch-function mode alone would see a call that returns None and so record nothing, leaving later
        reads of the tensor with its old content: silently wrong)."""
        recorder = self
        depth = [0]

        def __setitem__(tensor, index, value):
            version_before = tensor._version
            # The shape of tensor[index] tells a list index (x[[0, 1]]) from a tuple (x[0, 1]), both recorded as lists.
            recorder.suspended += 1
            try:
                indexed_shape = list(tensor[index].shape)
            finally:
                recorder.suspended -= 1
            depth[0] += 1
            try:
                original(tensor, index, value)
            finally:
                depth[0] -= 1
            if depth[0] == 0 and recorder.leaf_depth == 0 and recorder.suspended == 0:
                recorder.record_write("Tensor.__setitem__", (tensor, index, value), {"indexed_shape": indexed_shape}, tensor, version_before)

        __setitem__.__qualname__ = "Tensor.__setitem__"
        return __setitem__

    def traced_getitem(self, original):
        """Tensor.__getitem__ that is always recorded. torch 1.13 indexes with a plain int (x[0],
        h_n[-1]) without consulting torch-function modes, so the result would be an unknown tensor
        and later uses of it a constant baked from the capture's input: silently wrong."""
        recorder = self
        depth = [0]

        def __getitem__(tensor, index):
            depth[0] += 1
            try:
                result = original(tensor, index)
            finally:
                depth[0] -= 1
            # The outermost call records it, unless the mode already did (slices, tensor indices).
            if depth[0] == 0 and recorder.leaf_depth == 0 and recorder.suspended == 0 and isinstance(result, torch.Tensor):
                if id(result) not in recorder.value_of:
                    recorder.record("function", "Tensor.__getitem__", (tensor, index), {}, result)
                if result._base is not None:
                    recorder.indexed_view[id(result)] = (tensor, index)
            return result

        __getitem__.__qualname__ = "Tensor.__getitem__"
        return __getitem__

    def wrap_modules(self):
        originals = []
        for path, module in self.model.named_modules():
            original = module.forward
            originals.append((module, "forward" in vars(module), original))
            module.forward = self.make_forward(path, module, original)
        return originals

    def make_forward(self, path, module, original):
        leaf = is_leaf_module(module)

        def forward(*args, **kwargs):
            if leaf:
                target = args[0] if args and isinstance(args[0], torch.Tensor) else None
                version_before = target._version if target is not None else None
                self.leaf_depth += 1
                try:
                    result = original(*args, **kwargs)
                finally:
                    self.leaf_depth -= 1
                if self.leaf_depth == 0:
                    if target is not None and result is target and target._version != version_before:  # ReLU(inplace=True)
                        self.record_write(module_type(module), args, kwargs, target, version_before, kind="module", module=path)
                    else:
                        self.record("module", module_type(module), args, kwargs, result, module=path)
                return result
            self.scope.append(path)
            try:
                return original(*args, **kwargs)
            finally:
                self.scope.pop()

        return forward


def structure_of(result):
    """How a node's flat outputs nest: "tensor", or a list of structures (tuples/lists)."""
    if isinstance(result, torch.Tensor):
        return "tensor"
    if isinstance(result, (list, tuple)):
        return [structure_of(item) for item in result]
    return None


def module_tree(model):
    tree = {}
    for path, module in model.named_modules():
        tree[path] = {
            "type": module_type(module),
            "class": f"{type(module).__module__}.{type(module).__qualname__}",
            "leaf": is_leaf_module(module),
            "attributes": module_attributes(module) if is_leaf_module(module) else {},
            "parameters": [name for name, _ in module.named_parameters(recurse=False)],
            "buffers": [name for name, _ in module.named_buffers(recurse=False)],
        }
    return tree


def capture(model, inputs, flatten_outputs, keep_activations=False):
    """Returns (graph dict, constants {id: tensor}, activations {value id: tensor})."""
    recorder = Recorder(model)
    recorder.keep_activations = keep_activations
    graph_inputs = []
    for i, tensor in enumerate(inputs):
        value = recorder.new_value(tensor, True)
        graph_inputs.append({"name": f"input_{i}", "value": value})
    originals = recorder.wrap_modules()
    original_getitem = torch.Tensor.__getitem__
    original_setitem = torch.Tensor.__setitem__
    torch.Tensor.__getitem__ = recorder.traced_getitem(original_getitem)
    torch.Tensor.__setitem__ = recorder.traced_setitem(original_setitem)
    try:
        with torch.no_grad(), recorder:
            result = model(*inputs)
    finally:
        torch.Tensor.__getitem__ = original_getitem
        torch.Tensor.__setitem__ = original_setitem
        for module, had_own, original in originals:
            if had_own:
                module.forward = original
            else:
                del module.forward
    for graph_input in graph_inputs:  # the golden holds the inputs already
        recorder.activations.pop(graph_input["value"], None)
    outputs = []
    for name, tensor in flatten_outputs(result):
        value = recorder.value_of.get(id(tensor))
        if value is None or value not in recorder.dynamic:
            raise CaptureError(f"output {name} does not depend on the model's inputs (a constant or a parameter); it cannot be captured")
        outputs.append({"name": name, "value": value})
    recorder.nodes = live_nodes(recorder.nodes, {output["value"] for output in outputs})
    kept = {graph_input["value"] for graph_input in graph_inputs} | {value for node in recorder.nodes for value in node["outputs"]}
    recorder.values = {value: info for value, info in recorder.values.items() if value in kept}
    recorder.activations = {value: tensor for value, tensor in recorder.activations.items() if value in kept}
    referenced = set()
    collect_references([node["args"] for node in recorder.nodes] + [node["kwargs"] for node in recorder.nodes], "constant", referenced)
    constants = {cid: t for cid, t in recorder.constants.items() if cid in referenced}
    graph = {
        "format": "torchport-graph",
        "version": 1,
        "inputs": graph_inputs,
        "outputs": outputs,
        "values": recorder.values,
        "modules": module_tree(model),
        "nodes": recorder.nodes,
        "constants": {
            cid: {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")} for cid, t in constants.items()
        },
    }
    return graph, constants, recorder.activations


def collect_references(encoded, kind, found):
    """Adds the ids of every {kind: id} reference ("value", "constant") in an encoded argument to `found`."""
    if isinstance(encoded, dict):
        if isinstance(encoded.get(kind), str):  # not a user's dict argument that has such a key
            found.add(encoded[kind])
        for value in encoded.values():
            collect_references(value, kind, found)
    elif isinstance(encoded, list):
        for value in encoded:
            collect_references(value, kind, found)


def live_nodes(nodes, outputs):
    """The nodes the outputs depend on. A model computes more than it returns (transformers' BERT runs its
    pooler, ConvNeXt its final norm, beside the last_hidden_state a wrapper returns): those nodes and the
    parameters only they read are left out of the graph, so the converter neither builds them nor asks for
    their weights."""
    live = set(outputs)
    kept = []
    for node in reversed(nodes):
        if not live.intersection(node["outputs"]):
            continue
        kept.append(node)
        collect_references([node["args"], node["kwargs"]], "value", live)
    return kept[::-1]

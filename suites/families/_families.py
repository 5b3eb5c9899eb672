"""Helpers for the model-family fixtures (timm_*.py, hf_*.py). Files starting with '_' are not fixtures.

The libraries are test-time dependencies of the project's Python environment (scripts/requirements.txt, installed
into .venv by `npm run setup`). Nothing is downloaded: every model is built from a config with random weights
(HF_HUB_OFFLINE is set before transformers is imported).
"""
import importlib
import os
import sys
import types

import torch
import torch.nn as nn

REQUIREMENTS = "scripts/requirements.txt"


def _missing(package, error):
    return ImportError(
        f"this fixture needs the Python package '{package}' ({error}), a test-time dependency of the project's "
        f"Python environment: run `npm run setup` (it installs {REQUIREMENTS} into .venv), or "
        f"`pip install -r {REQUIREMENTS}` into the interpreter TORCHPORT_PYTHON names"
    )


def _import_torchvision():
    """torchvision, importable beside the CPU build of torch (timm imports it, and transformers does when it is
    installed).

    Its compiled ops link torch's CUDA libraries, which the CPU wheel does not ship, so they never load;
    torchvision._meta_registrations then fails on import ("operator torchvision::nms does not exist")
    registering fake kernels for those ops. Nothing here uses them, so that one module is replaced by an empty
    one and the rest of torchvision (pure Python) loads.
    """
    try:
        import torchvision  # noqa: F401
    except ImportError as error:
        raise _missing("torchvision", error) from error
    except RuntimeError:
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        import torchvision  # noqa: F401


def import_timm():
    _import_torchvision()
    try:
        return importlib.import_module("timm")
    except ImportError as error:
        raise _missing("timm", error) from error


def import_transformers():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    _import_torchvision()
    try:
        return importlib.import_module("transformers")
    except ImportError as error:
        raise _missing("transformers", error) from error


def _is_norm(module):
    name = type(module).__name__
    return isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)) or "Norm" in name


def randomize_norm_affine(model, generator):
    """Random scale and shift for every normalization layer (nn.*Norm*, timm's and transformers' own norms,
    e.g. LlamaRMSNorm, T5LayerNorm): freshly built ones are the identity affine map, which a converter could
    drop unnoticed."""
    with torch.no_grad():
        for module in model.modules():
            if not _is_norm(module):
                continue
            weight = getattr(module, "weight", None)
            bias = getattr(module, "bias", None)
            if isinstance(weight, torch.Tensor) and weight.dim() == 1:
                weight.copy_(torch.empty_like(weight).uniform_(0.5, 1.5, generator=generator))
            if isinstance(bias, torch.Tensor) and bias.dim() == 1:
                bias.copy_(torch.empty_like(bias).uniform_(-0.3, 0.3, generator=generator))


def revive_layer_scale(model, generator):
    """Layer scale (ConvNeXt, CoAtNet, EdgeNeXt, ...) starts at 1e-6 or 1e-5, which makes a residual branch
    invisible in the output: a converter that botched it would still match. Any 1-D parameter whose entries all
    equal one tiny non-zero value is taken for one and drawn from [0.2, 0.6]."""
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() == 1 and param.numel() > 1 and 0 < param[0].abs() < 1e-3 and bool((param == param[0]).all()):
                param.copy_(torch.empty_like(param).uniform_(0.2, 0.6, generator=generator))


def reestimate_batchnorm(model, shape, batches=4, batch_size=8, generator=None):
    """Re-estimates every BatchNorm's running statistics on random N(0, 1) inputs of `shape` (batch axis
    replaced), as after training: random weights with the default statistics (mean 0, var 1) let activations
    vanish or explode through a deep network, and the outputs stop depending on the input."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return model
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn([batch_size, *shape[1:]], generator=generator))
    model.eval()
    return model


def prepare_image_model(model, shape, seed=0):
    """Random norm affine parameters, revived layer scales, then BatchNorm statistics re-estimated on random
    inputs; eval mode."""
    generator = torch.Generator().manual_seed(seed)
    randomize_norm_affine(model, generator)
    revive_layer_scale(model, generator)
    reestimate_batchnorm(model, shape, generator=generator)
    return model.eval()


class Tensorize(nn.Module):
    """Wraps a transformers model: token ids arrive as float32 (every golden input is), `.long()` truncates
    them, and only the named tensor of the model's output is returned (no dicts of non-tensors)."""

    def __init__(self, model, output="last_hidden_state", token_ids=True):
        super().__init__()
        self.model = model
        self.output = output
        self.token_ids = token_ids

    def forward(self, x):
        x = x.long() if self.token_ids else x
        out = self.model(x) if self.token_ids else self.model(pixel_values=x)
        return getattr(out, self.output)


def timm_model(name, input_shape, **kwargs):
    """timm.create_model(name, pretrained=False, num_classes=10, **kwargs), prepared (prepare_image_model)."""
    timm = import_timm()
    model = timm.create_model(name, pretrained=False, num_classes=10, **kwargs)
    return prepare_image_model(model, input_shape)


def hf_model(config_class, model_class, input_shape, output="last_hidden_state", token_ids=True, **config):
    """transformers' `model_class(config_class(**config))` with random weights, wrapped by Tensorize and
    prepared (prepare_image_model)."""
    transformers = import_transformers()
    model = getattr(transformers, model_class)(getattr(transformers, config_class)(**config))
    return prepare_image_model(Tensorize(model, output, token_ids), input_shape)

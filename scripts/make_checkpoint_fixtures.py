#!/usr/bin/env python3
"""Writes the small checkpoints under src/torch/checkpoint/fixtures/ with real torch, and
expected.json: for each file, what torchport must read from it (tensor names, dtypes, shapes and
the SHA-256 of each tensor's contiguous little-endian bytes in C order, the selected key and the
metadata) or the error code it must raise.

Run with the interpreter that has torch:  /usr/bin/python3 scripts/make_checkpoint_fixtures.py
"""
import _compat_pickle
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'torch', 'checkpoint', 'fixtures')
TORCHPORT_DTYPE = {
    torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float16', torch.bfloat16: 'bfloat16',
    torch.int64: 'int64', torch.int32: 'int32', torch.int16: 'int16', torch.int8: 'int8', torch.uint8: 'uint8',
    torch.bool: 'bool',
}
expected = {}


def tensor_bytes(t):
    """The tensor's elements in C order as little-endian bytes (this machine is little-endian)."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def describe(tensors):
    return [
        {'name': name, 'dtype': TORCHPORT_DTYPE[t.dtype], 'shape': list(t.shape),
         'bytes': t.numel() * t.element_size(), 'sha256': hashlib.sha256(tensor_bytes(t)).hexdigest()}
        for name, t in tensors.items()
    ]


def metadata(value):
    """A value as torchport's metadata shows it (select.ts): tensors and globals described, tuples as lists."""
    if isinstance(value, torch.Tensor):
        return {'tensor': f"{TORCHPORT_DTYPE[value.dtype]}[{', '.join(str(d) for d in value.shape)}]"}
    if isinstance(value, torch.dtype):
        return {'global': str(value)}
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, dict):
        return {str(k): metadata(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [metadata(v) for v in value]
    if isinstance(value, bytes):
        return {'bytes': len(value)}
    return value


def save(name, obj, **kwargs):
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kwargs)
    return path


def expect(name, tensors, selected_key=None, meta=None):
    expected[name] = {'selectedKey': selected_key, 'tensors': describe(tensors), 'metadata': meta or {}}
    # Check the expectation against torch's own loader, so the fixture says what torch reads.
    loaded = torch.load(os.path.join(OUT, name))
    node = loaded
    for part in (selected_key.split('/') if selected_key else []):
        node = node[part]
    if isinstance(node, torch.Tensor):
        node = {'': node}
    flat = flatten(node)
    assert [e['name'] for e in expected[name]['tensors']] == [k for k in flat if k in tensors], name
    for key, t in tensors.items():
        assert tensor_bytes(flat[key]) == tensor_bytes(t), (name, key)


def flatten(node, prefix=''):
    out = OrderedDict()
    for key, value in node.items():
        full = f'{prefix}.{key}' if prefix else str(key)
        if isinstance(value, torch.Tensor):
            out[full] = value
        elif isinstance(value, dict):
            out.update(flatten(value, full))
    return out


def expect_error(name, code, mentions=None):
    expected[name] = {'error': code, **({'mentions': mentions} if mentions else {})}


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).mean((2, 3)))


def tiny_state_dict(seed):
    torch.manual_seed(seed)
    model = Tiny()
    model.train()
    model(torch.randn(4, 2, 3, 3))  # moves BatchNorm running stats and num_batches_tracked
    return model, model.state_dict()


def make_dtypes():
    g = torch.Generator().manual_seed(1)
    floats = torch.randn(2, 5, generator=g)
    floats[0, :5] = torch.tensor([float('nan'), float('inf'), float('-inf'), -0.0, 1e-40])  # NaN, infinities, -0, subnormal
    tensors = OrderedDict()
    tensors['f32'] = floats
    tensors['f64'] = torch.randn(3, 2, generator=g, dtype=torch.float64) * 1e100
    tensors['f16'] = torch.cat([floats.view(-1).half(), torch.tensor([6e-8, 65504.0], dtype=torch.half)])
    tensors['bf16'] = (floats * 3).bfloat16()
    tensors['i64'] = torch.tensor([[0, -1, 2**63 - 1], [-2**63, 123456789012345, -42]], dtype=torch.int64)
    tensors['i32'] = torch.tensor([2**31 - 1, -2**31, 0, 7], dtype=torch.int32)
    tensors['i16'] = torch.tensor([32767, -32768, 5], dtype=torch.int16)
    tensors['i8'] = torch.tensor([[127, -128], [0, -1]], dtype=torch.int8)
    tensors['u8'] = torch.tensor([0, 255, 128, 1], dtype=torch.uint8)
    tensors['bool'] = torch.tensor([[True, False, True]])
    save('dtypes.pt', tensors)
    expect('dtypes.pt', tensors)
    for protocol in (4, 5):
        save(f'dtypes_protocol{protocol}.pt', tensors, pickle_protocol=protocol)
        expect(f'dtypes_protocol{protocol}.pt', tensors)
    return tensors


def make_views():
    base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
    other = torch.randn(6, 6, generator=torch.Generator().manual_seed(2))
    tensors = OrderedDict()
    tensors['base'] = base
    tensors['transposed'] = base.transpose(0, 2)
    tensors['sliced'] = base[1:, ::2, 1:4]
    tensors['flat_window'] = base.view(-1)[7:19]
    tensors['column'] = base[:, 1, 3]
    tensors['expanded'] = torch.tensor([1.5, -2.0]).view(2, 1).expand(2, 3)
    tensors['scalar'] = torch.tensor(3.25)
    tensors['empty'] = torch.zeros(0, 3)
    tensors['empty_view'] = base[:, 2:2]
    tensors['shared_a'] = other[1:3, 2:]  # two views of a storage whose base is not saved
    tensors['shared_b'] = other.t()[::2]
    tensors['i64_transposed'] = torch.arange(12, dtype=torch.int64).view(3, 4).t()
    tensors['f64_strided'] = torch.randn(4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))[::2, 1::2]
    tensors['f16_permuted'] = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(4)).half().permute(2, 0, 1)
    tensors['bool_step'] = (torch.arange(10) % 3 == 0)[::3]
    save('views.pt', tensors)
    expect('views.pt', tensors)


def make_shapes():
    model, sd = tiny_state_dict(10)
    save('shape_bare.pt', sd)
    expect('shape_bare.pt', sd)

    save('shape_state_dict.pt', {'state_dict': sd, 'epoch': 3, 'arch': 'tiny'})
    expect('shape_state_dict.pt', sd, 'state_dict', {'epoch': 3, 'arch': 'tiny'})

    config = {'lr': 0.1, 'layers': [1, 2], 'name': 'tiny', 'dtype': torch.float32, 'device': torch.device('cpu'),
              'betas': (0.9, 0.999), 'big': 2**70, 'flags': {'ema': False, 'note': None}}
    save('shape_model.pt', {'model': sd, 'config': config})
    expect('shape_model.pt', sd, 'model', {'config': metadata(config) | {'big': str(2**70)}})

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(2, 2, 3, 3)).sum().backward()
    optimizer.step()
    training = {'model_state_dict': sd, 'optimizer_state_dict': optimizer.state_dict(), 'epoch': 7, 'loss': 0.25}
    save('shape_training.pt', training)
    expect('shape_training.pt', sd, 'model_state_dict',
           {k: metadata(v) for k, v in training.items() if k != 'model_state_dict'})

    save('shape_nested.pt', {'meta': {'epoch': 1}, 'model': {'state_dict': sd, 'step': 9}})
    expect('shape_nested.pt', sd, 'model/state_dict', {'meta': {'epoch': 1}})

    _, teacher = tiny_state_dict(11)
    save('shape_ambiguous.pt', {'student': sd, 'teacher': teacher})
    expect_error('shape_ambiguous.pt', 'E_CHECKPOINT_KEY', 'teacher')
    expected['shape_ambiguous.pt']['withKey'] = {'key': 'teacher', 'tensors': describe(teacher), 'metadata': {'student': metadata(sd)}}

    direct = OrderedDict([('weight', torch.ones(2, 2)), ('step', 5), ('bias', torch.zeros(2))])
    save('shape_direct.pt', direct)
    expect('shape_direct.pt', OrderedDict((k, v) for k, v in direct.items() if isinstance(v, torch.Tensor)), None, {'step': 5})

    params = OrderedDict([('w', nn.Parameter(torch.randn(2, 3))), ('frozen', nn.Parameter(torch.zeros(3), requires_grad=False))])
    save('parameters.pt', params)
    expect('parameters.pt', params)

    save('single_tensor.pt', torch.arange(6, dtype=torch.int32).view(2, 3))
    expect('single_tensor.pt', {'': torch.arange(6, dtype=torch.int32).view(2, 3)})
    return model, sd


def fixed_time(name):
    """A stored zip entry with a fixed timestamp, so regenerated fixtures are byte-identical."""
    return zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))


def rewrite_zip(source, target, edit):
    """Copies a zip archive entry by entry; edit(name, data) returns new data or None to drop the entry."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(fixed_time(info.filename), data)


def storage_widths(path):
    """Storage key -> element size, read from data.pkl with a pickle that only records persistent ids."""
    widths = {}

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            if name == '_rebuild_tensor_v2':
                return lambda *args: None
            return super().find_class(module, name)

        def persistent_load(self, pid):
            _, storage_type, key, _, _ = pid
            widths[key] = torch._utils._element_size(storage_type.dtype)
            return None

    with zipfile.ZipFile(path) as z:
        pkl = next(n for n in z.namelist() if n.endswith('/data.pkl'))
        Recorder(io.BytesIO(z.read(pkl))).load()
    return widths


def byteswap(data, width):
    if width == 1:
        return data
    return b''.join(data[i:i + width][::-1] for i in range(0, len(data), width))


def make_big_endian(tensors):
    # What PyTorch >= 2.1 writes on a big-endian machine: a byteorder record saying "big" and
    # every storage in big-endian order. Made from the little-endian file by swapping each record.
    source = os.path.join(OUT, 'dtypes.pt')
    widths = storage_widths(source)

    def edit(name, data):
        key = name.split('/data/')[-1] if '/data/' in name else None
        return byteswap(data, widths[key]) if key is not None else data

    target = os.path.join(OUT, 'big_endian.pt')
    rewrite_zip(source, target, edit)
    with zipfile.ZipFile(target, 'a', zipfile.ZIP_STORED) as z:
        z.writestr(fixed_time('dtypes/byteorder'), b'big')
    expected['big_endian.pt'] = dict(expected['dtypes.pt'])


def make_broken(sd):
    bare = os.path.join(OUT, 'shape_bare.pt')

    def short(name, data):
        return data[: len(data) // 2] if name.endswith('/data/0') else data
    rewrite_zip(bare, os.path.join(OUT, 'short_storage.pt'), short)
    expect_error('short_storage.pt', 'E_CHECKPOINT_STORAGE', 'data/0')

    rewrite_zip(bare, os.path.join(OUT, 'missing_storage.pt'), lambda name, data: None if name.endswith('/data/1') else data)
    expect_error('missing_storage.pt', 'E_CHECKPOINT_STORAGE', 'data/1')

    save('huge_view.pt', {'w': torch.zeros(1).expand(10**7, 10**7)})  # 400 TB as a contiguous copy
    expect_error('huge_view.pt', 'E_CHECKPOINT_LIMIT', '10000000')

    save('complex.pt', {'z': torch.tensor([1 + 2j, 3 - 4j])})
    expect_error('complex.pt', 'E_CHECKPOINT_DTYPE', 'complex64')

    save('legacy.pt', sd, _use_new_zipfile_serialization=False)
    expect_error('legacy.pt', 'E_CHECKPOINT_LEGACY')

    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), os.path.join(OUT, 'torchscript.pt'))
    expect_error('torchscript.pt', 'E_CHECKPOINT_TORCHSCRIPT')


class Exploit:
    """What an attacker pickles: unpickling calls the callable with the arguments."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def pickled_name(fn):
    """The module.name a protocol-2 pickle writes for fn: fix_imports maps Python 3 names to Python 2 ones."""
    key = (fn.__module__, fn.__name__)
    module, name = _compat_pickle.REVERSE_NAME_MAPPING.get(key, (_compat_pickle.REVERSE_IMPORT_MAPPING.get(key[0], key[0]), key[1]))
    return f'{module}.{name}'


def make_hostile(sd):
    # Real torch.save calls on objects that run code when torch.load unpickles them.
    save('evil_os_system.pt', {'state_dict': sd, 'x': Exploit(os.system, 'echo pwned > /tmp/torchport-pwned')})
    expect_error('evil_os_system.pt', 'E_PICKLE_GLOBAL', pickled_name(os.system))
    save('evil_eval.pt', Exploit(eval, "__import__('os').system('echo pwned')"))
    expect_error('evil_eval.pt', 'E_PICKLE_GLOBAL', pickled_name(eval))
    save('evil_subprocess.pt', OrderedDict([('w', torch.ones(1)), ('x', Exploit(subprocess.check_output, ['id']))]))
    expect_error('evil_subprocess.pt', 'E_PICKLE_GLOBAL', pickled_name(subprocess.check_output))
    _, small_sd = tiny_state_dict(12)
    model = Tiny()
    model.load_state_dict(small_sd)
    save('whole_module.pt', model)  # torch.save(model): pickles the class itself
    expect_error('whole_module.pt', 'E_PICKLE_GLOBAL', '__main__.Tiny')


def tagged(value):
    """Plain data as JSON, with tags for what JSON cannot say (pickle.test.ts converts its result the same way)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 - 1 else {'$int': str(value)}
    if isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')) or (value == 0 and str(value).startswith('-')):
            return {'$float': str(value)}
        return value
    if isinstance(value, bytes):
        return {'$bytes': value.hex()}
    if isinstance(value, tuple):
        return {'$tuple': [tagged(v) for v in value]}
    if isinstance(value, frozenset):
        return {'$frozenset': [tagged(v) for v in value]}
    if isinstance(value, set):
        return {'$set': [tagged(v) for v in value]}
    if isinstance(value, list):
        return [tagged(v) for v in value]
    if isinstance(value, dict):
        return {str(k): tagged(v) for k, v in value.items()}
    raise TypeError(type(value))


SAFETENSORS_CODE = {'float32': 'F32', 'float64': 'F64', 'float16': 'F16', 'bfloat16': 'BF16', 'int64': 'I64', 'int32': 'I32',
                    'int16': 'I16', 'int8': 'I8', 'uint8': 'U8', 'bool': 'BOOL'}


def make_safetensors(tensors):
    """A safetensors file written straight from the format description (8-byte little-endian header
    length, JSON header, raw bytes), independently of torchport's writer and with other choices:
    tensors in reverse name order, no header padding, metadata present."""
    names = sorted(tensors, reverse=True)
    header, blobs, offset = {'__metadata__': {'format': 'pt', 'source': 'make_checkpoint_fixtures.py'}}, [], 0
    for name in names:
        data = tensor_bytes(tensors[name])
        header[name] = {'dtype': SAFETENSORS_CODE[TORCHPORT_DTYPE[tensors[name].dtype]], 'shape': list(tensors[name].shape),
                        'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(os.path.join(OUT, 'dtypes.safetensors'), 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
    expected['dtypes.safetensors'] = {'tensors': describe(OrderedDict((n, tensors[n]) for n in names)),
                                      'metadata': header['__metadata__']}


def make_pickles():
    """Python's own pickles of plain data at every protocol, for the unpickler's opcode coverage."""
    shared = ['x']
    value = {
        'small': 7, 'byte': 255, 'neg': -300, 'u16': 40000, 'i32': -2**31, 'i64': 2**40 + 3, 'big': 2**70,
        'negbig': -2**64 - 1, 'float': 0.1, 'tiny': 5e-324, 'neg0': -0.0, 'inf': float('inf'), 'ninf': float('-inf'),
        'nan': float('nan'), 'str': 'h\u00e9llo \u2713 \n "q" \\ \U0001F600', 'empty': '', 'bytes': b'\x00\xffab\n',
        'list': [1, [2, [3, []]]], 'tuple': (1, 'a'), 'tuple1': (None,), 'tuple3': (True, False, 2.5), 'empty_tuple': (),
        'long_tuple': tuple(range(6)), 'set': {3}, 'frozenset': frozenset(['f']), 'none': None, 'shared': [shared, shared],
        'nested': {'a': {'b': {'c': [{'d': 1.5}]}}}, 3: 'int key',
        'many': list(range(1100)),  # more than one APPENDS batch (pickle batches by 1000)
    }
    value['memo_heavy'] = [[i] for i in range(300)]  # over 256 memo entries: LONG_BINPUT / LONG_BINGET
    value['late_shared'] = value['memo_heavy'][280]
    out = {'value': tagged(value), 'pickles': {}}
    for protocol in range(0, 6):
        out['pickles'][str(protocol)] = pickle.dumps(value, protocol=protocol).hex()
    with open(os.path.join(OUT, 'pickles.json'), 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(('.pt', '.json', '.safetensors')):
            os.remove(os.path.join(OUT, name))
    tensors = make_dtypes()
    make_views()
    _, sd = make_shapes()
    make_big_endian(tensors)
    make_broken(sd)
    make_hostile(sd)
    make_pickles()
    views = OrderedDict((k, v) for k, v in tensors.items())
    views['empty'] = torch.zeros(0, 3, dtype=torch.int16)
    views['scalar'] = torch.tensor(-2.5, dtype=torch.float64)
    make_safetensors(views)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'files': expected}, f, indent=1, sort_keys=True, allow_nan=False)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'wrote {len(expected)} fixtures ({total} bytes) to {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()

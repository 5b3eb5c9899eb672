"""Writes the hostile weights files of issue #17 into the folder given (default: the current one):
expand.pt (500 bytes: three names for one float32 stride-0 view of 375M elements), laughs.pt
(10 levels of 10 shared dicts of tensor names: 10^10 names from 1.7 KB), strings.pt (a 1 MB string
referenced 600 times in the metadata) and many.safetensors (130,000 one-element tensors). Every
file is crafted byte by byte; nothing here needs torch. Used by scripts/measure-inspect.sh."""
import json
import os
import struct
import sys
import zipfile


def u(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def g(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def i(n):
    return b"J" + struct.pack("<i", n)


def put(k):
    return b"r" + struct.pack("<I", k) + b"0"


def get(k):
    return b"j" + struct.pack("<I", k)


def save(name, pkl, storage):
    with zipfile.ZipFile(name, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/data/0", storage)
        z.writestr("archive/version", "3\n")


def main(folder):
    os.chdir(folder)
    storage = g("torch", "FloatStorage")
    expanded = g("torch._utils", "_rebuild_tensor") + b"((" + u("storage") + storage + u("0") + u("cpu") + i(1) + b"tQ"
    expanded += i(0) + b"(" + i(375_000_000) + b"t(" + i(0) + b"ttR"
    names = b"".join(u(f"w{k}") + get(1) for k in range(3))
    save("expand.pt", b"\x80\x02" + expanded + put(1) + b"}(" + names + b"u.", bytes(4))

    tensor = g("torch._utils", "_rebuild_tensor_v2") + b"((" + u("storage") + storage + u("0") + u("cpu") + i(4) + b"tQ"
    tensor += i(0) + b"(" + i(4) + b"t(" + i(1) + b"t\x89" + g("collections", "OrderedDict") + b")RtR"
    body = tensor + put(1)
    for depth in range(9):
        body += b"}(" + b"".join(u(f"a{j}") + get(depth + 1) for j in range(10)) + b"u" + put(depth + 2)
    save("laughs.pt", b"\x80\x02}(" + u("state_dict") + body + get(10) + b"u.", bytes(16))
    save("strings.pt", b"\x80\x02}(" + u("w") + tensor + u("x") + u("B" * 2**20) + put(1) + b"(" + get(1) * 600 + b"lu.", bytes(16))

    n = 130_000
    header = {f"layer{k}.weight": {"dtype": "F32", "shape": [1], "data_offsets": [4 * k, 4 * k + 4]} for k in range(n)}
    h = json.dumps(header).encode()
    with open("many.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + bytes(4 * n))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")

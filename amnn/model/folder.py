"""A trained model is one folder that prediction loads alone.

    MODEL_DIR/
      model.keras            the Keras model (architecture + weights), loaded with safe_mode
      config.json            the effective AMNNConfig used to train it
      hashtag_vocab.json     hashtag vocabulary (PAD/BOS/EOS/UNK + tags, with counts)
      text_vectorizer.json   caption tokenizer + word vocabulary (absent for image-only)
      neighbours.npz         the neighbour memory: training encodings, caption and photo
                             vectors, tag ids and the chosen mix (absent when trained
                             with --memory off), plain arrays, no pickle
      memory_posts.json      the remembered training posts' captions and photo paths, so
                             an explanation can show the posts that voted for a tag
      hashtag_words.json     caption models that read hashtags as words: the learnt
                             Korean word scores of the hashtag segmenter
      amnn_model.json        manifest: format version, sizes, file checksums; written LAST

Nothing in the folder is pickled and no code from it is ever run, so a model shared by a
stranger is safe to load. The manifest is written last (atomically), so a folder left by a
crash has no manifest and is refused instead of half-trusted.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import keras

import amnn
import amnn.model.attention  # noqa: F401  (registers the custom layers before load_model)
from amnn.config import AMNNConfig
from amnn.data.text import TextVectorizer
from amnn.data.text.hashtag_words import HashtagSegmenter
from amnn.data.vocabulary import HashtagVocabulary
from amnn.errors import ModelFolderError
from amnn.jsonio import read_json, write_json
from amnn.model.folder_names import (
    CONFIG_FILE,
    MANIFEST,
    MEMORY_POSTS_FILE,
    MODEL_FILE,
    NEIGHBOURS_FILE,
    SEGMENTER_FILE,
    VECTORIZER_FILE,
    VOCAB_FILE,
)
from amnn.model.neighbours import NeighbourMemory
from amnn.model.network import AMNNNetwork, ModelSizes

FORMAT_VERSION = 1


@dataclass
class TrainedAMNN:
    """Everything prediction needs: the model, its config, vocabularies and sizes.

    Example:
        >>> trained = load_model_folder("models/demo")      # doctest: +SKIP
        >>> trained.network.config.encoder                 # doctest: +SKIP
        'efficientnet_lite0'
    """

    model: keras.Model
    config: AMNNConfig
    hashtag_vocab: HashtagVocabulary
    vectorizer: Optional[TextVectorizer]
    sizes: ModelSizes
    neighbours: Optional[NeighbourMemory] = None
    segmenter: Optional[HashtagSegmenter] = None
    # The remembered posts, row for row with the memory: {"captions": [...], "photos": [...]}
    memory_posts: Optional[dict] = None

    @property
    def network(self) -> AMNNNetwork:
        """The trained layers, for step-by-step decoding."""
        return AMNNNetwork.from_model(self.model, self.config)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model_folder(folder: os.PathLike, trained: TrainedAMNN, extra: Optional[dict] = None) -> Path:
    """Write a complete model folder; the manifest last, so readers never trust half a folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)  # the folder is incomplete until we finish
    partial = folder / (MODEL_FILE + ".partial.keras")
    trained.model.save(partial)
    os.replace(partial, folder / MODEL_FILE)
    write_json(folder / CONFIG_FILE, trained.config.to_dict())
    trained.hashtag_vocab.save(folder / VOCAB_FILE)
    files = [MODEL_FILE, CONFIG_FILE, VOCAB_FILE]
    if trained.vectorizer is not None:
        trained.vectorizer.save(folder / VECTORIZER_FILE)
        files.append(VECTORIZER_FILE)
    if trained.neighbours is not None:
        trained.neighbours.save(folder / NEIGHBOURS_FILE)
        files.append(NEIGHBOURS_FILE)
    if trained.segmenter is not None:
        write_json(folder / SEGMENTER_FILE, trained.segmenter.to_json())
        files.append(SEGMENTER_FILE)
    if trained.neighbours is not None and trained.memory_posts is not None:
        write_json(folder / MEMORY_POSTS_FILE, trained.memory_posts)
        files.append(MEMORY_POSTS_FILE)
    manifest = {
        "format_version": FORMAT_VERSION,
        "amnn_version": amnn.__version__,
        "keras_version": keras.__version__,
        "sizes": {"word_vocab_size": trained.sizes.word_vocab_size,
                  "tag_vocab_size": trained.sizes.tag_vocab_size,
                  "feature_shape": list(trained.sizes.feature_shape)},
        "files": {name: _sha256(folder / name) for name in files},
        **(extra or {}),
    }
    write_json(folder / MANIFEST, manifest)
    return folder


def read_manifest(folder: os.PathLike) -> dict:
    """The manifest of a complete model folder, or ModelFolderError saying what is wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {str(folder)!r} does not exist; train one with "
                               "scripts/train.py --out FOLDER")
    if not (folder / MANIFEST).is_file():
        raise ModelFolderError(
            f"{str(folder)!r} is not a complete AMNN model folder (no {MANIFEST}): training may "
            "have been interrupted; finish it with scripts/train.py --resume --out "
            f"{folder}")
    manifest = read_json(folder / MANIFEST)
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFolderError(
            f"{folder / MANIFEST}: model format version {version!r} is not supported by AMNN "
            f"{amnn.__version__} (it reads version {FORMAT_VERSION}); retrain the model or use "
            f"AMNN {manifest.get('amnn_version', '?')}")
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise ModelFolderError(f"{path} is missing; the model folder is incomplete")
        if _sha256(path) != digest:
            raise ModelFolderError(f"{path} does not match its checksum in {MANIFEST}; the "
                                   "file was changed or damaged; copy the folder again")
    return manifest


def load_model_folder(folder: os.PathLike) -> TrainedAMNN:
    """Load a model folder written by `save_model_folder` (safe_mode on, no pickle)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    try:
        config = AMNNConfig.from_dict(read_json(folder / CONFIG_FILE))
    except (TypeError, ValueError) as error:
        raise ModelFolderError(f"{folder / CONFIG_FILE}: {error}") from error
    sizes = manifest["sizes"]
    sizes = ModelSizes(int(sizes["word_vocab_size"]), int(sizes["tag_vocab_size"]),
                       tuple(int(d) for d in sizes["feature_shape"]))
    model = keras.saving.load_model(folder / MODEL_FILE, compile=False, safe_mode=True)
    vectorizer = None
    if (folder / VECTORIZER_FILE).is_file():
        vectorizer = TextVectorizer.load(folder / VECTORIZER_FILE)
    neighbours = None
    if NEIGHBOURS_FILE in manifest.get("files", {}):
        neighbours = NeighbourMemory.load(folder / NEIGHBOURS_FILE)
    segmenter = None
    if SEGMENTER_FILE in manifest.get("files", {}):
        try:
            segmenter = HashtagSegmenter.from_json(read_json(folder / SEGMENTER_FILE))
        except (ValueError, KeyError, TypeError) as error:
            raise ModelFolderError(f"{folder / SEGMENTER_FILE}: {error}") from None
    memory_posts = None
    if MEMORY_POSTS_FILE in manifest.get("files", {}):
        memory_posts = read_json(folder / MEMORY_POSTS_FILE)
        if len(memory_posts.get("captions", [])) != len(neighbours.tags):
            raise ModelFolderError(f"{folder / MEMORY_POSTS_FILE}: one post per remembered "
                                   "post expected; copy the folder again")
    return TrainedAMNN(model, config, HashtagVocabulary.load(folder / VOCAB_FILE),
                       vectorizer, sizes, neighbours, segmenter, memory_posts)

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
      caption_retrieval.npz  caption models chosen on held-out posts: the best retriever's
                             training captions, tag bags and pooled photo features (plain
                             arrays, no pickle); the manifest's `caption_choice` says
                             whether it or the writer answers (`amnn.train.caption_choice`)
      amnn_model.json        manifest: format version, sizes, file checksums; written LAST

Nothing in the folder is pickled and no code from it is ever run, so a model shared by a
stranger is safe to load. The manifest is written last (atomically) and lists every file's
checksum, so a folder left by a crash has no manifest and a damaged file is named: both are
refused instead of half-trusted. Training writes the folder beside its place and renames it
in when complete (`amnn.model.folder_swap`), so a model folder is never left half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import keras
import numpy as np

import amnn
import amnn.model.attention  # noqa: F401  (registers the custom layers before load_model)
from amnn.atomic_files import atomic_output
from amnn.config import AMNNConfig
from amnn.data.text import TextVectorizer
from amnn.data.text.hashtag_words import HashtagSegmenter
from amnn.data.vocabulary import HashtagVocabulary
from amnn.errors import ModelFolderError
from amnn.inputs.caption_encoding import CaptionVectorizer
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
    WORK_DIR,
)
from amnn.model.folder_swap import finish_interrupted_swap, working_folder
from amnn.model.neighbours import NeighbourMemory
from amnn.model.network import AMNNNetwork, ModelSizes

FORMAT_VERSION = 1
CAPTION_RETRIEVAL_FILE = "caption_retrieval.npz"  # the caption model's best retriever
CAPTION_CHOICE = "caption_choice"  # the manifest's key of the caption model's choice


@dataclass
class TrainedAMNN:
    """Everything prediction needs: the model, its config, vocabularies and sizes.

    Example (an untrained text-only model built here; `load_model_folder` reads a trained one):
        >>> from amnn.data.text import WordTokenizer
        >>> from amnn.model.network import build_amnn
        >>> words = TextVectorizer(WordTokenizer(), min_count=1).fit(["rain in nyc", "nyc"])
        >>> vocab = HashtagVocabulary.build([["sandy", "nyc"], ["nyc"]], min_count=1)
        >>> config = AMNNConfig(include_image=False)
        >>> sizes = ModelSizes(words.vocab_size, len(vocab), (49, 32))
        >>> trained = TrainedAMNN(build_amnn(config, sizes), config, vocab, words, sizes)
        >>> vocab.tags, trained.network.layers["tag_logits"].units  # PAD, BOS, EOS, UNK + 2
        (['nyc', 'sandy'], 6)
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
    # Caption models: the manifest's `caption_choice` (None in folders older than the
    # choice: the writer answers) and its retriever's arrays (`CaptionRetriever.to_arrays`).
    caption_choice: Optional[dict] = None
    caption_retrieval: Optional[dict] = None

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
    # Each file appears whole or not at all, even when SIGTERM stops a write half-way.
    with atomic_output(folder / MODEL_FILE, suffix=".keras") as temporary:
        trained.model.save(temporary)
    write_json(folder / CONFIG_FILE, trained.config.to_dict())
    trained.hashtag_vocab.save(folder / VOCAB_FILE)
    files = [MODEL_FILE, CONFIG_FILE, VOCAB_FILE]
    if trained.vectorizer is not None:
        trained.vectorizer.save(folder / VECTORIZER_FILE)
        files.append(VECTORIZER_FILE)
    if trained.neighbours is not None:
        with atomic_output(folder / NEIGHBOURS_FILE, suffix=".npz") as temporary:
            trained.neighbours.save(temporary)
        files.append(NEIGHBOURS_FILE)
    if trained.segmenter is not None:
        write_json(folder / SEGMENTER_FILE, trained.segmenter.to_json())
        files.append(SEGMENTER_FILE)
    if trained.neighbours is not None and trained.memory_posts is not None:
        write_json(folder / MEMORY_POSTS_FILE, trained.memory_posts)
        files.append(MEMORY_POSTS_FILE)
    if trained.caption_retrieval is not None:
        with atomic_output(folder / CAPTION_RETRIEVAL_FILE, suffix=".npz") as temporary:
            np.savez(temporary, **trained.caption_retrieval)
        files.append(CAPTION_RETRIEVAL_FILE)
    choice = {CAPTION_CHOICE: trained.caption_choice} if trained.caption_choice else {}
    manifest = {
        "format_version": FORMAT_VERSION,
        "amnn_version": amnn.__version__,
        "keras_version": keras.__version__,
        "sizes": {"word_vocab_size": trained.sizes.word_vocab_size,
                  "tag_vocab_size": trained.sizes.tag_vocab_size,
                  "feature_shape": list(trained.sizes.feature_shape)},
        "files": {name: _sha256(folder / name) for name in files},
        **choice,
        **(extra or {}),
    }
    write_json(folder / MANIFEST, manifest)
    return folder


def read_manifest(folder: os.PathLike) -> dict:
    """The manifest of a complete model folder, or ModelFolderError saying what is wrong.

    A replacement of the folder that a crash cut short is finished first
    (`amnn.model.folder_swap`). Every file the manifest lists must match its checksum, so
    a truncated or edited file is refused with its name.
    """
    folder = Path(folder)
    try:
        finish_interrupted_swap(folder)
    except OSError:  # a read-only copy: load what is there, or say what is missing below
        pass
    if not (folder / MANIFEST).is_file():
        raise ModelFolderError(_not_a_model(folder))
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFolderError(f"{folder / MANIFEST} is damaged ({error}); {_RECOPY}") from None
    if not isinstance(manifest, dict):
        raise ModelFolderError(f"{folder / MANIFEST} is damaged (not an object); {_RECOPY}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFolderError(
            f"{folder / MANIFEST}: model format version {version!r} is not supported by AMNN "
            f"{amnn.__version__} (it reads version {FORMAT_VERSION}); retrain the model or use "
            f"AMNN {manifest.get('amnn_version', '?')}")
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise ModelFolderError(f"{path} is missing; the model folder is incomplete; "
                                   f"{_RECOPY}")
        if _sha256(path) != digest:
            raise ModelFolderError(f"{path} does not match its checksum in {MANIFEST}: the "
                                   f"file was changed or damaged (cut short?); {_RECOPY}")
    return manifest


_RECOPY = "copy the whole model folder again, or retrain it"


def _not_a_model(folder: Path) -> str:
    """Why `folder` (without a manifest) is no model, and how to finish it."""
    resume = f"scripts/train.py --out {folder} --resume (with the same --data and flags)"
    work = working_folder(folder)
    if work.is_dir():  # a training into it was interrupted; an old model would still be here
        where = "does not exist yet" if not folder.exists() else "is not a complete model"
        return (f"model folder {str(folder)!r} {where}: its training was interrupted (the "
                f"work is kept in {work}); finish it with {resume}")
    if not folder.is_dir():
        return (f"model folder {str(folder)!r} does not exist; train one with "
                "scripts/train.py --out FOLDER")
    if (folder / WORK_DIR).is_dir():  # an earlier AMNN trained inside the folder itself
        return (f"{str(folder)!r} is not a complete AMNN model folder (no {MANIFEST}): its "
                f"training was interrupted; finish it with {resume}")
    return (f"{str(folder)!r} is not a complete AMNN model folder (no {MANIFEST}); train "
            "one with scripts/train.py --out FOLDER, or copy the whole folder again")


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
        # A caption model's words carry the function words its decoder may repeat.
        kind = CaptionVectorizer if config.task == "caption" else TextVectorizer
        vectorizer = kind.load(folder / VECTORIZER_FILE)
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
    caption_retrieval = None
    if CAPTION_RETRIEVAL_FILE in manifest.get("files", {}):
        try:  # strings are numpy unicode arrays: nothing needs pickle
            with np.load(folder / CAPTION_RETRIEVAL_FILE, allow_pickle=False) as arrays:
                caption_retrieval = {name: arrays[name] for name in arrays.files}
        except (OSError, ValueError) as error:
            raise ModelFolderError(f"{folder / CAPTION_RETRIEVAL_FILE}: {error}") from None
    return TrainedAMNN(model, config, HashtagVocabulary.load(folder / VOCAB_FILE),
                       vectorizer, sizes, neighbours, segmenter, memory_posts,
                       manifest.get(CAPTION_CHOICE), caption_retrieval)

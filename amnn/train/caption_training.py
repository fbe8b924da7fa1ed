"""Training the caption model (`train.py --task caption`) into one model folder.

The vocabularies come from the training posts alone: the written words from their
captions (`amnn.inputs.caption_encoding`), the hashtag inputs from their tags. Training is
teacher-forced cross-entropy on the next word (padding ignored) with the same Adam, backup
for --resume, best checkpoint, early stopping and rate schedule as the hashtag model
(`amnn.train.fitting.standard_callbacks`). Early stopping watches the captions written for
the validation posts (`amnn.train.caption_stop`; `stop_on="loss"`: their loss), or the
training loss without validation posts.

After training, the writer's captions of the validation posts are scored against those
of the retrievers fitted on the training posts (`amnn.train.caption_choice`); the folder
records the choice and ships the best retriever, and predict.py answers with the choice.

The folder is the hashtag model's (`amnn.model.folder`): model.keras, config.json with
task "caption", text_vectorizer.json (the written words), hashtag_vocab.json (the hashtag
inputs: tags, or with `hashtag_words` the words they split into, and then
hashtag_words.json, the segmenter), caption_retrieval.npz (the best retriever) and the
choice in amnn_model.json; predict.py reads the task from config.json.

Usage (train.py --task caption does this; tests/cli/test_caption_end_to_end.py trains a
small caption model through it):

    data = prepare_captions(AMNNConfig(task="caption"), train_posts, val_posts)
    summary = train_caption_model(data, Path("models/captions"))  # {"epochs_run": 12, ...}
    print(summary["caption_line"])  # caption method chosen on 50 held-out posts: ...
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.data.text import TextVectorizer
from amnn.data.text.hashtag_words import HashtagSegmenter
from amnn.data.vocabulary import HashtagVocabulary
from amnn.errors import DataError
from amnn.features.encoders import encoder_feature_shape
from amnn.features.photo_table import photo_table, table_photos
from amnn.inputs.caption_encoding import (
    CaptionIds,
    CaptionPosts,
    encode_caption_posts,
    fit_caption_vectorizer,
    hashtag_inputs,
    keep_captioned,
)
from amnn.inputs.caption_pipeline import caption_dataset
from amnn.model.caption_network import CaptionNetwork, CaptionSizes
from amnn.model.folder import TrainedAMNN
from amnn.model.folder_names import LOG_FILE, WORK_DIR
from amnn.model.caption_retrieval import CaptionRetriever
from amnn.model.network import ModelSizes
from amnn.train.caption_choice import (
    CaptionChoice,
    choose_caption_method,
    joined_posts,
    write_held_out,
)
from amnn.train.caption_stop import (
    CAPTION_METRIC,
    ValidationCaptions,
    compile_caption_model,
    post_inputs,
)
from amnn.train.distribution import global_batch_size, strategy_name
from amnn.train.checkpoints import check_resume
from amnn.train.fitting import (
    best_logged,
    finish_folder,
    fit_keeping_best,
    output_folder,
    standard_callbacks,
)


@dataclass
class CaptionData:
    """Everything caption training needs, from the train and validation posts."""

    config: AMNNConfig
    vectorizer: TextVectorizer
    tag_vocab: HashtagVocabulary
    train: CaptionPosts
    val: CaptionPosts
    features: Optional[np.ndarray]
    sizes: CaptionSizes
    segmenter: Optional[HashtagSegmenter] = None
    # The posts behind `train` and `val`, row for row: the retrievers compete on their text.
    train_posts: Optional[Posts] = None
    val_posts: Optional[Posts] = None

    @property
    def ids(self) -> CaptionIds:
        return CaptionIds(self.vectorizer)


def prepare_captions(config: AMNNConfig, train: Posts, val: Posts,
                     progress: bool = True) -> CaptionData:
    """Fit the vocabularies on `train`, read the photos, encode both splits."""
    if config.include_image and not train.has_images:
        if not config.caption_from_hashtags:
            raise DataError(str(train.csv_path), "the training posts have no photos and "
                            "--no-hashtags leaves nothing to write a caption from",
                            column="image_names")
        print("note: the training posts have no photos; the captions are written from the "
              "hashtags alone", file=sys.stderr)
        config = config.replace(include_image=False)
    if config.caption_from_hashtags and train.hashtags is None:
        if not config.include_image:
            raise DataError(str(train.csv_path), "the posts have neither photos nor a "
                            "hashtags column: nothing to write a caption from",
                            column="hashtags")
        print("note: the training posts have no hashtags column; the captions are written "
              "from the photos alone", file=sys.stderr)
        config = config.replace(caption_from_hashtags=False)
    vectorizer = fit_caption_vectorizer(train.texts, config)
    ids = CaptionIds(vectorizer)
    segmenter = None
    if config.caption_from_hashtags and config.hashtag_words:
        segmenter = HashtagSegmenter.fit(train.texts, train.hashtags)
    # The inputs' vocabulary: training hashtags, or the words they split into.
    tag_vocab = HashtagVocabulary.build(hashtag_inputs(train, segmenter),
                                        min_count=config.min_tag_count)
    features, rows = None, (None, None)
    if config.include_image:
        table = photo_table(list(train.image_paths) + list(val.image_paths), config, progress)
        features, rows = table.features, (table.rows[: len(train)], table.rows[len(train):])
    encoded_train, dropped_train = keep_captioned(
        encode_caption_posts(train, config, tag_vocab, ids, rows[0], segmenter))
    encoded_val, dropped_val = keep_captioned(
        encode_caption_posts(val, config, tag_vocab, ids, rows[1], segmenter))
    train, val = _captioned(train, ids), _captioned(val, ids)
    if len(encoded_train) == 0:
        raise DataError(str(train.csv_path), "no training post has a caption to learn from",
                        column="tweets")
    print(f"posts: {len(encoded_train)} train ({dropped_train} without a caption left out), "
          f"{len(encoded_val)} validation ({dropped_val} left out); caption vocabulary "
          f"{vectorizer.vocab_size - 2} words; hashtag inputs {len(tag_vocab) - 4} tags",
          file=sys.stderr)
    sizes = CaptionSizes(ids.size, len(tag_vocab), tuple(encoder_feature_shape(config.encoder)))
    return CaptionData(config, vectorizer, tag_vocab, encoded_train, encoded_val, features,
                       sizes, segmenter, train, val)


def _captioned(posts: Posts, ids: CaptionIds) -> Posts:
    """The posts `keep_captioned` keeps (a caption with a known or unknown word)."""
    return posts.select([i for i, text in enumerate(posts.texts) if len(ids.target(text)) > 1])


def train_caption_model(data: CaptionData, out: Path, resume: bool = False,
                        verbose: str | int = "auto", strategy=None,
                        validation_in_retrieval: bool = True) -> dict:
    """Train on prepared caption data and write the model folder `out`; a summary dict.

    `validation_in_retrieval`: the held-out posts came from the user's training posts (no
    `--val`), so a retriever chosen on them then retrieves from them too, as the hashtag
    model's memory remembers them.
    """
    active = strategy if strategy is not None else tf.distribute.get_strategy()
    # Beside `out` until finished, as the hashtag model (`amnn.train.fitting.output_folder`).
    with output_folder(active, Path(out), resume) as folder:
        return _train_into(data, folder, resume, verbose, strategy, active,
                           validation_in_retrieval)


def _train_into(data: CaptionData, out: Path, resume: bool, verbose, strategy,
                active, validation_in_retrieval: bool = True) -> dict:
    config = data.config
    keras.utils.set_random_seed(config.seed)
    check_resume(out / WORK_DIR, {"config": config.to_dict(), "word_ids": data.sizes.word_ids,
                                  "tag_vocab_size": data.sizes.tag_vocab_size}, resume)
    batch = global_batch_size(config.batch_size, active)
    with active.scope():
        model = compile_caption_model(CaptionNetwork.create(config, data.sizes)
                                      .training_model(data.sizes), config.learning_rate)
    bos = data.ids.bos
    train_ds = caption_dataset(data.train, data.features, batch, bos, shuffle=True,
                               seed=config.seed)
    val_ds = caption_dataset(data.val, data.features, batch, bos) if len(data.val) else None
    if val_ds is None:
        callbacks = standard_callbacks(out, config, "loss", "min", resume)
    elif config.stop_on == "loss":
        callbacks = standard_callbacks(out, config, "val_loss", "min", resume)
    else:  # the written captions' score; it must come before the callbacks that read it
        callbacks = [ValidationCaptions(config, data.val, data.features, data.ids)] + \
            standard_callbacks(out, config, CAPTION_METRIC, "max", resume)
    history, seconds = fit_keeping_best(model, train_ds, val_ds, callbacks,
                                        config.epochs or config.max_epochs, verbose, out)
    summary = {"epochs_run": len(history.history.get("loss", [])),
               "best_val_caption_score": best_logged(out / LOG_FILE, CAPTION_METRIC, "max"),
               "best_val_loss": best_logged(out / LOG_FILE),
               "best_train_loss": best_logged(out / LOG_FILE, "loss"),
               "train_posts": len(data.train), "val_posts": len(data.val),
               "train_seconds": round(seconds, 1),
               "strategy": strategy_name(strategy) if strategy is not None else None,
               "replicas": active.num_replicas_in_sync, "global_batch_size": batch}
    choice, retriever = _choose(data, model, validation_in_retrieval)
    # The folder's sizes: word ids are the written words (+ BOS, EOS), tags the inputs.
    sizes = ModelSizes(data.sizes.word_ids, data.sizes.tag_vocab_size,
                       data.sizes.feature_shape)
    trained = TrainedAMNN(model, config, data.tag_vocab, data.vectorizer, sizes,
                          segmenter=data.segmenter, caption_choice=choice.to_json(),
                          caption_retrieval=retriever.to_arrays() if retriever else None)
    finish_folder(out, trained, {"training": dict(summary)})
    summary["caption_choice"], summary["caption_line"] = choice.to_json(), choice.line()
    return summary


def _choose(data: CaptionData, model, validation_in_retrieval: bool):
    """The writer or a retriever, chosen on the validation posts (`caption_choice`); the
    retriever shipped then also retrieves from them when they are the user's own posts."""
    if data.val_posts is None or not len(data.val):  # --val-fraction 0: the writer
        return CaptionChoice(), None
    config = data.config
    written = write_held_out(model, config, data.val, data.features, data.ids)
    use_photos = config.include_image and data.train_posts.has_images
    use_tags = config.caption_from_hashtags and data.train_posts.hashtags is not None \
        and any(data.train_posts.hashtags)
    photos = (None, None)
    if use_photos:
        photos = (table_photos(data.features, data.train.image_rows),
                  table_photos(data.features, data.val.image_rows))
    choice, retriever = choose_caption_method(written, data.train_posts, data.val_posts,
                                              photos, use_photos, use_tags,
                                              inputs=post_inputs(data.val), seed=config.seed)
    if retriever is not None and validation_in_retrieval:
        both = None if photos[0] is None else (
            data.features, np.concatenate([photos[0][1], photos[1][1]]))
        retriever = CaptionRetriever(retriever.name, retriever.alpha).fit(
            joined_posts(data.train_posts, data.val_posts), both)
    return choice, retriever

"""After training: the neighbour memory of the trained network, with its mix chosen.

Usage, at the end of `amnn.train.fitting.train_model` (tests/model/test_folder.py trains
tiny models through it, with and without `validation_in_memory`):

    memory, choice, posts = remember_and_choose(model, data, validation_in_memory=True)
    print(choice.line())  # mix chosen on 418 held-out posts: network .5 + vote .5 (...
"""

from __future__ import annotations

import keras
import numpy as np

from amnn.inputs.encoding import join_posts
from amnn.model.neighbours import build_neighbour_memory, encode_for_memory
from amnn.model.network import AMNNNetwork
from amnn.train.mix_choice import choose_mix, unchosen
from amnn.train.preparation import PreparedData


def remember_and_choose(model: keras.Model, data: PreparedData, validation_in_memory: bool):
    """The neighbour memory of the trained network, with its mix chosen on held-out posts.

    The training posts are remembered and the mix is chosen on the validation posts
    (`amnn.train.mix_choice`), which the memory must not hold while they are scored. Posts
    held out of the user's own data (`validation_in_memory`) then join the memory.
    Returns (memory, MixChoice, the remembered posts' {"captions", "photos"} or None).
    """
    config = data.config
    network = AMNNNetwork.from_model(model, config)
    fixed = {"neighbors": config.memory_neighbors, "weight": config.memory_weight,
             "text_share": config.memory_text_share, "photo_share": config.memory_photo_share}
    keys = encode_for_memory(network, data.train, data.features)
    words = data.sizes.word_vocab_size if config.include_text else None
    memory = build_neighbour_memory(network, data.train, data.features, len(data.vocab), 1,
                                    0.0, words, keys=keys)
    if len(data.val):
        choice = choose_mix(memory, network, data.val, data.features, fixed)
    else:
        choice = unchosen(memory, fixed)
    sources = data.train_sources
    if validation_in_memory and len(data.val):
        keys = np.concatenate([keys, encode_for_memory(network, data.val, data.features)])
        memory = build_neighbour_memory(network, join_posts(data.train, data.val),
                                        data.features, len(data.vocab), 1, 0.0, words,
                                        keys=keys)
        sources = None if sources is None else sources + (data.val_sources or [])
    posts = None
    if sources is not None and len(sources) == len(memory.tags):
        posts = {"captions": [text for text, _ in sources],
                 "photos": [photo for _, photo in sources]}
    return memory.with_settings(**choice.settings()), choice, posts

"""The caption stopping score agrees with the reported metrics (sacrebleu, rouge-score)."""

import numpy as np
import pytest

from amnn.evaluate.caption_metrics import caption_scores
from amnn.train.caption_stop import bleu1, caption_objective, rouge_l

WORDS = "the storm hits nyc boston marathon rain today flood finish line".split()


def _as_text(ids):
    return " ".join(WORDS[i] for i in ids)


@pytest.mark.parametrize("seed", range(5))
def test_bleu1_and_rouge_l_on_ids_match_the_reported_metrics(seed):
    rng = np.random.default_rng(seed)
    written = [rng.integers(0, len(WORDS), rng.integers(1, 9)).tolist() for _ in range(20)]
    truths = [rng.integers(0, len(WORDS), rng.integers(1, 12)).tolist() for _ in range(20)]
    reported = caption_scores([_as_text(w) for w in written], [_as_text(t) for t in truths])
    assert bleu1(written, truths) == pytest.approx(reported.bleu[0], abs=1e-5)
    rouge = np.mean([rouge_l(w, t) for w, t in zip(written, truths)])
    assert rouge == pytest.approx(reported.rouge_l, abs=1e-5)
    assert caption_objective(written, truths) == pytest.approx(
        (reported.bleu[0] + reported.rouge_l) / 2, abs=1e-5)


def test_nothing_written_scores_zero():
    assert bleu1([[]], [[1, 2]]) == 0.0 and rouge_l([], [1, 2]) == 0.0


def test_an_epoch_writing_one_caption_for_all_cannot_be_the_best():
    from amnn.config import AMNNConfig
    from amnn.data.text import TextVectorizer
    from amnn.data.text.tokenizers import WordTokenizer
    from amnn.inputs.caption_encoding import CaptionIds, CaptionPosts
    from amnn.model.caption_network import CaptionNetwork, CaptionSizes
    from amnn.train.caption_stop import (
        CAPTION_METRIC,
        DISTINCT_METRIC,
        MATCH_METRIC,
        ValidationCaptions,
        guarded_score,
    )

    ids = CaptionIds(TextVectorizer(WordTokenizer(), min_count=1, words=["the", "storm"]))
    config = AMNNConfig(task="caption", include_image=False, word_embedding_dim=4,
                        attention_units=4, tag_embedding_dim=4, decoder_units=4, dropout=0.0,
                        max_caption_words=4)
    sizes = CaptionSizes(ids.size, 8, (49, 4))
    model = CaptionNetwork.create(config, sizes).training_model(sizes)
    for layer in model.layers:  # every post gets the same words: zero weights, equal logits
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    # Five distinct inputs (the last two posts share one), all with the caption "the".
    val = CaptionPosts([[4], [5], [6], [7], [5, 4], [4, 5]], None, [[2, ids.eos]] * 6)
    callback = ValidationCaptions(config, val, None, ids)
    callback.set_model(model)
    logs = {}
    callback.on_epoch_end(0, logs)
    assert logs[DISTINCT_METRIC] == 0.2  # 1 caption / 5 inputs
    assert logs[MATCH_METRIC] > 0.3  # "the ..." for "the": BLEU-1 and ROUGE-L like it ...
    assert logs[CAPTION_METRIC] == guarded_score(logs[MATCH_METRIC], 0.2) < 0  # ... not kept
    assert guarded_score(0.0, 0.8) > guarded_score(1.0, 0.79)


def test_the_caption_model_logs_word_accuracy_and_old_models_still_load(tmp_path):
    import keras

    from amnn.train.caption_stop import WORD_METRIC, compile_caption_model
    from amnn.train.fitting import compile_model

    def tiny():
        inputs = keras.Input((3,), dtype="int32")
        return keras.Model(inputs, keras.layers.Dense(5)(keras.layers.Embedding(5, 2)(inputs)))

    model = compile_caption_model(tiny(), 1e-2)
    history = model.fit(np.array([[1, 2, 0]]), np.array([[2, 3, 0]]), epochs=1, verbose=0)
    assert WORD_METRIC in history.history and "tag_accuracy" not in history.history
    old = compile_model(tiny(), 1e-2)  # a caption model saved before the name changed
    old.fit(np.array([[1, 2, 0]]), np.array([[2, 3, 0]]), epochs=1, verbose=0)
    old.save(tmp_path / "old.keras")
    for compiled in (False, True):
        keras.saving.load_model(tmp_path / "old.keras", compile=compiled, safe_mode=True)

"""Your defaults for the scripts in this checkout: scripts/train.py, predict.py and the others.

Each line below is one setting with its built-in default, commented out. Uncomment a line
and change the value, and every run of scripts/*.py from this checkout uses it, unless the
command line gives that flag. predict.py takes only the prediction and photo settings
(top_k ... predict_batch_size, cache_dir, encoder_weights, extract_batch_size,
max_photo_pixels, on_bad_image): a trained model keeps the settings it was trained with.

This file is read by scripts/*.py (executed, never imported as a module named `config`).
The settings themselves, and their checks, are `amnn.config.AMNNConfig` (amnn/config.py);
installed commands (amnn-train, ...) use those defaults and their flags alone.
A value a setting cannot take, or a misspelt name that looks like a setting the script
uses, stops that script with an error naming this file (with "did you mean ..."); a script
that uses none of the settings named here says so in one note and goes on.
"""

# --- task -------------------------------------------------------------------------------
# task = "hashtags"                     # "hashtags": recommend hashtags; "caption": write the
#                                       # post's text from its photo and hashtags
# caption_from_hashtags = True          # caption task: attend over the post's hashtags too
# hashtag_words = False                 # caption task: read each hashtag as its words
#                                       # (hurricanesandy -> hurricane sandy)
# max_caption_words = 30                # caption task: longest caption learned and written

# --- data -------------------------------------------------------------------------------
# min_tag_count = 2                     # hashtags seen fewer times in training become UNK (dropped)
# max_tags = 5                          # at most this many hashtags per post are learned (+ EOS)
# tag_order = "post"                    # order of a post's tags for the decoder: "post" (as written)
                                        # or "frequency" (most frequent first; see docs/BENCHMARKS.md)
# tokenizer = "auto"                    # "auto" picks soynlp for Korean text, else "word"
# min_word_count = 1                    # words seen fewer times in training become UNK (1: every
#                                       # word; a name seen once finds its near-copies)
# max_words = 30000                     # text vocabulary cap (most frequent words kept)
# max_text_tokens = 64                  # longer captions are truncated (batches pad to their longest)
# val_fraction = 0.1                    # validation share when no --val is given, split by image
# seed = 42                             # seeds the split, the weights and the shuffling

# --- image encoder and feature cache ----------------------------------------------------
# encoder = "efficientnet_lite0"        # image encoder from the registry (see amnn/features/encoders)
# encoder_weights = None                # local weights file (resnet50 offline)
# extract_batch_size = 32               # images per encoder forward pass
# max_photo_pixels = 64_000_000         # a photo with more pixels is a bad photo (on_bad_image),
#                                       # refused from its header before decoding (100 MP would
#                                       # take over 1 GB); 64 MP passes 48-50 MP phone photos
# cache_dir = None                      # HDF5 feature caches; default ~/.cache/amnn or $AMNN_CACHE_DIR
# photo_features = "auto"               # "memory": every photo's features held in memory (fastest);
#                                       # "stream": each batch's read from the cache file (bounded
#                                       # memory, large crawls); "auto": memory up to photo_memory_mib
# photo_memory_mib = 1024               # "auto" streams when the photos' features would take more
# on_bad_image = "error"                # a photo missing, unreadable, undecodable or outside the data
                                        # folder: "error" stops listing them all, "skip" leaves the
                                        # post out (predict: empty cell), "text-only" drops the photo

# --- model ------------------------------------------------------------------------------
# include_image = True                  # the paper's ablations: False trains text-only
# include_text = True                   # False trains image-only
# word_embedding_dim = 128              # caption word embedding size
# text_units = 128                      # BiLSTM units per direction (directions are summed)
# attention_units = 128                 # hidden size of the additive attention scores
# region_units = 256                    # image regions are projected to this size
# tag_embedding_dim = 128               # decoder input embedding of hashtag ids
# decoder_units = 256                   # GRU decoder state size
# dropout = 0.3                         # on text, regions and decoder outputs
# lexical_text = True                   # a bag-of-words branch beside the BiLSTM (not in the paper)
# lexical_units = 256                   # size of each word's vector in that bag

# --- training ---------------------------------------------------------------------------
# epochs = None                         # None: up to max_epochs, until early stopping ends it
# max_epochs = 60                       # the ceiling when epochs is None
# batch_size = 64                      # posts per training step (per replica under tf.distribute)
# learning_rate = 2e-3                 # Adam's starting rate (halved on plateaus)
# stop_on = "ranking"                   # early stopping watches the validation posts' "ranking"
#                                       # (mean of P@1, R@5, A@5; caption task: the written
#                                       # captions' mean of BLEU-1 and ROUGE-L) or their "loss"
# early_stopping_patience = 2           # epochs without a better ranking score on the validation
#                                       # posts before stopping (the best epoch's weights are kept)
# reduce_lr_patience = 1                # epochs without improvement before halving the rate
# tag_loss = "next"                     # "next": the next tag in tag_order; "remaining": any tag
                                        # of the post not yet given (see amnn/model/losses.py)

# --- neighbour memory (amnn/model/neighbours.py) ----------------------------------------
# memory = True                         # mix the vote of the nearest training posts with the
#                                       # network's distribution of tags
# The four settings below are chosen for each model after training, on the posts held out
# from training (--val, or the by-photo split; amnn/train/mix_choice.py). A number fixes one.
# memory_neighbors = None               # how many nearest training posts vote
# memory_weight = None                  # the vote's share (0: the network alone, 1: the vote)
# memory_text_share = None              # the captions' TF-IDF words' share of the similarity
# memory_photo_share = None             # the photos' share (the rest: the network's encoding)

# --- prediction -------------------------------------------------------------------------
# top_k = 5                             # at most this many hashtags recommended per post
# min_tags = None                       # the learned EOS may stop a list after this many tags;
                                        # None: always recommend top_k tags (ranked)
# beam_size = 1                         # 1 = greedy; >1 = beam search
# caption_beam_size = 3                 # caption models: beam width (--beam overrides it)
# decode = "rank"                       # "rank": all tags ranked by the first step's probabilities;
                                        # "sequence": tag after tag (greedy, or --beam). Rank scored
                                        # at least as well on the folds of every set (BENCHMARKS.md)
# predict_batch_size = 256              # posts decoded together

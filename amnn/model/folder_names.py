"""Names of the files in a model folder, importable without TensorFlow.

The scripts check an output folder before they import TensorFlow (seconds), so a wrong
flag or a taken folder is reported at once.

Example:
    >>> MANIFEST
    'amnn_model.json'
"""

MANIFEST = "amnn_model.json"      # written last: its presence means the folder is complete
MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
VOCAB_FILE = "hashtag_vocab.json"
VECTORIZER_FILE = "text_vectorizer.json"
NEIGHBOURS_FILE = "neighbours.npz"  # the neighbour memory's arrays (no pickle)
MEMORY_POSTS_FILE = "memory_posts.json"  # the remembered posts' captions and photo paths
SEGMENTER_FILE = "hashtag_words.json"  # caption task with hashtag_words: how tags split
WORK_DIR = "training"             # checkpoints of an unfinished training (for --resume)
BACKUP_DIR = "backup"             # in WORK_DIR: the last epoch's weights and optimizer state
BACKUP_STATE = "training_metadata.json"  # in BACKUP_DIR: its epoch and weights file
BEST_WEIGHTS = "best.weights.h5"  # in WORK_DIR: the best epoch's weights so far
LOG_FILE = "training_log.csv"
CURVES_FILE = "training_curves.png"

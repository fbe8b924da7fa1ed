"""Stage 5, training: vocabularies and inputs from posts (`preparation`), Keras fitting with
checkpoints and resume (`fitting`), tf.distribute strategies (`distribution`), and the
training-curve plot (`curves`).
"""

"""Stage 3, model inputs: posts as ids (`encoding`) and the tf.data pipeline (`pipeline`)."""

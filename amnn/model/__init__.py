"""Stage 4, the network: the attention layer, AMNN itself, its losses, batched decoding, and
the model folder that holds a trained network with its vocabularies (`folder`).
"""

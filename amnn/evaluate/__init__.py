"""Stage 7, evaluation: precision/recall/accuracy@k (`metrics`), their plots (`plots`), and
the simple methods AMNN is compared with (`baselines`).
"""

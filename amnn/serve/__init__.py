"""Stage 6, prediction: a trained model folder recommends hashtags for posts
(`predictor`), read and written as CSV in bounded chunks (`prediction_csv`).
"""

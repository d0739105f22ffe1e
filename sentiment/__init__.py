"""Sentiment scoring for chat messages and UGC: normalisation, models, batching."""

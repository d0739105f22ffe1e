"""The label space shared by every backend."""

LABELS = ("negative", "neutral", "positive")
UNSCORED = "unscored"

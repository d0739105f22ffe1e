"""Spike alerts: a channel's negative share or volume far above its own baseline, one notice per incident."""

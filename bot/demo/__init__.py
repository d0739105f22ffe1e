"""``engagebot demo``: a sample community replayed through the real core."""

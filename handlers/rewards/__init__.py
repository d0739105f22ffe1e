"""Rewards: a catalog seeded from config and extended by moderators, redemptions that take points and
stock in one transaction and never oversell, fulfilment and refunds, and optional points expiry.
Nothing is imported here, so the message catalog can load ``handlers.rewards.messages`` alone."""

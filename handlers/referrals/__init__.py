"""Referrals: personal invite links (``invite``), every join recorded with its attribution and judged
by the fraud rules (``joins``), a scheduled qualification that pays the inviter (``qualify``,
``schedule``), clawback when a qualified member leaves soon after, and the listings (``listing``).
Nothing is imported here, so the message catalog can load ``handlers.referrals.messages`` alone."""

"""Contests: scheduled start and end, entries (plain or UGC), votes, winners by votes, moderator pick
or a verifiable random draw, prizes through the ledger. Nothing is imported here, so the message
catalog can load ``handlers.contests.messages`` without pulling in the rest."""

"""Errors meant for the person who sent the command.

Raising one inside a unit of work rolls the whole use case back, so bad input
never leaves a partial write behind.
"""

from __future__ import annotations


class UserError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

"""User-generated content: members submit text and media, moderators review it.

``/submit`` (``submit``) and auto-captured chat messages (``capture``) both go
through one use case; nothing is stored before the member accepted the
program's content terms (``consent``). Moderators work through ``review``.
Media files live in a content-addressed folder (``media_store``).
"""

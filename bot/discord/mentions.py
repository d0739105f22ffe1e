"""Who a message the bot sends on Discord may ping.

Nobody, by default: replies carry member names verbatim, and a member
nicknamed ``@everyone`` or ``<@id>`` must not ping the server through the bot.
The client sets ``nobody()`` as its default for every send (channel messages,
interaction responses, followups). A message that means to ping someone, such
as a contest winner announced in a channel, passes ``only(winner_ids)`` as its
``allowed_mentions``: those accounts are pinged, and still nobody else."""

from __future__ import annotations

from collections.abc import Iterable

import discord


def nobody() -> discord.AllowedMentions:
    return discord.AllowedMentions.none()


def only(user_ids: Iterable[int | str]) -> discord.AllowedMentions:
    """Ping exactly these accounts (where the text holds their ``<@id>``): never
    @everyone, a role or the author of a replied-to message."""
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                   users=[discord.Object(id=int(u)) for u in user_ids])

"""The core's buttons as Discord components, and their presses after any restart.

A ``handlers.replies.Button`` becomes a Discord button whose custom_id is the
button's action string. Presses are matched by ``ActionButton``, a
discord.py ``DynamicItem`` registered at start-up: it parses the custom_id
itself instead of looking up a View held in memory, so a button under a
week-old announcement still works after the bot restarted. A button sent in
a DM, outside any guild, carries its guild (``"<guild id>#<action>"``) so the
press is served by that guild's program. The press itself is handed to the
client as the ``button`` event (``EngageBot.on_button``).
"""

from __future__ import annotations

import re
from typing import Any

import discord

from handlers.replies import Button

_LABEL_MAX = 80  # Discord's limit on a button label
_TEMPLATE = re.compile(r"(?:(?P<guild>\d{1,20})#)?(?P<action>[^#]+)")


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=_TEMPLATE):
    def __init__(self, action: str, label: str, guild_id: int | None = None) -> None:
        custom_id = action if guild_id is None else f"{guild_id}#{action}"
        super().__init__(discord.ui.Button(label=label[:_LABEL_MAX], custom_id=custom_id,
                                           style=discord.ButtonStyle.primary))
        self.action, self.guild_id = action, guild_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ActionButton:
        guild = match["guild"]
        return cls(match["action"], getattr(item, "label", None) or "", int(guild) if guild else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        interaction.client.dispatch("button", interaction, self.action, self.guild_id)


def attach(buttons: tuple[Button, ...], guild_id: int | None = None) -> dict[str, Any]:
    """The ``view=`` keyword for a send carrying these buttons; nothing when there are none
    (discord.py's interaction sends take no ``view=None``). ``guild_id`` only for a DM."""
    if not buttons:
        return {}
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(ActionButton(button.action, button.label, guild_id))
    return {"view": view}

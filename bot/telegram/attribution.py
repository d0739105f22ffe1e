"""Which invite a Telegram join came through, and how sure that is (``handlers.membership.JoinEvidence``).

Telegram names the link in the ``chat_member`` update, so a join through a
link this bot created is exact: the core finds whose personal link it is by
its URL (the link's name, which the bot set to identify the member, is kept
in the evidence). Every other join is ``unattributed`` and the evidence says
why: the group's primary link, a link another administrator made (Telegram
shows the bot only part of its URL, and it is nobody's personal link), or no
link at all (the public username, or added by someone).
"""

from __future__ import annotations

from telegram import ChatInviteLink, ChatMemberUpdated

from handlers.membership import JoinEvidence


def join_evidence(change: ChatMemberUpdated, bot_id: int) -> JoinEvidence:
    link = change.invite_link
    if link is None:
        return JoinEvidence("unattributed", _without_link(change))
    if link.is_primary:
        return JoinEvidence("unattributed", f"the group's primary invite link{_named(link)}", link.invite_link)
    if link.creator.id != bot_id:
        return JoinEvidence("unattributed", f"invite link{_named(link)} created by another admin "
                                            f"({link.creator.id}), not by this bot", link.invite_link)
    return JoinEvidence("exact", f"this bot's invite link{_named(link)}", link.invite_link)


def _named(link: ChatInviteLink) -> str:
    return f" named {link.name!r}" if link.name else " (no name)"


def _without_link(change: ChatMemberUpdated) -> str:
    member, by = change.new_chat_member.user, change.from_user
    if by is not None and by.id != member.id:
        return f"no invite link: added by {by.id}"
    where = f" @{change.chat.username}" if change.chat.username else ""
    return f"no invite link: joined through the group's public username{where}"

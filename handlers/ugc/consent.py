"""The content terms a member accepts before their first submission.

Consent is per member and program, and names the terms it was given to (a
hash of the text): when a program changes its terms, everyone is asked
again. Checking it only reads, so a submission refused for want of consent
writes nothing, not even the member's account; the refusal carries the
terms and the "I agree" button, whose action records the consent.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets
from handlers.config_model import Program
from handlers.context import Context
from handlers.i18n import translate
from handlers.replies import Button, Reply
from storage import members, ugc

ACTION = "ugc.consent"


def terms_hash(program: Program) -> str:
    return hashlib.sha256(program.ugc.terms.encode("utf-8")).hexdigest()


async def gate(session: AsyncSession, ctx: Context) -> Reply | None:
    """None when the acting member accepted the program's current terms, else the private refusal
    that shows them with the button."""
    identity = await members.find(session, ctx.actor.platform, ctx.actor.user_id)
    if identity is not None and \
            await ugc.has_consented(session, ctx.program.id, identity.member_id, terms_hash(ctx.program)):
        return None
    text = f"{translate('error.ugc_consent_needed', ctx.locale)}\n\n{ctx.program.ugc.terms}"
    agree = Button(translate("ugc.consent_button", ctx.locale), ACTION)
    return Reply(text, ok=False, private=True, buttons=(agree,))


async def accept(session: AsyncSession, ctx: Context, argument: str) -> Reply:
    """The "I agree" button: record consent to the terms as they are now."""
    member_id = await targets.actor_member(session, ctx)
    await ugc.record_consent(session, ctx.program.id, member_id, terms_hash(ctx.program), ctx.now)
    return Reply(translate("ugc.consent_done", ctx.locale), private=True)

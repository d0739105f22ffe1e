"""Feature sections of the digest, in the order the report shows them.

Each feature owns one builder (``handlers/<feature>/digest.py``) that reads
its aggregates for the period in the digest's unit of work and returns its
``Section`` in the digest's language, or None when there is nothing to show
(no NPS responses, no contest in the period). A feature that lands later
adds its builder to ``BUILDERS``; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts import digest as alerts_digest
from handlers.campaigns import digest as campaigns_digest
from handlers.churn import digest as churn_digest
from handlers.config_model import Program
from handlers.contests import digest as contests_digest
from handlers.digest.model import Period, Section
from handlers.experiments import digest as experiments_digest
from handlers.nps import digest as nps_digest
from handlers.referrals import digest as referrals_digest
from handlers.rewards import digest as rewards_digest
from handlers.ugc import digest as ugc_digest

SectionBuilder = Callable[[AsyncSession, Program, Period, str], Awaitable[Section | None]]

BUILDERS: tuple[SectionBuilder, ...] = (ugc_digest.section, contests_digest.section, referrals_digest.section,
                                        rewards_digest.section, nps_digest.section,
                                        alerts_digest.section, churn_digest.section, experiments_digest.section,
                                        campaigns_digest.section)

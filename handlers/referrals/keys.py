"""The ledger idempotency keys of referral payouts: one of each per join, however often a check fires."""

from __future__ import annotations


def payout(program_id: str, join_id: int) -> str:
    """The inviter's ``rules.referral_points`` for one qualified join."""
    return f"referral:{program_id}:{join_id}"


def welcome(program_id: str, join_id: int) -> str:
    """The new member's ``referrals.new_member_points`` at qualification."""
    return f"referral-welcome:{program_id}:{join_id}"


def clawback(program_id: str, join_id: int) -> str:
    """The payout taken back when the member left within ``referrals.clawback_days``."""
    return f"referral-clawback:{program_id}:{join_id}"

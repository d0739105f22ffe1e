"""Churn risk per member: a transparent score in [0, 1] with the factors that explain it.

The stable API (other features, such as win-back nudges, use it):

- ``handlers.churn.score.risks(session, program, now)``: every recently active member, highest risk first;
- ``handlers.churn.score.risk_of(session, program, member_id, now)``: one member, or None;
- ``handlers.churn.model.ChurnRisk``: ``score``, ``factors`` (largest term first), ``top()``,
  ``explain(locale)``.

The package itself imports nothing, so the catalog (``handlers.i18n``) can gather its messages.
"""

"""Campaigns (README "Campaigns"): double-points windows, member days and tier earning multipliers
(``windows``, ``member_days``, ``multiplier``, ``schedule``, ``listing``, ``digest``), beside birthdays,
tier perks and win-back nudges (``birthdays``, ``tier_perks``, ``winback``).

Earning use cases (messages, reactions, approved content) ask one seam,
``handlers.campaigns.multiplier``, what a posting is worth; windows are rows
(``storage.campaigns``) and member days come from the program's config.
"""

"""A/B experiments of campaign messages: variants, assignment, conversions, statistics, results.

Public API (stable; other features call only these):

- ``handlers.experiments.assign.variant_text(session, program, message, member_id, default_text, now,
  locale="en", fields=None) -> str`` -- the text to send one member for ``message`` ("birthday_greeting" or
  "winback_nudge"). When an experiment of ``program`` tests that message at ``now``, the
  member is assigned a variant (deterministic, stored at the first exposure, sticky), the exposure is
  recorded in ``session``, and the variant's text in ``locale`` (``text_zh`` for Chinese) formatted with
  ``fields`` (``str.format``; unknown fields stay as written) is returned; otherwise ``default_text``.
  Call it in the unit of work that sends the message, once per member per send; a repeated call records
  nothing new (the window counts from the first exposure).
- ``handlers.experiments.assign.show(session, program, message, member_id, now, locale="en", fields=None)
  -> Shown | None`` -- the same, returning ``Shown(experiment_id, variant, text, first)`` or None.
- ``handlers.experiments.report.results(session, program, experiment_id, now) -> Results | None`` -- records
  due conversions, then per variant: exposed, still in window, converted, rate; each variant against the
  control (the first variant): difference, 95 % Newcombe CI, two-proportion z-test p-value and the verdict
  ("better" / "worse" only when the CI excludes zero and every variant has the minimum sample, else
  "not yet significant"). None when the program has no such experiment.
- ``handlers.experiments.report.describe(results, locale) -> str`` -- those results as chat text, in
  English or Chinese.
- ``handlers.experiments.report.during_campaign(session, program, campaign, locale) -> list[str]`` -- the
  ``/campaign stats ID`` lines (registered in ``handlers.campaigns.listing.STATS_HOOKS``): each experiment
  that exposed members while the campaign ran, with its results among them.
- ``handlers.experiments.variants.find(program.experiments, experiment_id) -> Experiment | None``.

Group posts (``announcement``, ``contest_announcement``) are refused as experiment messages at config
validation: one post is read by the whole group, so members cannot be split between texts.
"""

"""NPS surveys: ``/nps`` and scheduled rounds by DM, a 0-10 score by button, an optional "why"."""

"""HTML reports for brand teams, rendered in one place (``render``): one Jinja2
environment with autoescaping, the catalog's translations, and images embedded as
``data:`` URIs so that every report is a single file that opens from disk offline."""

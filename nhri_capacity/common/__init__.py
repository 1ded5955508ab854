"""Helpers every stage uses and that hold no toolkit logic.

``io`` (atomic writes, hashes), ``cache`` (Parquet tables with provenance),
``values`` (missing values, rounding, JSON-ready values), ``yamlfile`` (the one
YAML loader), ``templates`` (Jinja templates under ``resources/templates``) and
``version``. Nothing here imports another sub-package of the toolkit.
"""

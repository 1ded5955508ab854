"""Helpers every stage uses and that hold no toolkit logic.

``io`` (atomic, fsynced writes; hashes), ``cache`` (Parquet tables with
provenance), ``framestore`` (frames as Parquet and a JSON manifest, never
pickled), ``values`` (missing values, half-up rounding, whole numbers),
``clock`` (timestamps, reproducible dates), ``yamlfile`` (the one YAML
loader), ``templates`` (Jinja templates under ``resources/templates``),
``spreadsheet`` (text that cannot become a spreadsheet formula) and
``version``. Nothing here imports another sub-package of the toolkit.
"""

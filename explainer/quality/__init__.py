"""Quality checks: what `explainer check` asks of sources, catalogs, plain language
and paper.

- check.py: the gate and its report (sources, PO files, terminology, numbers);
- readability.py: reading grade and reading ease per language;
- paper.py: pages and nearly empty last pages of the built library.
"""

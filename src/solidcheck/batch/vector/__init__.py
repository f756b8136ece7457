"""The vectorised classifier: a dossier table in, the results of several rule sets out.

``classify_table(table, rulesets)`` gives, for every row and rule set, the same values as
``classify(dossier, ruleset)`` — category, sub-axes, application and its basis, the
power/energy ratio, the weight-loss rate, pass, validity, margin and uncertainty, the code
and every finding — its message id and parameters, source and clause. It is driven by the same
rule-set data (limits, comparison and rounding, aggregation, conditions, the visual check),
so a new rule-set file needs no code here.

How it stays exact (docs/architecture.md, "Principles that hold"):

- every input is taken as the decimal it was written as, in double-double arithmetic with an
  error bound (``_exact``); a float result is used only when it is proved to be the
  correctly rounded value ``float(Fraction)`` gives, and a comparison only when its sign is
  proved — or, for an exact tie such as a rate of exactly 0.5 %, when the difference is
  below the smallest nonzero difference the inputs' decimals allow;
- a comparison of an input with a rule-set constant is a float comparison with the float
  that separates the decimals (rounding to nearest is monotone), so it is exact outright;
- the uncertainty is computed with the same float operations as ``weightloss.py``, in the
  same order (``math.hypot`` is reproduced operation for operation, ``x**2`` is libm's
  ``pow``), so it is the same float;
- whatever is not proved — results within ~1e-30 of a midpoint or a limit, differences of
  17-digit decimals that cancel, numbers beyond 1e±250, a mean of rates that
  cancels exactly — is classified row by row with ``classify`` itself.

The modules follow the data: ``inputs`` (the table's columns as arrays, suspect rows),
``shared`` (exact rates and ratio, the deciding rate, exact comparison), ``uncertainty``,
``decision`` (one rule set's numbers and category), ``findings`` (ids and parameters), ``results``
(the result columns) and ``classifier`` (``classify_table``, and the rows decided one by
one). This is the package's public surface; the rest is internal.
"""

from __future__ import annotations

from .classifier import classify_table, rows_decided_one_by_one
from .inputs import table_problems
from .results import (
    FINDING_TEXT_TYPE,
    FINDING_TYPE,
    RESULT_FIELDS,
    WORDS,
    result_row,
    results_schema,
)

__all__ = ["FINDING_TEXT_TYPE", "FINDING_TYPE", "RESULT_FIELDS", "WORDS", "classify_table",
           "result_row", "results_schema", "rows_decided_one_by_one", "table_problems"]

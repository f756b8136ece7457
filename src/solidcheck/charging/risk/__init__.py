"""Issue 18: which ports will fail — features and labels per port and UTC day from part I's
canonical tables, the models trained on an operator's own history, and an evaluation that
cannot flatter itself (time splits only, against the baselines an operator already uses).
See docs/charging.md, "Risk prediction (part III)".

Names are imported on use: charging/rules.py reads the grammar in .rules without loading the
feature code (which itself needs the rule sets), and the models need scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_exports

if TYPE_CHECKING:
    from .features import CATEGORICAL, FEATURES, port_day_features
    from .labels import port_day_labels

__all__ = ["CATEGORICAL", "FEATURES", "port_day_features", "port_day_labels"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "CATEGORICAL": ".features", "FEATURES": ".features", "port_day_features": ".features",
    "port_day_labels": ".labels"}, globals())

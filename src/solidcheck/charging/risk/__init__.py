"""Port failure risk (issue 18): features and labels per port and UTC day, from the
canonical tables of part I — the data a risk model trains on and is judged by."""

from __future__ import annotations

from .features import CATEGORICAL, FEATURES, port_day_features
from .labels import labels

__all__ = ["CATEGORICAL", "FEATURES", "labels", "port_day_features"]

"""A trained model on disk: a folder with ``model.joblib`` (the estimators) and ``card.json``
(the model card: features, training window, rows and failures, data hashes, library versions,
seed, horizon, rule set).

joblib, not skops: it comes with scikit-learn (no second dependency) and keeps every estimator
exactly. It is a pickle, and loading a pickle runs code: load only models you trained. The card
records the file's sha256 and :func:`load` refuses a file that does not match it — a guard
against mixing up folders, not against someone who can write to them.
"""

from __future__ import annotations

import hashlib
import io
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from ..._version import __version__
from ...errors import ChargingInputError
from .model import CONTRIBUTION_METHOD, RiskModel, sklearn
from .problems import TRAIN_COMMAND, risk_problem
from .rules import RiskModelRule

__all__ = ["CARD", "MODEL", "frame_sha256", "load", "model_card", "save"]

CARD = "card.json"
MODEL = "model.joblib"
#: the libraries whose versions a model depends on
LIBRARIES = ("scikit-learn", "joblib", "numpy", "polars")


def frame_sha256(frame: pl.DataFrame) -> str:
    """The sha256 of the frame's Arrow IPC bytes (the same rows in the same order, the same
    hash)."""
    sink = _Digest()
    frame.write_ipc(sink, compression="uncompressed")  # type: ignore[call-overload]
    return sink.digest.hexdigest()


class _Digest(io.RawIOBase):
    """A file that keeps only the sha256 of what is written (no copy of a large frame)."""

    def __init__(self) -> None:
        super().__init__()
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return len(data)


def _versions() -> dict[str, str]:
    found = {"solidcheck": __version__}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def model_card(model: RiskModel, frame: pl.DataFrame, rule: RiskModelRule, *, seed: int,
               ruleset_id: str, inputs: dict[str, str]) -> dict[str, Any]:
    """The card of a model trained on ``frame`` (see :func:`model.train`); ``inputs``: each
    input file's sha256."""
    rows = frame.filter(pl.col("label").is_not_null()) if frame.get_column(
        "label").null_count() < frame.height else frame
    days = rows.get_column("day")
    groups = {}
    for name, group in sorted(model.groups.items()):
        members = sorted(o for o, g in model.operators.items() if g == name)
        part = rows.filter(pl.col("operator").is_in(members))
        groups[name] = {"kind": group.kind, "operators": members, "rows": part.height,
                        "positives": int(part.get_column("label").cast(pl.Int64).sum())}
    return {
        "format": 1,
        "horizon": model.horizon,
        "seed": seed,
        "features": list(model.spec.numeric),
        "categorical": list(model.spec.categorical),
        "training_window": {"from": str(days.min()), "to": str(days.max())},
        "rows": rows.height,
        "positives": int(rows.get_column("label").cast(pl.Int64).sum()),
        "groups": groups,
        "methods": {"classifier": "HistGradientBoostingClassifier (class_weight balanced)",
                    "unsupervised": "IsolationForest (score: anomaly percentile)",
                    "contributions": CONTRIBUTION_METHOD},
        "data_sha256": {"features_and_labels": frame_sha256(frame), "inputs": inputs},
        "library_versions": _versions(),
        "ruleset": ruleset_id,
        "rule": rule.model_dump(mode="json"),
    }


def save(model: RiskModel, folder: Path) -> Path:
    """Write the model and its card into ``folder`` (made if missing)."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    file = folder / MODEL
    joblib.dump({"groups": model.groups, "operators": model.operators, "vocab": model.vocab},
                file)
    card = {**model.card, "model_sha256": hashlib.sha256(file.read_bytes()).hexdigest()}
    (folder / CARD).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n",
                               encoding="utf-8")
    model.card = card
    return folder


def load(folder: Path) -> RiskModel:
    """A model :func:`save` wrote. Only load your own (see the module's docstring)."""
    from .model import FeatureSpec

    sklearn()
    import joblib

    card_file, file = folder / CARD, folder / MODEL
    missing = [risk_problem(str(p), "model_file_missing", path=p.name,
                            command=f"{TRAIN_COMMAND} -o")
               for p in (card_file, file) if not p.is_file()]
    if missing:
        raise ChargingInputError(missing)
    card = json.loads(card_file.read_text(encoding="utf-8"))
    problems = []
    if hashlib.sha256(file.read_bytes()).hexdigest() != card.get("model_sha256"):
        problems.append(risk_problem(str(file), "sha256_differs"))
    trained = card.get("library_versions", {}).get("scikit-learn")
    if trained != _versions()["scikit-learn"]:
        problems.append(risk_problem(str(card_file), "sklearn_version", trained=str(trained),
                                     running=_versions()["scikit-learn"]))
    if problems:
        raise ChargingInputError(problems)
    state = joblib.load(file)
    spec = FeatureSpec(tuple(card["features"]), tuple(card["categorical"]))
    return RiskModel(spec, card["horizon"], state["groups"], state["operators"],
                     state["vocab"], card)

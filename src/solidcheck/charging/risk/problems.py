"""The risk model's problems as catalogue messages (``charging.risk.problem.*`` in
``i18n/charging.toml``): the English they carry is the catalogue's, so the command line and
the monitoring page say them in the reader's language from the same words."""

from __future__ import annotations

from typing import Any

from ...errors import Problem
from ...i18n import message

__all__ = ["TRAIN_COMMAND", "risk_problem"]

#: the command that makes a model folder (what most fixes ask for)
TRAIN_COMMAND = "solidcheck charging risk train"


def risk_problem(where: str, what: str, /, **params: Any) -> Problem:
    """The problem ``charging.risk.problem.<what>`` at ``where``; ``params`` serve the
    message and its fix (``<id>.fix``) alike."""
    message_id = f"charging.risk.problem.{what}"
    return Problem(where, message(message_id, params), message(f"{message_id}.fix", params),
                   message_id, params)

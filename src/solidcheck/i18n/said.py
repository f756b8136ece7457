"""Something said to a person that is not a finding: a note, a method line, a warning of an
analysis — kept as data (a catalogue message id and its parameters), written in words only
when shown, in the reader's language.

Findings cite a rule and so carry more (``model.Finding``); what the readers, the ratings and
the dossier builder say needs only this. It lives here, in the lowest layer, because the
readers (beside ``model``) say things too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .catalogue import Display, Param, load_catalogue

__all__ = ["Said", "said"]


@dataclass(frozen=True, slots=True)
class Said:
    """Message ``message_id`` of the catalogue with its ``params`` (numbers in the units the
    catalogue declares, texts as given)."""

    message_id: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def text(self, lang: Display = "en") -> str:
        """The sentence in ``lang`` (``both``: "English / 中文")."""
        return load_catalogue().render(self.message_id, self.params, lang)

    def as_dict(self) -> dict[str, object]:
        """The JSON form: ``{"message_id": …, "params": {…}}``."""
        return {"message_id": self.message_id, "params": dict(self.params)}


def said(message_id: str, **params: Param) -> Said:
    """A :class:`Said`; checked against the catalogue now, so a wrong id or a missing
    parameter fails where it is made, not where it is shown."""
    made = Said(message_id, params)
    made.text("en")
    return made

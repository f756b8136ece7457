"""What every cycler reader needs: step labels and the sign of the current.

Vendors disagree on whether discharge current is negative; solidcheck's canonical
``current_a`` is positive on charge. Each reader decides a file's convention from the file
itself (its step labels or its counters), never from the vendor's name.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["current_sign", "discharge_label_mask"]

_DISCHARGE_LABEL = r"dch|discharg"  # CC_DChg, DCH, Discharge …
_CHARGE_LABEL = r"chg|charg|\bcha\b"  # CC_Chg, CCCV_Chg, CHA, Charge … (minus discharge)


def discharge_label_mask(labels: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """Rows whose step label names a discharge (DChg, DCH, Discharge; any case)."""
    found = pc.match_substring_regex(labels.cast(pa.string()), _DISCHARGE_LABEL,
                                     ignore_case=True)
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def charge_label_mask(labels: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """Rows whose step label names a charge (Chg, CHA, Charge) and not a discharge."""
    found = pc.match_substring_regex(labels.cast(pa.string()), _CHARGE_LABEL, ignore_case=True)
    charge = np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    return charge & ~discharge_label_mask(labels)


def _median_sign(values: npt.NDArray[np.float64]) -> int:
    values = values[values != 0]
    return 0 if values.size == 0 else int(np.sign(np.median(values)))


def current_sign(
    current: npt.NDArray[np.float64],
    *,
    labels: pa.Array | pa.ChunkedArray | None = None,
    discharge_counter: npt.NDArray[np.float64] | None = None,
    charge_counter: npt.NDArray[np.float64] | None = None,
) -> tuple[int, str | None]:
    """+1 when the file logs charge current positive, −1 when discharge is positive.

    Decided from the file itself: the current's sign on rows labelled discharge (or charge),
    else on rows where the file's discharge (or charge) counter grows. The second value says
    which evidence decided, as the key of a catalogue word (``sign_evidence.<key>``:
    ``discharge_label``, ``charge_label``, ``discharge_counter``, ``charge_counter``);
    ``None`` when the file holds none (the sign is then kept).
    """
    if labels is not None:
        discharge = _median_sign(current[discharge_label_mask(labels)])
        if discharge:
            return (1 if discharge < 0 else -1), "sign_evidence.discharge_label"
        charge = _median_sign(current[charge_label_mask(labels)])
        if charge:
            return (1 if charge > 0 else -1), "sign_evidence.charge_label"
    for counter, wanted, what in ((discharge_counter, -1, "discharge"),
                                  (charge_counter, 1, "charge")):
        if counter is None or counter.size < 2:
            continue
        growing = np.concatenate(([False], np.diff(counter) > 0))
        sign = _median_sign(current[growing])
        if sign:
            return (1 if sign == wanted else -1), f"sign_evidence.{what}_counter"
    return 1, None

"""The text of the findings, written only when asked (``solidcheck batch --findings text``):
each distinct (message id, parameters) of a chunk is rendered once from the catalogue, in the
language asked for, and every finding with it takes that text."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..i18n import Display, load_catalogue
from .summary import result_column
from .vector import FINDING_TEXT_TYPE

__all__ = ["with_messages"]


def with_messages(results: pa.Table, ruleset_ids: Sequence[str], lang: Display) -> pa.Table:
    """``results`` with a ``message`` in ``lang`` added to every finding."""
    for rid in ruleset_ids:
        name = result_column(rid, ruleset_ids, "findings")
        place = results.column_names.index(name)
        results = results.set_column(place, pa.field(name, pa.large_list(FINDING_TEXT_TYPE)),
                                     _rendered(results.column(name).combine_chunks(), lang))
    return results


def _rendered(lists: pa.Array, lang: Display) -> pa.Array:
    flat = pc.list_flatten(lists)
    children = flat.flatten()  # the fields, the struct's offset applied
    fields = [f.name for f in flat.type]
    ids = children[fields.index("message_id")]
    params = pc.dictionary_encode(children[fields.index("params")])  # distinct ones once
    messages = pa.array([], pa.large_string())
    if len(flat):
        # one key per (id, params) pair of dictionary entries, rendered once
        pairs = (np.asarray(ids.indices, dtype=np.int64) * len(params.dictionary)
                 + np.asarray(params.indices, dtype=np.int64))
        distinct, which = np.unique(pairs, return_inverse=True)
        catalogue = load_catalogue()
        id_words = ids.dictionary.to_pylist()
        param_texts = params.dictionary.to_pylist()
        texts = [catalogue.render(id_words[key // len(param_texts)],
                                  json.loads(param_texts[key % len(param_texts)]), lang)
                 for key in distinct.tolist()]
        messages = pa.DictionaryArray.from_arrays(
            pa.array(which.astype(np.int32)), pa.array(texts, pa.large_string())
        ).cast(pa.large_string())
    struct = pa.StructArray.from_arrays([*children, messages], fields=list(FINDING_TEXT_TYPE))
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    return pa.LargeListArray.from_arrays(pa.array(offsets - offsets[0]), struct)

"""The engine's operator settings, handed to the engine explicitly.

One immutable object built from the configuration by the launcher (or
with its defaults by tests) and passed to :class:`engine.service.Engine`,
which hands it to every transaction: no module global is changed from
outside.
"""

import dataclasses
import json

from mistral_clone import exceptions as exc
from mistral_clone.db import packing


@dataclasses.dataclass(frozen=True)
class EngineSettings:
    # [engine] execution_field_size_limit_kb: largest input, output,
    # params or published value (KB, negative = no limit).
    field_size_limit_kb: int = 1024
    # [context_versioning] enabled: merges prefer the newest value of a key.
    context_versioning: bool = True
    # Trivial built-in actions (std.noop, std.echo without delay, ...) run
    # right inside the engine transaction instead of a round trip through
    # an executor: same observable result, a fraction of the cost. At most
    # this many per transaction (0 disables: [engine]
    # inline_builtin_actions = False).
    inline_budget: int = 200
    # Scheduler hand-overs of one job before it is given up (jobs.py).
    max_work_attempts: int = 3
    # [engine] max_subworkflow_depth: deepest sub-workflow nesting (the
    # root execution is depth 0).
    max_subworkflow_depth: int = 100

    def check_size(self, field, value):
        """Refuse a value over ``[engine] execution_field_size_limit_kb``;
        its size in KB (0 when there is no limit: not measured)."""
        limit = self.field_size_limit_kb
        if limit < 0 or value is None:
            return 0
        size_kb = (json_length(value) + 49) // 1024
        if size_kb > limit:
            raise exc.SizeLimitExceededException(field, size_kb, limit)
        return size_kb

    @classmethod
    def from_conf(cls, conf):
        return cls(
            field_size_limit_kb=conf.engine.execution_field_size_limit_kb,
            context_versioning=conf.context_versioning.enabled,
            inline_budget=(cls.inline_budget
                           if conf.engine.inline_builtin_actions else 0),
            max_work_attempts=conf.engine.max_work_attempts,
            max_subworkflow_depth=conf.engine.max_subworkflow_depth)


_ENCODER = json.JSONEncoder(default=str)
# Lists and dicts longer than this are measured a slice at a time; those
# of at most _FEW items one item at a time; the others (and anything
# deeper than _DEPTH levels) in one piece.
_SLICE = 512
_FEW = 8
_DEPTH = 8


def json_length(value, depth=0):
    """``len(json.dumps(value, default=str))``, without holding the whole
    text: the JSON of a large list or dict is measured a slice or an item
    at a time. (json.dumps of a 10 MB value briefly holds twice its
    length in text; the size check ran it on every large value.) A
    string, None, a bool or an int is measured without the encoder's
    machinery (its text is known: the same length)."""
    t = type(value)
    if t is str:
        return len(_encode_str(value))
    if value is None or value is True:
        return 4  # null, true
    if value is False:
        return 5  # false
    if t is int:
        return len(repr(value))
    if depth < _DEPTH and (t is list or t is tuple or t is dict):
        n = len(value)
        if n > _SLICE:
            # The JSON of the slices, less their brackets, plus one pair of
            # brackets and a ', ' between every two items.
            total = 2 + 2 * (n - 1)
            for part in packing.slices(value, _SLICE):
                total += len(_ENCODER.encode(part)) - 2 - 2 * (len(part) - 1)
            return total
        if n == 0:
            return 2  # [] or {}
        if n <= _FEW:
            # Brackets and a ', ' between every two items, plus each item:
            # '"key": value' in a dict (of str keys only: any other key is
            # left to the encoder, which converts it or refuses it).
            total = 2 + 2 * (n - 1)
            if t is not dict:
                for v in value:
                    total += json_length(v, depth + 1)
                return total
            for k, v in value.items():
                if type(k) is not str:
                    break
                total += len(_encode_str(k)) + 2 + json_length(v, depth + 1)
            else:
                return total
    return len(_ENCODER.encode(value))


# What _ENCODER.encode does with a str (ensure_ascii, the default).
_encode_str = json.encoder.encode_basestring_ascii

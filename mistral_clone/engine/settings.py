"""The engine's operator settings, handed to the engine explicitly.

One immutable object built from the configuration by the launcher (or
with its defaults by tests) and passed to :class:`engine.service.Engine`,
which hands it to every transaction: no module global is changed from
outside.
"""

import dataclasses
import json

from mistral_clone import exceptions as exc


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
        size_kb = (len(json.dumps(value, default=str)) + 49) // 1024
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

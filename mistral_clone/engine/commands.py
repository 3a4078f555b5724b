"""Commands: what the pure decision functions ask the engine shell to do."""

import dataclasses
from typing import Any, Optional

ENGINE_COMMANDS = ('noop', 'fail', 'succeed', 'pause')


@dataclasses.dataclass
class RunTask:
    """Create (or, for a join, find) an execution of task ``name`` and run it."""
    name: str
    in_context: dict
    triggered_by: Optional[list] = None   # [{'task_id':..., 'event':...}]
    # For reverse workflows and rerun: an existing task execution id.
    task_ex_id: Optional[str] = None

    def to_dict(self):
        return {'cmd': 'run_task', 'name': self.name,
                'in_context': self.in_context,
                'triggered_by': self.triggered_by}


@dataclasses.dataclass
class EngineCommand:
    """fail / succeed / pause / noop from a transition."""
    name: str
    msg: Any = None
    task_name: Optional[str] = None

    def to_dict(self):
        return {'cmd': self.name, 'msg': self.msg, 'task_name': self.task_name}


def from_dict(d):
    if d.get('cmd') == 'run_task':
        return RunTask(d['name'], d.get('in_context') or {},
                       d.get('triggered_by'))
    return EngineCommand(d['cmd'], d.get('msg'), d.get('task_name'))


def rearrange(commands):
    """Order commands for dispatch (dsl.md §5.3).

    Returns ``(now, backlog)``: ``now`` ends with at most one state-changing
    engine command; ``backlog`` holds what a ``pause`` defers until resume.
    """
    commands = [c for c in commands
                if not (isinstance(c, EngineCommand) and c.name == 'noop')]
    for i, c in enumerate(commands):
        if isinstance(c, EngineCommand):
            if c.name in ('fail', 'succeed'):
                if i == 0:
                    return [c], []
                return commands[:i + 1], []
            if c.name == 'pause':
                return commands[:i + 1], commands[i + 1:]
    return commands, []

"""What crosses a process boundary, defined once for both sides.

* :class:`Runnable` — an action an executor must run (the engine prepares
  it, an executor runs it);
* :class:`ActionResult` — what running an action gave (an executor, the API
  or the recovery check reports it to an engine);
* :class:`EngineApi` / :class:`ExecutorApi` — the operations an engine and
  an executor offer to other processes, with their argument types.

This is a leaf module (it imports nothing of the project), so the executor,
which never imports the engine, and the engine share these types. In the
embedded mode the objects are handed over as they are; over oslo.messaging
each value travels as plain JSON (``to_wire`` / ``from_wire``, the format
the services have always exchanged).
"""

import abc
import dataclasses
from typing import Any, Optional


@dataclasses.dataclass(frozen=True)
class Runnable:
    """A python action to run, by name, with its final input (an ad-hoc
    action's ``base-input`` is already evaluated: only the engine has the
    workflow context), and the ids its result is reported under."""

    action: str
    input: dict
    is_sync: bool
    action_ex_id: Optional[str] = None
    task_ex_id: Optional[str] = None
    wf_ex_id: Optional[str] = None
    workflow_name: Optional[str] = None
    timeout: Optional[float] = None
    safe_rerun: bool = False
    # ``target:`` of the task: the name of the executor that must run it.
    target: Optional[str] = None

    def execution_ids(self):
        """Keyword arguments of ``actions.make_action_context``."""
        return {'workflow_execution_id': self.wf_ex_id,
                'task_execution_id': self.task_ex_id,
                'action_execution_id': self.action_ex_id,
                'workflow_name': self.workflow_name}

    def to_wire(self):
        return {f.name: getattr(self, f.name) for f in _RUNNABLE_FIELDS}

    @classmethod
    def from_wire(cls, data):
        return cls(**{f.name: data[f.name] for f in _RUNNABLE_FIELDS
                      if f.name in data})


_RUNNABLE_FIELDS = dataclasses.fields(Runnable)


@dataclasses.dataclass(frozen=True)
class Runnables:
    """Several actions sent to an executor in one message (what one engine
    transaction started): ``items`` is a tuple of :class:`Runnable`."""

    items: tuple = ()

    def to_wire(self):
        return [r.to_wire() for r in self.items]

    @classmethod
    def from_wire(cls, data):
        return cls(tuple(Runnable.from_wire(d) for d in data))


@dataclasses.dataclass(frozen=True)
class ActionResult:
    """An action's outcome: its data, or an error, or a cancellation."""

    data: Any = None
    error: Any = None
    cancelled: bool = False

    @property
    def is_error(self):
        return not self.cancelled and self.error is not None

    def outcome(self):
        """``(state, value)``: ``('CANCELLED', None)``, ``('ERROR',
        error)`` or ``('SUCCESS', data)``."""
        if self.cancelled:
            return 'CANCELLED', None
        if self.error is not None:
            return 'ERROR', self.error
        return 'SUCCESS', self.data

    def to_wire(self):
        if self.cancelled:
            return {'cancel': True}
        if self.error is not None:
            return {'error': self.error}
        return {'data': self.data}

    @classmethod
    def from_wire(cls, data):
        return cls(data=data.get('data'), error=data.get('error'),
                   cancelled=bool(data.get('cancel')))

    @classmethod
    def from_lib(cls, result):
        """From a mistral-lib ``Result``."""
        if result.is_cancel():
            return cls(cancelled=True)
        if result.is_error():
            return cls(error=result.error)
        return cls(data=result.data)


@dataclasses.dataclass(frozen=True)
class ActionResults:
    """Several actions' results delivered together (an executor sends
    the results that finished while it delivered the previous ones):
    ``items`` is a tuple of ``(action_ex_id, ActionResult)``."""

    items: tuple = ()

    def to_wire(self):
        return [[action_ex_id, result.to_wire()]
                for action_ex_id, result in self.items]

    @classmethod
    def from_wire(cls, data):
        return cls(tuple((action_ex_id, ActionResult.from_wire(result))
                         for action_ex_id, result in data))


@dataclasses.dataclass(frozen=True)
class ResultsAnswer:
    """An engine's answer to results delivered with ``take`` (see
    :meth:`EngineApi.on_action_results`): what :meth:`on_action_complete`
    would answer for each result, and the actions those results started
    that the engine handed back to the delivering executor instead of
    sending them to the executors' topic. ``claimed``: the engine stored
    those actions already claimed by the delivering executor (it named
    itself, ``claimer``): it runs them without a claim of its own."""

    answers: list = dataclasses.field(default_factory=list)
    actions: Runnables = Runnables()
    claimed: bool = False

    def to_wire(self):
        wire = {'answers': list(self.answers),
                'actions': self.actions.to_wire()}
        if self.claimed:
            wire['claimed'] = True
        return wire

    @classmethod
    def from_wire(cls, data):
        return cls(list(data['answers']),
                   Runnables.from_wire(data['actions']),
                   bool(data.get('claimed')))


#: The types :func:`decode` turns back into objects on the receiving side.
WIRE_TYPES = (Runnable, Runnables, ActionResult, ActionResults)


class EngineApi(abc.ABC):
    """What an engine offers other processes (the API, executors, the
    scheduler, other engines' recovery checks). State changes answer with a
    snapshot (``db.models.snapshot``) of the execution as committed."""

    @abc.abstractmethod
    def start_workflow(self, workflow_identifier, namespace='', input=None,
                       description='', params=None, execution_id=None,
                       source_execution_id=None, project_id=None) -> dict:
        """Start a workflow (by id, or by name in ``namespace``)."""

    @abc.abstractmethod
    def pause_workflow(self, wf_ex_id, msg=None) -> dict:
        """Pause a running execution (and its running sub-workflows)."""

    @abc.abstractmethod
    def resume_workflow(self, wf_ex_id, env=None) -> dict:
        """Resume a paused execution, optionally merging ``env``."""

    @abc.abstractmethod
    def stop_workflow(self, wf_ex_id, state, msg=None) -> dict:
        """Finish an execution as SUCCESS, ERROR or CANCELLED."""

    @abc.abstractmethod
    def update_workflow_env(self, wf_ex_id, env) -> None:
        """Merge ``env`` into an IDLE, PAUSED or ERROR execution's env."""

    @abc.abstractmethod
    def rerun_task(self, task_ex_id, reset=True, env=None) -> None:
        """Run a failed task again (``reset=False``: only failed items)."""

    @abc.abstractmethod
    def skip_task(self, task_ex_id) -> None:
        """Mark a failed task SKIPPED and go on with its workflow."""

    @abc.abstractmethod
    def start_action(self, action_name, action_input=None, namespace='',
                     description='', params=None, project_id=None) -> dict:
        """Run an action outside any workflow (``POST /action_executions``)."""

    @abc.abstractmethod
    def complete_action(self, action_ex_id, state, output) -> dict:
        """An asynchronous action's result, through the API."""

    @abc.abstractmethod
    def update_action_state(self, action_ex_id, state) -> dict:
        """PAUSED/RUNNING of an asynchronous action, through the API."""

    @abc.abstractmethod
    def on_action_complete(self, action_ex_id,
                           result: ActionResult) -> bool:
        """An executor's result (idempotent: True the first time only)."""

    @abc.abstractmethod
    def on_action_results(self, results: ActionResults, take=0,
                          claimer=None):
        """Several executor results at once (one transaction where
        possible); a list of what :meth:`on_action_complete` would answer
        for each. With ``take`` (an executor delivering), a
        :class:`ResultsAnswer`: up to ``take`` of the actions these results
        started (none with a ``target``) come back with it, for the
        delivering executor to claim and run, instead of a message to the
        executors' topic. With ``claimer`` too (the delivering executor's
        claim name), only synchronous actions come back, stored claimed by
        it in the same transaction (``ResultsAnswer.claimed``), their
        ``last_heartbeat`` unset until its first heartbeat
        (``executor/service.py``)."""

    @abc.abstractmethod
    def run_job(self, job_id) -> None:
        """Run one due scheduled job (cast: nobody waits for it)."""

    @abc.abstractmethod
    def abort_evaluations(self, wf_ex_id) -> None:
        """Abort the expressions being evaluated for ``wf_ex_id``'s tree
        (fanout cast to every engine, before a cancel or force-fail)."""

    @abc.abstractmethod
    def recover_action(self, action_ex_id, stale_seconds,
                       undispatched_seconds,
                       claimer_dead_seconds=0) -> Optional[str]:
        """Re-send, re-run or fail one stuck action; what was done."""


class ExecutorApi(abc.ABC):
    """What an executor offers the engines."""

    @abc.abstractmethod
    def run_action(self, runnable: Runnable) -> None:
        """Queue an action; returns at once (cast)."""

    @abc.abstractmethod
    def run_actions(self, runnables: Runnables) -> None:
        """Queue several actions (none with a ``target``); returns at once
        (cast)."""


def operations(api):
    """Names of the operations of ``api`` (EngineApi or ExecutorApi)."""
    return sorted(api.__abstractmethods__)


def decoders(api, name):
    """``{argument: from_wire}`` for the arguments of operation ``name``
    that travel as one of :data:`WIRE_TYPES`."""
    hints = getattr(api, name).__annotations__
    return {arg: t.from_wire for arg, t in hints.items()
            if arg != 'return' and t in WIRE_TYPES}

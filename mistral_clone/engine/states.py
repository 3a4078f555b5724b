"""Execution states and the one table of allowed transitions."""

IDLE = 'IDLE'
WAITING = 'WAITING'
RUNNING = 'RUNNING'
RUNNING_DELAYED = 'DELAYED'
PAUSED = 'PAUSED'
SUCCESS = 'SUCCESS'
CANCELLED = 'CANCELLED'
ERROR = 'ERROR'
SKIPPED = 'SKIPPED'

ALL = (IDLE, WAITING, RUNNING, RUNNING_DELAYED, PAUSED, SUCCESS, CANCELLED,
       ERROR, SKIPPED)

# Completed = will not change by itself any more.
COMPLETED = frozenset((SUCCESS, ERROR, CANCELLED, SKIPPED))
# A workflow is over in these.
TERMINAL = frozenset((SUCCESS, ERROR, CANCELLED))
# A task in one of these keeps its workflow from completing.
ACTIVE = frozenset((IDLE, WAITING, RUNNING, RUNNING_DELAYED, PAUSED))

_TRANSITIONS = {
    IDLE: {RUNNING, ERROR, CANCELLED},
    WAITING: {RUNNING},
    RUNNING: {PAUSED, RUNNING_DELAYED, SUCCESS, ERROR, CANCELLED},
    RUNNING_DELAYED: {RUNNING, ERROR, CANCELLED},
    PAUSED: {RUNNING, ERROR, CANCELLED},
    SUCCESS: set(),
    CANCELLED: {RUNNING},
    ERROR: {RUNNING, SKIPPED},
    SKIPPED: set(),
}


def is_completed(state):
    return state in COMPLETED


def is_terminal(state):
    return state in TERMINAL


def is_valid_transition(from_state, to_state):
    if from_state == to_state:
        return True
    return to_state in _TRANSITIONS.get(from_state, ())

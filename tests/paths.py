"""Where the tests find things, on any machine: derived from the
repository root or an environment variable, never from a machine's path."""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Commands installed beside the interpreter running the tests (the venv).
BIN_DIR = os.path.dirname(sys.executable)


def conformance_dir():
    """``shared/conformance``: ``$MC_CONFORMANCE_DIR``, or ``shared/``
    beside the repository (how CI lays the clone out)."""
    return os.environ.get('MC_CONFORMANCE_DIR') or os.path.normpath(
        os.path.join(REPO_ROOT, '..', 'shared', 'conformance'))


def command(name):
    """A console script of the venv (mistral, mistral-clone-server...)."""
    return os.path.join(BIN_DIR, name)

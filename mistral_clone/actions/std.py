"""The std.* python actions.

The trivial ones live here; the others in their own modules (``std_http``,
``std_remote`` for e-mail and SSH, ``std_js``), re-exported so that the
catalogue and plugins see every std action class in this module. The common
base (reference-compatible repr and class path) is ``std_base``.
"""

import time

from mistral_lib import actions as ml_actions

from mistral_clone import exceptions as exc
from mistral_clone.actions.std_base import StdAction, set_class_paths
from mistral_clone.actions.std_http import (
    HTTPAction, MistralHTTPAction)
from mistral_clone.actions.std_js import (
    JavaScriptAction, configure_javascript)
from mistral_clone.actions.std_remote import (
    SSHAction, SSHProxiedAction, SendEmailAction)

__all__ = ['StdAction', 'NoOpAction', 'AsyncNoOpAction', 'EchoAction',
           'FailAction', 'SleepAction', 'TestDictAction', 'HTTPAction',
           'MistralHTTPAction', 'SendEmailAction', 'SSHAction',
           'SSHProxiedAction', 'JavaScriptAction', 'configure_javascript']


# --- trivial actions ---------------------------------------------------------

class NoOpAction(StdAction):
    def __init__(self):
        super().__init__()

    def run(self, context):
        return None

    def test(self, context):
        return None


class AsyncNoOpAction(NoOpAction):
    def is_sync(self):
        return False


class EchoAction(StdAction):
    def __init__(self, output, delay=0):
        super().__init__()
        self.output = output
        try:
            self._delay = max(0.0, float(delay))
        except (TypeError, ValueError):
            self._delay = 0.0

    def run(self, context):
        if self._delay:
            time.sleep(self._delay)
        return self.output

    def test(self, context):
        return 'Echo'


class FailAction(StdAction):
    def __init__(self, error_data=None):
        super().__init__()
        self.error_data = error_data

    def run(self, context):
        if self.error_data:
            return ml_actions.Result(error=self.error_data)
        raise exc.ActionException('Fail action expected exception.')

    def test(self, context):
        raise exc.ActionException('Fail action expected exception.')

    def __repr__(self):
        return 'Fail action'


class SleepAction(StdAction):
    def __init__(self, seconds=1):
        super().__init__()
        try:
            self._seconds = max(0, int(seconds))
        except (TypeError, ValueError):
            self._seconds = 0

    def run(self, context):
        if self._seconds:
            time.sleep(self._seconds)
        return None

    def test(self, context):
        return None


class TestDictAction(StdAction):
    def __init__(self, size=0, key_prefix='', val=''):
        super().__init__()
        self.size = size
        self.key_prefix = key_prefix
        self.val = val

    def run(self, context):
        # range() on a non-int raises, as on the reference.
        return {'%s%s' % (self.key_prefix, i): self.val
                for i in range(self.size)}

    def test(self, context):
        return {}


set_class_paths(NoOpAction, AsyncNoOpAction, EchoAction, FailAction,
                SleepAction, TestDictAction)

"""The executor service: runs actions and reports their results.

An executor receives prepared actions (python action name + final input,
see ``engine/action_glue``), runs them in a thread pool with the task's
timeout, and reports the result to an engine: always for synchronous
actions, only on immediate failure for asynchronous ones (whose result
arrives later through the API).
"""

import concurrent.futures
import logging
import socket

from mistral_clone import actions
from mistral_clone.engine import action_glue

LOG = logging.getLogger(__name__)


class Executor:

    def __init__(self, engine_client, workers=16, host=None):
        self.engine_client = engine_client
        self.host = host or socket.gethostname()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='executor')

    def stop(self):
        self._pool.shutdown(wait=False)

    def run_action(self, runnable):
        """Queue an action; returns at once."""
        self._pool.submit(self._run, runnable)

    def _run(self, runnable):
        action_ex_id = runnable.get('action_ex_id')
        try:
            result = self.execute(runnable)
        except Exception as e:  # never lose an action silently
            LOG.exception('Executor failed on action %s', action_ex_id)
            result = {'error': 'Executor failure: %s' % e}
        if result is None:
            return
        try:
            self.engine_client.on_action_complete(action_ex_id, result)
        except Exception:
            LOG.exception('Could not report the result of action %s',
                          action_ex_id)

    def execute(self, runnable):
        """Run the action; the result dict to report, or None (async)."""
        action_ex_id = runnable.get('action_ex_id')
        try:
            action = action_glue.instantiate_python(runnable['action'],
                                                    runnable.get('input'))
        except Exception as e:
            return {'error': 'Failed to instantiate an action '
                             '[action=%s]: %s' % (runnable['action'], e)}
        context = actions.make_action_context(
            workflow_execution_id=runnable.get('wf_ex_id'),
            task_execution_id=runnable.get('task_ex_id'),
            action_execution_id=action_ex_id,
            workflow_name=runnable.get('workflow_name'),
        )
        result = actions.run_action(action, context, runnable.get('timeout'))
        if not actions.should_report(action, result):
            return None
        result = actions.ensure_deliverable(result, action, action_ex_id)
        return action_glue.result_to_dict(result)

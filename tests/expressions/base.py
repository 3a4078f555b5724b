import unittest

from mistral_clone import expressions as expr


class FakeProvider(expr.DataProvider):
    """In-memory DataProvider recording its calls."""

    class DBError(Exception):
        pass

    passthrough_exceptions = (DBError,)

    def __init__(self):
        self.calls = []
        self.task_execs = {
            'te-1': {'id': 'te-1', 'name': 't1', 'state': 'SUCCESS',
                     'result': {'id': 42}, 'type': 'ACTION',
                     'workflow_execution_id': 'wf-1'},
            'te-2': {'id': 'te-2', 'name': 't2', 'state': 'ERROR',
                     'result': None, 'type': 'ACTION',
                     'workflow_execution_id': 'wf-1'},
        }
        self.globals = {'g1': 'G', 'nothing': None}
        self.fail_with = None

    def _check(self):
        if self.fail_with is not None:
            raise self.fail_with

    def task(self, context, task_name):
        self._check()
        self.calls.append(('task', task_name))
        if task_name is None:
            return self.task_execs.get(context['__task_execution']['id'])
        found = [t for t in self.task_execs.values()
                 if t['name'] == task_name]
        return found[-1] if found else None

    def tasks(self, context, workflow_execution_id, recursive, state, flat):
        self.calls.append(('tasks', workflow_execution_id, recursive, state,
                           flat))
        return [t for t in self.task_execs.values()
                if state is None or t['state'] == state]

    def execution(self, context):
        self.calls.append(('execution',))
        return {'id': context['__execution']['id'], 'name': 'wf',
                'input': {'a': 1}, 'params': {}}

    def executions(self, context, id, root_execution_id, state, from_time,
                   to_time):
        self.calls.append(('executions', id, root_execution_id, state,
                           from_time, to_time))
        return [{'id': 'wf-1', 'state': 'RUNNING'}]

    def global_var(self, context, name):
        self.calls.append(('global', name))
        return self.globals.get(name)


class ExprTestCase(unittest.TestCase):

    def setUp(self):
        super().setUp()
        expr.configure()
        self.addCleanup(expr.configure)

    def assertEvalError(self, cls, expression, context, prefix):
        with self.assertRaises(cls) as cm:
            expr.evaluate(expression, context)
        self.assertTrue(str(cm.exception).startswith(prefix),
                        '%r does not start with %r'
                        % (str(cm.exception), prefix))
        return cm.exception

import json
from unittest import mock

from mistral_clone import exceptions as exc
from mistral_clone import expressions as expr
from mistral_clone.expressions import functions
from tests.expressions import base


def _ctx(task_scope=True, env=None):
    wf = {'__execution': {'id': 'wf-1'}, 'v': 'val'}
    layers = []
    if task_scope:
        layers.append({'__task_execution': {'id': 'te-2', 'name': 't2'}})
    if env is not None:
        layers.append({'__env': env})
    layers.append(wf)
    return expr.ContextView(*layers)


class FunctionsTest(base.ExprTestCase):

    def setUp(self):
        super().setUp()
        self.provider = base.FakeProvider()
        cm = expr.using_data_provider(self.provider)
        cm.__enter__()
        self.addCleanup(cm.__exit__, None, None, None)

    def ev(self, s, ctx=None):
        return expr.evaluate(s, _ctx() if ctx is None else ctx)

    # -- task ------------------------------------------------------------
    def test_task_by_name_yaql_bare_identifier(self):
        self.assertEqual(42, self.ev('<% task(t1).result.id %>'))
        self.assertEqual(('task', 't1'), self.provider.calls[-1])
        self.assertEqual('SUCCESS', self.ev("<% task('t1').state %>"))
        self.assertIsNone(self.ev('<% task(unknown) %>'))

    def test_task_current(self):
        self.assertEqual('te-2', self.ev('<% task().id %>'))
        self.assertEqual(('task', None), self.provider.calls[-1])
        # Own name also means "the exact current execution".
        self.assertEqual('te-2', self.ev('<% task(t2).id %>'))
        self.assertEqual(('task', None), self.provider.calls[-1])
        self.assertEqual('te-2', self.ev('{{ task().id }}'))
        self.assertEqual(42, self.ev("{{ task('t1').result.id }}"))
        self.assertEqual(42, self.ev("{{ task(task_name='t1').result.id }}"))

    def test_task_outside_task_scope(self):
        ctx = _ctx(task_scope=False)
        self.assertIsNone(self.ev('<% task() %>', ctx))
        self.assertEqual(42, self.ev('<% task(t1).result.id %>', ctx))
        for s in ['{{ task() }}', "{{ task('t1') }}"]:
            self.assertEvalError(
                exc.JinjaEvaluationException, s, ctx,
                'Can not evaluate Jinja expression [expression=%s, '
                "error='__task_execution']" % s)

    # -- tasks / execution(s) ----------------------------------------------
    def test_tasks(self):
        self.assertEqual(['t2'],
                         self.ev('<% tasks(execution().id, false, ERROR).name '
                                 '%>'))
        self.assertEqual(('tasks', 'wf-1', False, 'ERROR', False),
                         self.provider.calls[-1])
        self.assertEqual(['t2'], self.ev('<% tasks(state => ERROR).name %>'))
        self.assertEqual(('tasks', None, False, 'ERROR', False),
                         self.provider.calls[-1])
        self.ev('<% tasks(x, true, null, true) %>')
        self.assertEqual(('tasks', 'x', True, None, True),
                         self.provider.calls[-1])
        self.assertEqual(['t2'], self.ev(
            "{{ tasks(execution().id, state='ERROR') | map(attribute='name') "
            "| list }}"))
        self.assertEqual(2, self.ev('{{ tasks() | length }}'))

    def test_execution_shows_exactly_the_reference_fields(self):
        self.provider.execution = lambda context: {
            'id': 'wf-1', 'name': 'wf', 'spec': {}, 'input': {'a': 1},
            'params': {}, 'state': 'RUNNING', 'state_info': None,
            'created_at': '2020-01-01 00:00:00', 'updated_at': None,
            'root_execution_id': None, 'project_id': 'p'}
        expected = ['id', 'name', 'spec', 'input', 'params', 'created_at',
                    'updated_at', 'root_execution_id']
        self.assertEqual(expected, self.ev('<% execution().keys() %>'))
        self.assertEqual(expected, self.ev('{{ execution().keys() | list }}'))
        self.assertEqual('wf', self.ev('<% execution().name %>'))
        with self.assertRaises(exc.YaqlEvaluationException):
            self.ev('<% execution().state %>')

    def test_execution_and_executions(self):
        self.assertEqual('wf-1', self.ev('<% execution().id %>'))
        self.assertEqual({'a': 1}, self.ev('{{ execution().input }}'))
        self.assertEqual(['RUNNING'],
                         self.ev('<% executions(state => RUNNING).state %>'))
        self.assertEqual(('executions', None, None, 'RUNNING', None, None),
                         self.provider.calls[-1])
        self.ev("{{ executions(root_execution_id='r', "
                "from_time='2020-01-01 00:00:00') }}")
        self.assertEqual(('executions', None, 'r', None,
                          '2020-01-01 00:00:00', None),
                         self.provider.calls[-1])

    # -- env / global --------------------------------------------------------
    def test_env(self):
        ctx = _ctx(env={'region': 'r1'})
        self.assertEqual('r1', self.ev('<% env().region %>', ctx))
        self.assertEqual('r1', self.ev('{{ env().region }}', ctx))
        self.assertEqual({}, self.ev('<% env() %>'))
        self.assertEqual({}, self.ev('{{ env() }}'))
        self.assertEqual({}, self.ev('<% env() %>', _ctx(env=None)))

    def test_global(self):
        self.assertEqual('G', self.ev('<% global(g1) %>'))
        self.assertEqual(('global', 'g1'), self.provider.calls[-1])
        self.assertIsNone(self.ev('<% global(nothing) %>'))
        self.assertIsNone(self.ev("<% global('zz') %>"))
        self.assertEqual('G', self.ev("{{ global('g1') }}"))

    # -- pure functions ------------------------------------------------------
    def test_uuid(self):
        a = self.ev('<% uuid() %>')
        b = self.ev('{{ uuid() }}')
        self.assertEqual(36, len(a))
        self.assertEqual(36, len(b))
        self.assertNotEqual(a, b)

    def test_json(self):
        self.assertEqual('[\n    1\n]', self.ev('<% json_dump([1]) %>'))
        self.assertEqual('[\n    1\n]', self.ev('<% json_pp([1]) %>'))
        self.assertEqual('[\n    1\n]', self.ev('{{ json_dump([1]) }}'))
        self.assertEqual('{\n    "b": 1,\n    "a": [\n        1,\n        {\n'
                         '            "c": null\n        }\n    ]\n}',
                         self.ev('<% json_dump({b=>1,a=>[1,{c=>null}]}) %>'))
        self.assertEqual('[\n    1,\n    2\n]',
                         self.ev('<% json_dump(set(1, 2)) %>'))
        self.assertEqual('"val"', self.ev('<% json_dump($.v) %>'))
        self.assertEqual({'a': [1]}, self.ev(
            '<% json_parse(\'{"a": [1]}\') %>'))
        self.assertEqual({'a': [1]}, self.ev(
            '{{ json_parse(\'{"a": [1]}\') }}'))
        self.assertEvalError(
            exc.YaqlEvaluationException, '<% json_parse(1) %>', _ctx(),
            "Can not evaluate YAQL expression [expression=json_parse(1), "
            "error=<class 'int'> can't be decoded]")
        # Round trip through the context view.
        self.assertEqual(json.loads(self.ev('<% json_dump($) %>')),
                         _ctx().as_dict())

    def test_yaml(self):
        self.assertEqual('a: 1\n', self.ev('<% yaml_dump({a=>1}) %>'))
        self.assertEqual("a:\n- 1\n- c: null\nb: 1\ns: 'x: y'\n",
                         self.ev('<% yaml_dump({b=>1,a=>[1,{c=>null}], '
                                 's=>"x: y"}) %>'))
        self.assertEqual('s\n...\n', self.ev('<% yaml_dump("s") %>'))
        self.assertEqual('[]\n', self.ev('<% yaml_dump([]) %>'))
        ctx = expr.ContextView({'y': 'a: [1, 2]\nb: {c: d}\n',
                                'anchors': '- &a b\n- *a\n- c&d\n',
                                'flow': '{a: &q 1, b: *q}',
                                'evil': 'a: !!python/object:os.system x'})
        self.assertEqual({'a': [1, 2], 'b': {'c': 'd'}},
                         self.ev('<% yaml_parse($.y) %>', ctx))
        self.assertEqual({'a': [1, 2], 'b': {'c': 'd'}},
                         self.ev('{{ yaml_parse(_.y) }}', ctx))
        # Anchors and aliases are plain text (observed on the reference).
        self.assertEqual(['&a b', '*a', 'c&d'],
                         self.ev('<% yaml_parse($.anchors) %>', ctx))
        self.assertEqual({'a': '&q 1', 'b': '*q'},
                         self.ev('<% yaml_parse($.flow) %>', ctx))
        self.assertEvalError(
            exc.YaqlEvaluationException, '<% yaml_parse($.evil) %>', ctx,
            'Can not evaluate YAQL expression [expression=yaml_parse($.evil),'
            ' error=could not determine a constructor')

    def test_jinja_filter_quirk(self):
        self.assertEvalError(
            exc.JinjaEvaluationException, '{{ [1] | json_dump }}', _ctx(),
            'Can not evaluate Jinja expression [expression={{ [1] | '
            "json_dump }}, error=json_dump_() missing 1 required positional "
            "argument: 'data']")

    # -- provider plumbing ----------------------------------------------------
    def test_no_provider(self):
        token = expr.set_data_provider(None)
        try:
            self.assertEvalError(
                exc.YaqlEvaluationException, '<% task(t1) %>', _ctx(),
                'Can not evaluate YAQL expression [expression=task(t1), '
                'error=No data provider')
            # Pure functions need no provider.
            self.assertEqual('a: 1\n', self.ev('<% yaml_dump({a=>1}) %>'))
        finally:
            expr.reset_data_provider(token)
        self.assertIs(self.provider, expr.get_data_provider())

    def test_passthrough_exceptions(self):
        self.provider.fail_with = base.FakeProvider.DBError('db down')
        with self.assertRaises(base.FakeProvider.DBError):
            self.ev('<% task(t1) %>')
        with self.assertRaises(base.FakeProvider.DBError):
            self.ev("{{ task('t1') }}")
        self.provider.fail_with = ValueError('bad')
        self.assertEvalError(
            exc.YaqlEvaluationException, '<% task(t1) %>', _ctx(),
            'Can not evaluate YAQL expression [expression=task(t1), '
            'error=bad]')

    def test_nested_providers(self):
        other = base.FakeProvider()
        other.globals = {'g1': 'OTHER'}
        with expr.using_data_provider(other):
            self.assertEqual('OTHER', self.ev('<% global(g1) %>'))
        self.assertEqual('G', self.ev('<% global(g1) %>'))

    def test_plugins(self):
        def double(context, x):
            return x * 2

        def ctx_value(context, key):
            return context[key]

        class EP(object):
            def __init__(self, name, func):
                self.name, self._func = name, func

            def load(self):
                return self._func

        class EPs(object):
            def select(self, group):
                self.group = group
                return [EP('double', double), EP('ctx_value', ctx_value),
                        EP('uuid', lambda context: 'overridden')]

        eps = EPs()
        with mock.patch('importlib.metadata.entry_points',
                        return_value=eps):
            expr.reload_functions()
            self.addCleanup(expr.reload_functions)
            self.assertEqual(6, self.ev('<% double(3) %>'))
            self.assertEqual(6, self.ev('{{ double(3) }}'))
            self.assertEqual('val', self.ev('<% ctx_value(v) %>'))
            self.assertEqual('val', self.ev("{{ ctx_value('v') }}"))
            # Built-in names are never overridden by plugins.
            self.assertEqual(36, len(self.ev('<% uuid() %>')))
        self.assertEqual(functions.PLUGIN_GROUP, eps.group)

"""Pure mapping of Mistral's rows to ours (no database)."""

import datetime
import hashlib
import json
import unittest

from mistral_clone import lang
from mistral_clone.db.mistral_import import definitions as defs
from mistral_clone.db.mistral_import import history
from tests.db.mistral_import import base

NOW = datetime.datetime(2027, 1, 2, 3, 4, 5)  # after the recording


def md5(key):
    return hashlib.md5(key.encode()).hexdigest()


def rows(table, **match):
    return [r for r in base.source_rows(table)
            if all(r[k] == v for k, v in match.items())]


class TestContexts(unittest.TestCase):

    def test_versions_are_keyed_by_name_here(self):
        ctx = {'__versions': {md5('va'): 1, md5('vb'): 2, md5('gone'): 3},
               'va': 'a', 'vb': 'b'}
        self.assertEqual({'__versions': {'va': 1, 'vb': 2}, 'va': 'a',
                          'vb': 'b'}, history.versions_by_name(ctx))
        self.assertEqual({'x': 1}, history.versions_by_name({'x': 1}))
        self.assertIsNone(history.versions_by_name(None))

    def test_recorded_join_context(self):
        join = rows('task_executions_v2', name='j')[0]
        ctx = history.versions_by_name(json.loads(join['in_context']))
        self.assertEqual({'va': 1, 'vb': 1}, ctx['__versions'])


class TestSpecs(unittest.TestCase):

    def test_execution_spec_becomes_a_document_we_parse(self):
        for wf_ex in base.source_rows('workflow_executions_v2'):
            spec = json.loads(wf_ex['spec'])
            ours = lang.get_workflow_spec(defs.spec_document(spec),
                                          name=wf_ex['workflow_name'])
            self.assertEqual(sorted(spec['tasks']), sorted(ours.tasks))
            self.assertEqual(spec.get('type', 'direct'), ours.type)

    def test_definition_text_when_the_execution_ran_it(self):
        wf = rows('workflow_definitions_v2', name='hello', namespace='')[0]
        wf_ex = rows('workflow_executions_v2', workflow_id=wf['id'])[0]
        texts = history.SpecTexts({wf['id']: (wf['definition'],
                                              wf['spec'])})
        self.assertEqual(wf['definition'], texts.get(wf_ex)[0])
        changed = dict(wf_ex, spec=json.dumps(dict(
            json.loads(wf_ex['spec']), description='older version')))
        text, spec = texts.get(changed)
        self.assertNotEqual(wf['definition'], text)
        self.assertEqual('older version', json.loads(text)['hello'][
            'description'])
        self.assertEqual(['say'], list(spec.tasks))

    def test_workflow_interface_from_our_parser_or_mistral_spec(self):
        wf = rows('workflow_definitions_v2', name='hello', namespace='')[0]
        values = defs.workflow(wf, self.fail)
        self.assertEqual('name, greeting="Hello"', values['input'])
        self.assertEqual({'input': ['name', {'greeting': 'Hello'}],
                          'output': ['text']}, values['interface'])
        warnings = []
        broken = dict(wf, definition='version: "2.0"\nhello: [not, a, wf]')
        values = defs.workflow(broken, warnings.append)
        self.assertEqual('name, greeting="Hello"', values['input'])
        self.assertIn('our parser rejects its definition', warnings[0])

    def test_builtin_and_system_actions_are_not_copied(self):
        wait_ssh = rows('action_definitions_v2', name='std.wait_ssh')[0]
        with self.assertRaises(defs.Skip):
            defs.action(wait_ssh, self.fail)
        with self.assertRaises(defs.Skip):
            defs.action(dict(wait_ssh, name='x', is_system=True), self.fail)


class TestUnfinished(unittest.TestCase):

    def unit(self, name, state=None):
        wf_ex = [r for r in rows('workflow_executions_v2',
                                 workflow_name=name)
                 if state is None or r['state'] == state][0]
        tasks = rows('task_executions_v2', workflow_execution_id=wf_ex['id'])
        ids = {t['id'] for t in tasks}
        actions = [a for a in base.source_rows('action_executions_v2')
                   if a['task_execution_id'] in ids]
        defs_ = {r['id']: (r['definition'], r['spec'])
                 for r in base.source_rows('workflow_definitions_v2')}
        return history.unit(wf_ex, tasks, actions, history.SpecTexts(defs_))

    def test_finished_executions_are_left_as_they_are(self):
        wf_ex, tasks, actions = self.unit('items')
        before = json.dumps([wf_ex, tasks, actions], default=str)
        self.assertEqual([], history.settle(wf_ex, tasks, actions, 'pause',
                                            NOW))
        self.assertEqual(before, json.dumps([wf_ex, tasks, actions],
                                            default=str))
        self.assertEqual([1, 2], [t['seq'] for t in tasks])
        self.assertEqual(2, wf_ex['task_count'])

    def test_running_with_items_is_paused_with_its_progress(self):
        wf_ex, tasks, actions = self.unit('slow_items')
        jobs = history.settle(wf_ex, tasks, actions, 'pause', NOW)
        self.assertEqual(('PAUSED', history.PAUSED_INFO % 'RUNNING'),
                         (wf_ex['state'], wf_ex['state_info']))
        each = tasks[0]
        self.assertEqual({'items': {'pending': [4, 5], 'running': 1,
                                    'capacity': 1}}, each['engine_data'])
        lost = [a for a in actions if a['state'] == 'RUNNING']
        self.assertEqual([history.IMPORTED_EXECUTOR], [
            a['executor_host'] for a in lost])
        self.assertEqual([history.lost_action_job(lost[0]['id'])], jobs)

    def test_running_execution_failed_on_request(self):
        wf_ex, tasks, actions = self.unit('long_sync')
        self.assertEqual([], history.settle(wf_ex, tasks, actions, 'fail',
                                            NOW))
        info = history.FAILED_INFO % 'RUNNING'
        self.assertEqual(('ERROR', info, {'result': info}),
                         (wf_ex['state'], wf_ex['state_info'],
                          wf_ex['output']))
        self.assertEqual([('ERROR', info, NOW)], [
            (t['state'], t['state_info'], t['finished_at']) for t in tasks])
        self.assertEqual(['ERROR'], [a['state'] for a in actions])

    def test_paused_delayed_task_gets_its_job(self):
        wf_ex, tasks, actions = self.unit('delayed')
        later = [t for t in tasks if t['name'] == 'later'][0]
        jobs = history.settle(wf_ex, tasks, actions, 'refuse', NOW)
        self.assertEqual('PAUSED', wf_ex['state'])
        # wait-before: 600 began at the task's last update: ends then.
        began = later['updated_at']
        self.assertEqual([('task_continue', {'task_ex_id': later['id']},
                           0.0)], jobs)  # long over
        _, tasks, actions = self.unit('delayed')
        jobs = history.settle(wf_ex, tasks, actions, 'refuse',
                              began + datetime.timedelta(seconds=100))
        self.assertEqual(500.0, jobs[0][2])

    def test_async_action_keeps_waiting(self):
        wf_ex, tasks, actions = self.unit('async_wait', 'RUNNING')
        self.assertEqual([], history.settle(wf_ex, tasks, actions, 'pause',
                                            NOW))
        self.assertEqual(('RUNNING', history.IMPORTED_EXECUTOR, 0), (
            actions[0]['state'], actions[0]['executor_host'],
            actions[0]['runtime_context']['attempt']))

    def test_published_global_of_a_task(self):
        _, tasks, _ = self.unit('globals')
        self.assertEqual({'g': {'shared': 42}, 'h': None},
                         {t['name']: t['published_global'] for t in tasks})

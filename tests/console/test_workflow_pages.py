"""Workflows in a real browser: the list and a workflow's graph drawn from
its definition (edge kinds, guards, joins, sub-workflows, task-defaults,
reverse `requires`)."""

import textwrap

from tests.console import base
from tests.console.test_execution_page import DEPLOY

EDGES_JS = """
return [...document.querySelectorAll('.edge')].map((e) =>
    `${e.dataset.from}>${e.dataset.to}:${e.dataset.kind}` +
    (e.classList.contains('guarded') ? ':if' : '') +
    (e.classList.contains('from-defaults') ? ':defaults' : '')).sort();
"""

MORE = textwrap.dedent('''\
    ---
    version: '2.0'
    build_reverse:
      type: reverse
      tasks:
        fetch:
          action: std.noop
        compile:
          action: std.noop
          requires: fetch
        test:
          action: std.noop
          requires: [compile]
        package:
          action: std.noop
          requires: [compile, test]
    with_defaults:
      task-defaults:
        on-error:
          - handle
      tasks:
        first:
          action: std.noop
          on-success:
            - second
            - succeed
        second:
          action: std.noop
          on-complete:
            - pause
        handle:
          action: std.noop
          on-success:
            - noop
    ''')


class TestWorkflowPages(base.ConsoleTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(DEPLOY)
        cls.server.create_workflows(MORE)
        cls.ids = {w['name']: w['id'] for w in cls.server.http.get(
            cls.v2 + '/workflows').json()['workflows']}

    def open_workflow(self, name):
        self.open('workflows/%s' % self.ids[name])
        self.wait_until(lambda: self.find_all('.node.task'), 'the graph of %s' % name)

    def test_workflows_list_and_navigation(self):
        self.open('workflows')
        self.wait_until(lambda: self.find_all('table.workflows tbody tr'), 'the workflows list')
        rows = {r.get_attribute('data-id'): r.text for r in self.find_all('table.workflows tbody tr')}
        self.assertEqual(set(self.ids.values()), set(rows))
        self.assertIn('private', rows[self.ids['deploy_app']])
        self.assertIn('hosts', rows[self.ids['deploy_app']])  # its input
        self.find('table.workflows a[href$="%s"]' % self.ids['build_reverse']).click()
        self.wait_until(lambda: self.driver.current_url.endswith('/ui/workflows/' + self.ids['build_reverse']),
                        'the workflow page')
        self.wait_until(lambda: self.find_all('.node.task'), 'its graph')
        self.assertShows('.detail-head', 'build_reverse')
        self.assertShows('.side', 'type: reverse')  # the definition

    def test_direct_workflow_graph(self):
        self.open_workflow('deploy_app')
        nodes = set(self.node_states())
        self.assertEqual({'fetch_artifacts', 'build', 'lint', 'package', 'deploy_hosts', 'smoke_test',
                          'rollback', 'report', 'notify_failure'}, nodes)
        self.assertEqual(sorted([
            'fetch_artifacts>build:on-success', 'fetch_artifacts>lint:on-success',
            'fetch_artifacts>notify_failure:on-error',
            'build>package:on-success', 'lint>package:on-success',
            'package>deploy_hosts:on-success',
            'deploy_hosts>smoke_test:on-success:if', 'deploy_hosts>rollback:on-error',
            'smoke_test>rollback:on-error', 'smoke_test>report:on-complete',
            'rollback>fail:on-complete']), self.js(EDGES_JS))
        # Kinds are told apart by colour, guards by a dashed line and a label.
        colours = self.js("""const c = {};
            for (const e of document.querySelectorAll('.edge .edge-line'))
              c[e.parentNode.dataset.kind] = getComputedStyle(e).stroke;
            return c;""")
        self.assertEqual(3, len(set(colours.values())), colours)
        self.assertNotEqual('none', self.js(
            "return getComputedStyle(document.querySelector('.edge.guarded .edge-line')).strokeDasharray"))
        self.assertIn('$.hosts.len() > 0', self.js(
            "return document.querySelector('.edge.guarded .edge-label').textContent"))
        # Join, with-items and sub-workflow marks.
        self.assertEqual('join all', self.js(
            "return document.querySelector('.node[data-task=package] .badge-svg.join').textContent"))
        self.assertTrue(self.find_all('.node.kind-workflow[data-task=deploy_hosts] .inner'))
        self.assertTrue(self.find_all('.node[data-task=deploy_hosts] .badge-svg.items'))
        self.assertEqual(['deploy_hosts'], [n.get_attribute('data-task') for n in
                                            self.find_all('.node.kind-workflow')])
        self.assertEqual(['fail'], [n.get_attribute('data-command') for n in self.find_all('.node.command')])
        # A click shows the task's own definition.
        self.click_node('deploy_hosts')
        self.assertShows('.side', 'sub-workflow', 'deploy_one', 'with-items: host in')
        self.assertNoConsoleErrors()

    def test_reverse_workflow_requires(self):
        self.open_workflow('build_reverse')
        self.assertEqual(sorted([
            'fetch>compile:requires', 'compile>test:requires', 'compile>package:requires',
            'test>package:requires']), self.js(EDGES_JS))

    def test_task_defaults_and_engine_commands(self):
        self.open_workflow('with_defaults')
        self.assertEqual(sorted([
            'first>second:on-success', 'first>succeed:on-success',
            'first>handle:on-error:defaults', 'second>handle:on-error:defaults',
            'second>pause:on-complete', 'handle>noop:on-success']), self.js(EDGES_JS))
        self.assertEqual(['noop', 'pause', 'succeed'], sorted(
            n.get_attribute('data-command') for n in self.find_all('.node.command')))

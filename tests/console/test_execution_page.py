"""The execution page in a real browser: graph, states, live updates,
task details, rerun, pause/resume/cancel and the sub-workflow hop."""

import textwrap

from tests.console import base

DEPLOY = textwrap.dedent('''\
    ---
    version: '2.0'
    deploy_app:
      input:
        - hosts: [web1, web2, web3]
      tasks:
        fetch_artifacts:
          action: std.echo output="artifacts-1.4.2"
          publish:
            artifact: <% task().result %>
          on-success:
            - build
            - lint
          on-error:
            - notify_failure
        build:
          action: std.echo output="built"
          on-success: package
        lint:
          action: std.noop
          on-success: package
        package:
          join: all
          action: std.echo output="pkg"
          on-success:
            - deploy_hosts
        deploy_hosts:
          with-items: host in <% $.hosts %>
          workflow: deploy_one host=<% $.host %>
          on-success:
            - smoke_test: <% $.hosts.len() > 0 %>
          on-error:
            - rollback
        smoke_test:
          action: std.fail
          on-error:
            - rollback
          on-complete:
            - report
        rollback:
          action: std.noop
          on-complete:
            - fail msg="smoke test failed, release rolled back"
        report:
          action: std.echo output="report sent"
        notify_failure:
          action: std.noop
    deploy_one:
      input:
        - host
      tasks:
        copy:
          action: std.echo output=<% $.host %>
          on-success: restart
        restart:
          action: std.noop
    ''')

ASYNC = textwrap.dedent('''\
    ---
    version: '2.0'
    live_wf:
      tasks:
        wait_a:
          action: std.async_noop
          on-success: after_a
        wait_b:
          action: std.async_noop
        after_a:
          action: std.noop
    rerun_wf:
      tasks:
        flaky:
          action: std.async_noop
          on-success: done
        done:
          action: std.noop
    control_wf:
      tasks:
        hold:
          action: std.async_noop
    items_wf:
      tasks:
        greet:
          with-items: name in <% ['ann', 'bob', 'cy'] %>
          action: std.echo output="hello <% $.name %>"
    gone_wf:
      tasks:
        first:
          action: std.noop
          on-success: second
        second:
          action: std.noop
          on-error: never
        never:
          action: std.noop
    ''')


class TestExecutionPage(base.ConsoleTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(DEPLOY)
        cls.server.create_workflows(ASYNC)

    def test_finished_execution_shows_every_task_with_its_state(self):
        ex = self.server.start('deploy_app')
        ex = self.server.wait(ex['id'])
        self.assertEqual('ERROR', ex['state'])
        api_states = {t['name']: t['state'] for t in self.server.tasks(ex['id'])}

        self.open('executions/%s' % ex['id'])
        expected = dict(api_states, notify_failure='')  # never ran
        states = self.wait_states(expected)
        self.assertEqual(set(expected), set(states))
        self.assertEqual('SUCCESS', states['build'])
        self.assertEqual('ERROR', states['smoke_test'])
        self.wait_header_state('ERROR')
        # What a person sees: the node's colour and the state written in it.
        self.assertEqual(base.COLOURS['SUCCESS'], self.node_colour('build'))
        self.assertEqual(base.COLOURS['ERROR'], self.node_colour('smoke_test'))
        self.assertEqual('ERROR', self.js(
            "return document.querySelector('.node[data-task=smoke_test] .state-label').textContent"))
        self.assertTrue(self.js(
            "return document.querySelector('.node[data-task=notify_failure]').classList.contains('not-run')"))
        # The branch that ran: its edges drawn as taken, the others not.
        taken = self.js("""return [...document.querySelectorAll('.edge.taken')]
            .map((e) => `${e.dataset.from}>${e.dataset.to}:${e.dataset.kind}`).sort()""")
        self.assertIn('fetch_artifacts>build:on-success', taken)
        self.assertIn('smoke_test>rollback:on-error', taken)
        self.assertIn('smoke_test>report:on-complete', taken)
        self.assertIn('rollback>fail:on-complete', taken)
        self.assertNotIn('fetch_artifacts>notify_failure:on-error', taken)
        self.assertNotIn('deploy_hosts>rollback:on-error', taken)
        # The execution's own facts in the side panel.
        self.assertShows('.side', 'smoke test failed, release rolled back',
                         '"web2"')  # state info and input

        self.click_node('smoke_test')
        self.assertShows('.side .task-panel', 'Rerun task', 'std.fail',
                         'Fail action expected exception', 'Action executions (1)')
        self.assertIn('?task=smoke_test', self.driver.current_url)
        self.screenshot()
        self.assertNoConsoleErrors()

    def test_task_panel_shows_published_result_and_items(self):
        ex = self.server.wait(self.server.start('deploy_app')['id'])
        self.open('executions/%s?task=fetch_artifacts' % ex['id'])
        self.wait_until(lambda: self.find_all(
            '.side .task-panel[data-task=fetch_artifacts]:not(.loading)'), 'the task panel')
        self.assertShows('.side .task-panel', 'Published', '"artifact": "artifacts-1.4.2"',
                         'Result', 'Input', '"output": "artifacts-1.4.2"')

        # A task that did not run: its definition.
        self.click_node('notify_failure')
        self.assertShows('.side .task-panel', 'has not run', 'action: std.noop')

        # A with-items sub-workflow task: one child execution per item.
        self.click_node('deploy_hosts')
        self.assertShows('.side .task-panel', 'Sub-workflow executions (3)', '3 item(s)')
        self.assertEqual(3, len(self.find_all('.side .sub-workflow-link')))

    def test_with_items_action_shows_every_item(self):
        ex = self.server.wait(self.server.start('items_wf')['id'])
        self.open('executions/%s' % ex['id'])
        self.wait_states({'greet': 'SUCCESS'})
        self.click_node('greet')
        self.assertShows('.side .task-panel', 'Items (3)', '3 item(s)',
                         '"hello ann"', '"hello bob"', '"hello cy"')  # the result
        items = self.find_all('.side details.item')
        self.assertEqual(3, len(items))
        for item in items:
            item.find_element(base.By.TAG_NAME, 'summary').click()
        shown = '\n'.join(item.text for item in items)
        for name in ('ann', 'bob', 'cy'):
            self.assertIn('"output": "hello %s"' % name, shown)  # the item's input
            self.assertIn('"result": "hello %s"' % name, shown)  # its output

    def test_live_update_from_running_to_success_and_error(self):
        ex = self.server.start('live_wf')
        action_a = self.running_action(ex['id'], 'wait_a')
        action_b = self.running_action(ex['id'], 'wait_b')
        self.open('executions/%s' % ex['id'])
        self.wait_states({'wait_a': 'RUNNING', 'wait_b': 'RUNNING', 'after_a': ''})
        self.wait_header_state('RUNNING')
        self.assertEqual(base.COLOURS['RUNNING'], self.node_colour('wait_a'))
        self.js('window.__sameDocument = true;')

        self.complete_action(action_a['id'], 'SUCCESS', {'ok': 1})
        self.wait_states({'wait_a': 'SUCCESS', 'after_a': 'SUCCESS', 'wait_b': 'RUNNING'})
        self.assertEqual(base.COLOURS['SUCCESS'], self.node_colour('wait_a'))
        self.assertEqual(base.COLOURS['RUNNING'], self.node_colour('wait_b'))

        self.complete_action(action_b['id'], 'ERROR',
                             {'error': 'disk full on web2'})
        self.wait_states({'wait_b': 'ERROR'})
        self.wait_header_state('ERROR')
        self.assertEqual(base.COLOURS['ERROR'], self.node_colour('wait_b'))
        self.assertTrue(self.js('return window.__sameDocument === true'),
                        'the page was reloaded instead of updated')
        self.assertNoConsoleErrors()

    def test_rerun_a_failed_task_from_the_page(self):
        ex = self.server.start('rerun_wf')
        first = self.running_action(ex['id'], 'flaky')
        self.complete_action(first['id'], 'ERROR', {'error': 'connection reset'})
        self.server.wait(ex['id'])

        self.open('executions/%s' % ex['id'])
        self.wait_states({'flaky': 'ERROR', 'done': ''})
        self.click_node('flaky')
        self.assertShows('.side .task-panel', 'connection reset')
        self.find('.side button[data-action=rerun]').click()

        # The API reran the task (a second action), the page follows it.
        second = self.wait_until(
            lambda: [a for a in self.action_executions(first['task_execution_id'])
                     if a['id'] != first['id'] and a['state'] == 'RUNNING'],
            'a second action of flaky')[0]
        self.wait_states({'flaky': 'RUNNING'})
        self.wait_header_state('RUNNING')
        self.complete_action(second['id'], 'SUCCESS', {'answer': 'fine now'})
        self.wait_states({'flaky': 'SUCCESS', 'done': 'SUCCESS'})
        self.wait_header_state('SUCCESS')
        self.assertEqual('SUCCESS', self.server.get_ex(ex['id'])['state'])
        self.wait_until(lambda: self.assertShows('.side .task-panel', 'Action executions (2)',
                                                 'not accepted', '"fine now"'),
                        'both runs of the action in the panel')

    def test_pause_resume_and_cancel_from_the_page(self):
        ex = self.server.start('control_wf')
        self.running_action(ex['id'], 'hold')
        self.open('executions/%s' % ex['id'])
        self.wait_header_state('RUNNING')

        self.find('button[data-action=pause]').click()
        self.wait_header_state('PAUSED')
        self.assertEqual('PAUSED', self.server.get_ex(ex['id'])['state'])

        self.find('button[data-action=resume]').click()
        self.wait_header_state('RUNNING')
        self.assertEqual('RUNNING', self.server.get_ex(ex['id'])['state'])

        self.find('button[data-action=cancel]').click()
        self.driver.switch_to.alert.accept()
        self.wait_header_state('CANCELLED')
        self.assertEqual('CANCELLED', self.server.get_ex(ex['id'])['state'])
        self.assertEqual([], self.find_all('button[data-action=pause]'))

    def test_follow_a_sub_workflow_into_its_child_and_back(self):
        parent = self.server.wait(self.server.start('deploy_app')['id'])
        children = self.server.http.get(self.v2 + '/executions', params={
            'root_execution_id': parent['id']}).json()['executions']
        child_ids = {c['id'] for c in children if c['id'] != parent['id']}
        self.assertEqual(3, len(child_ids))

        self.open('executions/%s' % parent['id'])
        self.wait_states({'deploy_hosts': 'SUCCESS'})
        self.click_node('deploy_hosts')
        link = self.find('.side .sub-workflow-link')
        child_id = link.get_attribute('data-id')
        self.assertIn(child_id, child_ids)
        link.click()

        self.wait_until(lambda: self.driver.current_url.endswith('/ui/executions/' + child_id),
                        'the child execution page')
        self.wait_states({'copy': 'SUCCESS', 'restart': 'SUCCESS'})
        self.assertEqual({'copy', 'restart'}, set(self.node_states()))
        self.assertShows('.detail-head', 'Sub-workflow execution', 'deploy_app (task deploy_hosts)')
        self.assertShows('.side', '"host": "web')  # its input: one host

        self.find('.crumbs .parent-link').click()
        self.wait_until(lambda: '/ui/executions/%s' % parent['id'] in self.driver.current_url,
                        'back on the parent execution')
        self.wait_until(lambda: self.find_all('.side .task-panel[data-task=deploy_hosts]'),
                        'the parent page with the sub-workflow task selected')
        self.wait_states({'smoke_test': 'ERROR'})
        self.assertNoConsoleErrors()

    def test_execution_of_a_deleted_workflow_shows_what_ran(self):
        ex = self.server.wait(self.server.start('gone_wf')['id'])
        r = self.server.http.delete(self.v2 + '/workflows/gone_wf')
        self.assertEqual(204, r.status_code, r.text)
        self.open('executions/%s' % ex['id'])
        self.assertEqual({'first': 'SUCCESS', 'second': 'SUCCESS'},
                         self.wait_states({'first': 'SUCCESS', 'second': 'SUCCESS'}))
        self.assertEqual(['first>second:on-success'], self.js(
            "return [...document.querySelectorAll('.edge.taken')]"
            ".map((e) => `${e.dataset.from}>${e.dataset.to}:${e.dataset.kind}`)"))
        self.wait_header_state('SUCCESS')
        self.assertNoConsoleErrors()

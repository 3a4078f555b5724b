"""The executions list in a real browser: filters and marker paging."""

import textwrap

from tests.console import base

WFS = textwrap.dedent('''\
    ---
    version: '2.0'
    list_ok:
      tasks:
        t:
          action: std.noop
    list_bad:
      tasks:
        t:
          action: std.fail
    ''')


class TestExecutionsList(base.ConsoleTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(WFS)
        cls.ok = [cls.server.wait(cls.server.start('list_ok')['id']) for _ in range(3)]
        cls.bad = cls.server.wait(cls.server.start('list_bad')['id'])

    def rows(self):
        return [(r.get_attribute('data-id'), r.find_element(
            base.By.CSS_SELECTOR, '.badge').get_attribute('data-state'))
            for r in self.find_all('table.executions tbody tr')]

    def test_filter_by_workflow_and_page_with_the_marker(self):
        self.open('executions?workflow_name=list_ok&limit=2')
        self.wait_until(lambda: len(self.rows()) == 2, 'the first page')
        first = self.rows()
        newest_first = [e['id'] for e in reversed(self.ok)]
        self.assertEqual(newest_first[:2], [i for i, _ in first])
        self.find('.pager a.next').click()
        self.wait_until(lambda: 'marker=' in self.driver.current_url and len(self.rows()) == 1,
                        'the second page')
        self.assertEqual([(newest_first[2], 'SUCCESS')], self.rows())
        self.assertEqual([], self.find_all('.pager a.next'))

    def test_filter_by_state_from_the_form(self):
        self.open('executions')
        self.wait_until(lambda: len(self.rows()) >= 4, 'all executions')
        base.Select(self.find('select[name=state]')).select_by_value('ERROR')
        self.find('.filters button[type=submit]').click()
        self.wait_until(lambda: 'state=ERROR' in self.driver.current_url, 'the filtered page')
        self.wait_until(lambda: self.rows() == [(self.bad['id'], 'ERROR')], 'only the failed execution')
        self.assertShows('table.executions', 'list_bad')
        # The row leads to the execution's page.
        self.find('table.executions a[href$="%s"]' % self.bad['id']).click()
        self.wait_header_state('ERROR')

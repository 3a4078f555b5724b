"""Browser test fixtures: an embedded server and a headless Chromium.

Each test class gets one embedded server (API + engine + executor +
scheduler, SQLite) and one browser; helpers read what a person sees on the
page (task nodes, their states and colours, the header's state badge).
"""

import os
import time
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains  # noqa: F401
from selenium.webdriver.common.keys import Keys  # noqa: F401
from selenium.webdriver.support.select import Select  # noqa: F401

from tests import base
from tests.console import browser

# The console's state colours (console.css), as the browser computes them.
COLOURS = {
    'SUCCESS': 'rgb(30, 142, 62)',
    'ERROR': 'rgb(217, 48, 37)',
    'RUNNING': 'rgb(26, 115, 232)',
    'PAUSED': 'rgb(227, 116, 0)',
    'CANCELLED': 'rgb(77, 86, 96)',
}

NODE_STATES_JS = """
return Object.fromEntries([...document.querySelectorAll('.node.task')]
    .map((n) => [n.dataset.task, n.dataset.state]));
"""

NODE_COLOUR_JS = """
const box = document.querySelector(`.node.task[data-task="${arguments[0]}"] .box`);
return box ? getComputedStyle(box).stroke : null;
"""


class PageHelpers(object):
    """What a person sees on the page; needs ``self.driver``."""

    timeout = 30

    def open(self, path):
        self.driver.get(self.root + '/ui/' + path.lstrip('/'))

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_until(self, check, what, timeout=None):
        """Poll ``check()`` until it returns something truthy."""
        deadline = time.monotonic() + (timeout or self.timeout)
        last = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except Exception as e:  # the page is between two renders
                last = e
            else:
                if last:
                    return last
            time.sleep(0.1)
        self.fail('%s: not seen within %ss (last: %r)\npage: %s' % (
            what, timeout or self.timeout, last,
            self.js('return document.body.innerText')[:1500]))

    def node_states(self):
        return self.js(NODE_STATES_JS)

    def node_colour(self, name):
        return self.js(NODE_COLOUR_JS, name)

    def wait_states(self, expected):
        """Wait until the graph shows every task of ``expected`` in its state."""
        def check():
            states = self.node_states()
            return all(states.get(k) == v for k, v in expected.items())
        self.wait_until(check, 'task states %s' % expected)
        return self.node_states()

    def header_state(self):
        return self.js("const b = document.querySelector('.detail-head .state-slot .badge');"
                       "return b ? b.dataset.state : null;")

    def wait_header_state(self, state):
        self.wait_until(lambda: self.header_state() == state,
                        'the execution shown as %s' % state)

    def click_node(self, name):
        self.find('.node.task[data-task="%s"]' % name).click()
        self.wait_until(lambda: self.find_all(
            '.side .task-panel[data-task="%s"]:not(.loading)' % name),
            'the panel of task %s' % name)

    def assertShows(self, css, *snippets):
        """The element shows each snippet (case-insensitive: headings are
        upper-cased by CSS)."""
        text = self.find(css).text.lower()
        for snippet in snippets:
            self.assertIn(snippet.lower(), text)
        return text

    def assertNoConsoleErrors(self):
        errors = self.browser.console_errors()
        self.assertEqual([], errors)

    def screenshot(self):
        """Save the page when CONSOLE_SCREENSHOT names a file (README's
        picture); CI runs leave the tree alone."""
        target = os.environ.get('CONSOLE_SCREENSHOT')
        if target:
            self.assertTrue(self.driver.save_screenshot(target), target)


class ConsoleTestCase(PageHelpers, unittest.TestCase):
    """One embedded server and one headless Chromium per class."""

    server_overrides = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        browser.ensure_chromium()
        cls.server = base.EmbeddedServer(overrides=cls.server_overrides)
        try:
            cls.browser = browser.Browser()
        except Exception:
            cls.server.stop()
            raise
        cls.driver = cls.browser.driver
        cls.v2 = cls.server.url
        cls.root = cls.v2[:-len('/v2')]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.browser.quit()
        finally:
            cls.server.stop()
        super().tearDownClass()

    # --- the API, as a script would use it ----------------------------------

    def action_executions(self, task_id):
        r = self.server.http.get(self.v2 + '/action_executions', params={
            'task_execution_id': task_id})
        return r.json()['action_executions']

    def complete_action(self, action_id, state, output):
        """As ``mistral action-execution-update``: ``output`` is a JSON
        object (the API refuses anything else, as the reference does)."""
        r = self.server.put('/action_executions/%s' % action_id,
                            {'state': state, 'output': output})
        self.assertEqual(200, r.status_code, r.text)

    def running_action(self, ex_id, task_name):
        task = self.server.wait_task(ex_id, task_name, 'RUNNING')
        self.wait_until(lambda: [a for a in self.action_executions(task['id'])
                                 if a['state'] == 'RUNNING'],
                        'a running action of %s' % task_name)
        return [a for a in self.action_executions(task['id'])
                if a['state'] == 'RUNNING'][-1]

"""A 200-task workflow in a real browser: every task drawn and coloured,
readable at first sight, pan and zoom."""

from tests.console import base

BRANCHES = 20
DEPTH = 10


def big_workflow(name='big_wf'):
    """BRANCHES parallel chains of DEPTH tasks that join at ``finish``."""
    lines = ["---", "version: '2.0'", "%s:" % name, "  tasks:"]
    for b in range(BRANCHES):
        for d in range(DEPTH):
            lines += ["    step_%02d_%02d:" % (b, d), "      action: std.noop"]
            nxt = 'step_%02d_%02d' % (b, d + 1) if d + 1 < DEPTH else 'finish'
            lines += ["      on-success: %s" % nxt]
    lines += ["    finish:", "      join: all", "      action: std.noop"]
    return '\n'.join(lines) + '\n'


class TestLargeGraph(base.ConsoleTestCase):

    timeout = 90

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(big_workflow())
        cls.ex = cls.server.wait(cls.server.start('big_wf')['id'], timeout=180)

    def zoom(self):
        return float(self.find('.graph-svg').get_attribute('data-zoom'))

    def transform(self):
        return self.find('.graph-svg .viewport').get_attribute('transform')

    def test_every_task_coloured_readable_and_zoomable(self):
        self.assertEqual('SUCCESS', self.ex['state'])
        self.open('executions/%s' % self.ex['id'])
        expected = {'step_%02d_%02d' % (b, d): 'SUCCESS'
                    for b in range(BRANCHES) for d in range(DEPTH)}
        expected['finish'] = 'SUCCESS'
        states = self.wait_states(expected)
        self.assertEqual(BRANCHES * DEPTH + 1, len(states))
        self.assertEqual(BRANCHES * DEPTH, len(self.find_all('.edge.taken')))
        layout_ms = self.find('.graph-svg').get_attribute('data-layout-ms')
        print('\n200-task layout: %s ms' % layout_ms)
        # Readable at first sight: names are not shrunk below legibility.
        self.assertGreaterEqual(self.zoom(), 0.45)

        # Zoom with the wheel, around the pointer.
        before = self.zoom()
        self.js("""const svg = document.querySelector('.graph-svg');
            const r = svg.getBoundingClientRect();
            svg.dispatchEvent(new WheelEvent('wheel', {deltaY: -300, clientX: r.left + 200,
                                                       clientY: r.top + 200, bubbles: true,
                                                       cancelable: true}));""")
        self.assertGreater(self.zoom(), before)
        # Pan by dragging the background.
        moved_from = self.transform()
        base.ActionChains(self.driver).move_to_element_with_offset(
            self.find('.graph-svg'), 5, 5).click_and_hold().move_by_offset(
            120, 80).release().perform()
        self.assertNotEqual(moved_from, self.transform())
        # "Fit" shows everything, however small; "Find" goes to one task.
        self.find('.graph-toolbar .fit').click()
        self.assertLess(self.zoom(), 0.45)
        find = self.find('.graph-toolbar .find')
        find.send_keys('step_17_04')
        find.send_keys(base.Keys.ENTER)
        self.wait_until(lambda: self.find_all('.side .task-panel[data-task=step_17_04]:not(.loading)'),
                        'the found task selected')
        self.assertGreaterEqual(self.zoom(), 0.9)
        self.assertNoConsoleErrors()

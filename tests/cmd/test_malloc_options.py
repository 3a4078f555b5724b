"""mistral-clone-server's malloc settings (issue 14, memory): two arenas
and a fixed mmap threshold, unless the environment sets them."""

import os
import unittest
from unittest import mock

from mistral_clone.cmd import server


class FakeLibc(object):
    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return 1


class MallocOptionsTest(unittest.TestCase):

    def _run(self, env):
        libc = FakeLibc()
        with mock.patch.dict(os.environ, env, clear=False), \
                mock.patch('ctypes.CDLL', return_value=libc):
            for name in ('MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_'):
                if name not in env:
                    os.environ.pop(name, None)
            results = (server.limit_malloc_arenas(),
                       server.fix_malloc_mmap_threshold())
        return results, libc.calls

    def test_both_set(self):
        results, calls = self._run({})
        self.assertEqual((True, True), results)
        self.assertEqual([(-8, 2), (-3, 256 * 1024)], calls)

    def test_environment_wins(self):
        results, calls = self._run({'MALLOC_ARENA_MAX': '4',
                                    'MALLOC_MMAP_THRESHOLD_': '131072'})
        self.assertEqual((False, False), results)
        self.assertEqual([], calls)

    def test_main_applies_them_first(self):
        order = []
        with mock.patch.object(server, 'limit_malloc_arenas',
                               side_effect=lambda: order.append('arenas')), \
                mock.patch.object(server, 'fix_malloc_mmap_threshold',
                                  side_effect=lambda: order.append('mmap')), \
                mock.patch.object(server.config, 'parse_args',
                                  side_effect=SystemExit(0)):
            self.assertRaises(SystemExit, server.main, ['--version'])
        self.assertEqual(['arenas', 'mmap'], order)

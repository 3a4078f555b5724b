"""api/big_bodies.py: a large JSON body's JSON fields parsed before WSME
reads the body; the answers (201s and errors) are those of the body read
by WSME alone."""

import json
import unittest.mock
import uuid

from mistral_clone.api import big_bodies
from tests import base

WF = """---
version: '2.0'
%s:
  input: [records]
  output:
    n: <%% $.records.len() %%>
  tasks:
    t1:
      action: std.noop
"""


def records(n=3000):
    # ~400 KB of JSON: over big_bodies.LARGE; non-ASCII text included.
    return [{'id': i, 'name': 'nåme-%05d' % i, 'tags': ['a', 'b'],
             'value': i / 10.0, 'text': 'x' * 60} for i in range(n)]


class BigBodyTest(base.ServerTestCase):

    server_overrides = {('engine', 'execution_field_size_limit_kb'): 4096}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wf = 'big_%s' % uuid.uuid4().hex[:8]
        cls.server.create_workflows(WF % cls.wf)

    def post(self, body):
        data = json.dumps(body).encode('utf-8')
        return self.server.http.post(
            self.server.url + '/executions', data=data,
            headers={'Content-Type': 'application/json'})

    def both(self, body):
        """The answer with the body set aside, and WSME's alone."""
        self.assertGreaterEqual(len(json.dumps(body)), big_bodies.LARGE)
        aside = self.post(body)
        with unittest.mock.patch.object(big_bodies, 'LARGE', 1 << 40):
            alone = self.post(body)
        return aside, alone

    def test_input_as_text_and_as_object(self):
        recs = records()
        for given in (json.dumps({'records': recs}), {'records': recs}):
            aside, alone = self.both({'workflow_name': self.wf,
                                      'input': given,
                                      'params': json.dumps({'env': {}})})
            for r in (aside, alone):
                self.assertEqual(201, r.status_code, r.text)
                ex = r.json()
                self.assertEqual({'records': recs}, json.loads(ex['input']))
                self.server.wait(ex['id'])
            a, b = aside.json(), alone.json()
            for key in ('id', 'created_at', 'updated_at', 'state'):
                a.pop(key), b.pop(key)
            self.assertEqual(b, a)

    def test_refused_bodies_answer_as_before(self):
        recs = records()
        text = json.dumps({'records': recs})
        bodies = [
            {'workflow_name': self.wf, 'input': text[:-1]},   # not JSON
            {'workflow_name': self.wf, 'input': json.dumps(recs)},  # a list
            {'workflow_name': self.wf, 'input': text, 'params': '[1]'},
            {'workflow_name': self.wf, 'input': text, 'unknown': 1},
            {'workflow_name': self.wf, 'input': text, 'description': 5},
            {'workflow_name': self.wf, 'input': text, 'tags': 'x'},
            [{'workflow_name': self.wf, 'input': text}],
        ]
        for body in bodies:
            aside, alone = self.both(body)
            self.assertGreaterEqual(aside.status_code, 400, aside.text)
            self.assertEqual(alone.status_code, aside.status_code)
            self.assertEqual(alone.json(), aside.json())

"""Auth building blocks without Keystone: context from headers, policy
defaults, log masking, the 401 gate."""

import logging
import unittest

import sqlalchemy as sa

from mistral_clone import config
from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone import masking
from mistral_clone import policy
from mistral_clone.api import app
from mistral_clone.db import models
from mistral_clone.services import access


def _ctx(project='p1', roles=('member',), auth=True):
    environ = {'HTTP_X_PROJECT_ID': project, 'HTTP_X_USER_ID': 'u1',
               'HTTP_X_ROLES': ','.join(roles),
               'HTTP_X_AUTH_TOKEN': 'secret-token'}
    return context.from_environ(environ, 'http://h', auth)


class TestContext(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        config.parse_args([])

    def test_auth_off_is_the_default_project(self):
        ctx = _ctx(auth=False)
        self.assertEqual('<default-project>', ctx.project_id)
        self.assertFalse(ctx.is_admin)
        self.assertFalse(ctx.auth_enabled)

    def test_headers_fill_the_context(self):
        ctx = _ctx(roles=('reader', 'member'))
        self.assertEqual(('p1', 'u1', ['reader', 'member'], False),
                         (ctx.project_id, ctx.user_id, ctx.roles,
                          ctx.is_admin))
        self.assertTrue(_ctx(roles=('admin',)).is_admin)

    def test_repr_masks_the_token(self):
        self.assertNotIn('secret-token', repr(_ctx()))


class TestPolicy(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        config.parse_args([])

    def test_defaults(self):
        member, admin = _ctx(), _ctx(roles=('admin',))
        noauth = _ctx(auth=False)
        for rule in ('workflows:create', 'executions:delete',
                     'members:update', 'tasks:list'):
            self.assertTrue(policy.check(rule, member), rule)
            self.assertTrue(policy.check(rule, noauth), rule)
        for rule in ('workflows:list:all_projects', 'workflows:publicize',
                     'event_triggers:create:public', 'code_sources:list'):
            self.assertFalse(policy.check(rule, member), rule)
            self.assertFalse(policy.check(rule, noauth), rule)
            self.assertTrue(policy.check(rule, admin), rule)

    def test_denied_is_403_with_mistral_text(self):
        with self.assertRaises(exc.NotAllowedException) as cm:
            policy.enforce('executions:list:all_projects', _ctx())
        self.assertEqual(403, cm.exception.http_code)
        self.assertEqual('Operation forbidden (insufficient permissions)',
                         cm.exception.message)

    def test_unknown_rule_is_a_bug(self):
        with self.assertRaises(ValueError):
            policy.enforce('workflows:frobnicate', _ctx())


class TestAccess(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        config.parse_args([])

    def test_runtime_and_cron_rows_are_always_private(self):
        ctx = _ctx()
        for model in (models.WorkflowExecution, models.TaskExecution,
                      models.ActionExecution, models.CronTrigger):
            clause = str(access.visible(model, ctx))
            self.assertNotIn('scope', clause, model)

    def test_shared_workflows_only_with_auth(self):
        with_auth = str(access.visible(models.WorkflowDefinition, _ctx()))
        self.assertIn('resource_members', with_auth)
        no_auth = str(access.visible(models.WorkflowDefinition,
                                     _ctx(auth=False)))
        self.assertNotIn('resource_members', no_auth)

    def test_admins_are_not_scoped(self):
        admin = _ctx(roles=('admin',))
        for model in (models.WorkflowDefinition, models.WorkflowExecution,
                      models.Environment):
            self.assertIsInstance(access.visible(model, admin),
                                  type(sa.true()))
        self.assertIn('project_id', str(access.visible(
            models.Environment, admin, admin_sees_all=False)))
        self.assertIn('project_id', str(access.visible(
            models.WorkflowDefinition, _ctx())))

    def test_check_access(self):
        row = models.WorkflowDefinition(id='w1', project_id='other')
        with self.assertRaises(exc.NotAllowedException) as cm:
            access.check_access(row, _ctx())
        self.assertEqual('Can not access WorkflowDefinition resource of '
                         'other projects, ID: w1', cm.exception.message)
        access.check_access(row, _ctx(roles=('admin',)))
        access.check_access(row, _ctx(project='other'))
        self.assertIsInstance(access.runtime_lookup(
            models.WorkflowExecution, _ctx(roles=('admin',))),
            type(sa.true()))


class TestMasking(unittest.TestCase):

    def test_filter_masks_passwords_and_tokens(self):
        records = []

        class Keep(logging.Handler):
            def emit(self, record):
                records.append(self.format(record))

        logger = logging.getLogger('mc.test.masking')
        logger.propagate = False
        handler = Keep()
        logger.addHandler(handler)
        masking.install(logger)
        try:
            logger.warning('Row %s', {'password': 'hunter2'})
            logger.warning('body={"env": {"auth_token": "tok-123"}}')
        finally:
            logger.removeHandler(handler)
        text = '\n'.join(records)
        self.assertNotIn('hunter2', text)
        self.assertNotIn('tok-123', text)


class TestAuthGate(unittest.TestCase):

    def _call(self, path, status):
        calls = []

        def inner(environ, start_response):
            calls.append(path)
            start_response('200 OK', [])
            return [b'ok']
        gate = app.AuthGate(inner, 'http://ks/v3')
        seen = {}

        def start_response(s, headers, exc_info=None):
            seen['status'] = s
            seen['headers'] = dict(headers)
        environ = {'PATH_INFO': path}
        if status:
            environ['HTTP_X_IDENTITY_STATUS'] = status
        body = b''.join(gate(environ, start_response))
        return seen, body, calls

    def test_public_paths_and_confirmed_identities_pass(self):
        for path in ('/', '/v2', '/v2/'):
            self.assertEqual(['/' if path == '/' else path],
                             self._call(path, 'Invalid')[2])
        self.assertEqual(['/v2/workflows'],
                         self._call('/v2/workflows', 'Confirmed')[2])

    def test_unconfirmed_is_401(self):
        seen, body, calls = self._call('/v2/workflows', 'Invalid')
        self.assertEqual([], calls)
        self.assertTrue(seen['status'].startswith('401'))
        self.assertEqual('Keystone uri="http://ks/v3"',
                         seen['headers']['WWW-Authenticate'])
        self.assertIn(b'faultstring', body)


if __name__ == '__main__':
    unittest.main()

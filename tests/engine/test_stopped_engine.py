"""A stopped engine starts no transaction.

An embedded server's executor does not wait for its running actions when
the server stops; one finishing later reported to the stopped engine,
which ran its transaction on whatever database the process was set up for
by then (the next test's, CI: a Mistral import whose file was then copied
without its write-ahead log, as that transaction's connection stayed
open). SQLite files in a temporary directory, no broker.
"""

import os

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.engine import service as engine_service
from mistral_clone.rpc import contracts
from tests.integration.test_production_recovery import _action
from tests.rpc.test_batches import SqliteFileCase
from tests.rpc.test_batches import _row


class StoppedEngineTest(SqliteFileCase):

    def test_a_result_after_the_stop_touches_no_database(self):
        engine = engine_service.Engine(workers=1)
        engine.stop()
        # The process goes on with another database (the next server).
        url = db_api.get_engine().url.database
        db_api.setup('sqlite:///%s' % os.path.join(
            os.path.dirname(url), 'next.sqlite'))
        db_api.create_all_for_tests()
        action_ex_id = _action()
        checkouts = []
        sa.event.listen(db_api.get_engine(), 'checkout',
                        lambda *args: checkouts.append(args))
        with self.assertRaises(engine_service.Stopped):
            engine.on_action_complete(action_ex_id,
                                      contracts.ActionResult(data=1))
        self.assertEqual([], checkouts)
        self.assertEqual('RUNNING', _row(action_ex_id)[0])


"""The API tier's only doors into the engine side.

* :func:`engine` — the RPC engine client (``mistral_clone.rpc.clients``);
* :func:`task_result` — a task's result value for rendering
  (``mistral_clone.services.results``).
"""

from sqlalchemy import orm

from mistral_clone.rpc import clients
from mistral_clone.services import results


def engine():
    return clients.get_engine_client()


def task_result(row):
    return results.task_result(orm.object_session(row), row)

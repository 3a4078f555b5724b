"""Serve the API by hand: ``python tests/api/run_server.py PORT DBFILE``.

Sets up (and migrates) the SQLite database and serves the API on
127.0.0.1:PORT until interrupted. Used for conformance runs before the
``mistral-clone-server`` command exists.
"""

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

from mistral_clone import config  # noqa: E402
from mistral_clone.api import app as api_app  # noqa: E402
from mistral_clone.api import server  # noqa: E402
from mistral_clone.db import api as db_api  # noqa: E402


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8989
    dbfile = sys.argv[2] if len(sys.argv) > 2 else 'mistral_clone.sqlite'
    logging.basicConfig(level=logging.INFO)
    config.parse_args([])
    if os.environ.get('MC_FAKE_LANG'):
        from tests.api import fake_lang
        fake_lang.install()
    db_api.setup('sqlite:///%s' % os.path.abspath(dbfile),
                 create_tables=True)
    srv = server.make_server('127.0.0.1', port, api_app.setup_app())
    server.serve_forever(srv)


if __name__ == '__main__':
    main()

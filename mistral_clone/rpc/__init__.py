"""RPC between the services: contracts, clients, oslo.messaging servers.

oslo.messaging imports eventlet (through oslo.service and futurist) even
though our processes never monkey-patch nor run green threads; eventlet
then imports dnspython for its green resolver, some 15 MB of every
production process's memory. ``EVENTLET_NO_GREENDNS`` (eventlet's own
switch) leaves the resolver out; it is set here, before anything of ours
imports oslo.messaging (every import of it is below this package or in a
process that imported it first), unless the environment sets it already.
"""

import os

os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')

"""oslo.messaging servers exposing the engine and executor services."""

import logging

LOG = logging.getLogger(__name__)

ALLOWED_EXMODS = ['mistral_clone.exceptions']


def get_transport(conf, url=None):
    import oslo_messaging as messaging
    return messaging.get_rpc_transport(
        conf, url=url or conf.transport_url,
        allowed_remote_exmods=ALLOWED_EXMODS)


def _endpoint(service, methods):
    """An endpoint object whose methods forward to ``service``."""
    import oslo_messaging as messaging

    class Endpoint(object):
        target = messaging.Target(version='1.0')

    def make(name):
        def method(self, ctxt, **kwargs):
            return getattr(service, name)(**kwargs)
        method.__name__ = name
        return method

    for name in methods:
        setattr(Endpoint, name, make(name))
    return Endpoint()


def make_server(transport, topic, server_name, service, methods):
    import oslo_messaging as messaging
    target = messaging.Target(topic=topic, server=server_name,
                              version='1.0')
    return messaging.get_rpc_server(
        transport, target, [_endpoint(service, methods)],
        executor='threading')

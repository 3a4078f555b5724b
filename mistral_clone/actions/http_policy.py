"""Egress policy for std.http / std.mistral_http.

The service copies ``[action_std_http]`` options in with
``configure_http_policy``; the actions package itself never reads config.
Violations raise ActionException with the reference's texts.
"""

import ipaddress
import socket
import threading
from urllib import parse as urlparse

from mistral_clone import exceptions as exc

DEFAULT_DENIED_CIDRS = ('127.0.0.0/8', '::1/128', '169.254.0.0/16',
                        'fe80::/10', '0.0.0.0/8')
DEFAULT_TIMEOUT = 60
DEFAULT_MAX_RESPONSE_SIZE = 5 * 1024 * 1024

_UNSET = object()
_lock = threading.Lock()


class HttpPolicy(object):
    def __init__(self, denied_cidrs=DEFAULT_DENIED_CIDRS, allowed_hosts=(),
                 default_timeout=DEFAULT_TIMEOUT,
                 max_response_size_bytes=DEFAULT_MAX_RESPONSE_SIZE):
        self.denied_networks = tuple(
            ipaddress.ip_network(c.strip(), strict=False)
            for c in (denied_cidrs or ()) if c and c.strip()
        )
        self.allowed_hosts = tuple(
            h.strip().lower() for h in (allowed_hosts or ()) if h and h.strip()
        )
        self.default_timeout = default_timeout
        self.max_response_size_bytes = max_response_size_bytes

    def _blocked(self, ip_text):
        try:
            ip = ipaddress.ip_address(ip_text.split('%', 1)[0])
        except ValueError:
            return False
        candidates = [ip]
        mapped = getattr(ip, 'ipv4_mapped', None)
        if mapped is not None:
            candidates.append(mapped)
        return any(c in net for c in candidates for net in self.denied_networks
                   if c.version == net.version)

    def check_url(self, url):
        """Raise ActionException if ``url`` may not be called."""
        parsed = urlparse.urlsplit(url if isinstance(url, str) else str(url))
        scheme = (parsed.scheme or '').lower()
        if scheme not in ('http', 'https'):
            raise exc.ActionException(
                "URL scheme '%s' is not allowed (only http and https are)."
                % scheme)
        host = parsed.hostname
        if not host:
            raise exc.ActionException('URL does not contain a host.')
        if self.allowed_hosts and host.lower() not in self.allowed_hosts:
            raise exc.ActionException(
                "Host '%s' is not in [action_std_http] allowed_hosts." % host)
        if not self.denied_networks:
            return
        try:
            port = parsed.port or (443 if scheme == 'https' else 80)
        except ValueError:
            port = 80
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError, OSError):
            # Unresolvable: let the transport report it ("Failed to send...").
            return
        for info in infos:
            ip_text = info[4][0]
            if self._blocked(ip_text):
                raise exc.ActionException(
                    "URL host '%s' resolves to a blocked address (%s)."
                    % (host, ip_text))

    def effective_timeout(self, timeout):
        if timeout is not None:
            return timeout
        return self.default_timeout or None


_policy = HttpPolicy()


def get_http_policy():
    return _policy


def configure_http_policy(denied_cidrs=_UNSET, allowed_hosts=_UNSET,
                          default_timeout=_UNSET,
                          max_response_size_bytes=_UNSET):
    """Replace the process-wide policy; omitted arguments keep their value."""
    global _policy
    with _lock:
        cur = _policy
        _policy = HttpPolicy(
            denied_cidrs=(
                [str(n) for n in cur.denied_networks]
                if denied_cidrs is _UNSET else denied_cidrs),
            allowed_hosts=(cur.allowed_hosts if allowed_hosts is _UNSET
                           else allowed_hosts),
            default_timeout=(
                cur.default_timeout if default_timeout is _UNSET
                else default_timeout),
            max_response_size_bytes=(
                cur.max_response_size_bytes
                if max_response_size_bytes is _UNSET
                else max_response_size_bytes),
        )
    return _policy


def reset_http_policy():
    """Back to the built-in defaults (tests)."""
    global _policy
    with _lock:
        _policy = HttpPolicy()
    return _policy

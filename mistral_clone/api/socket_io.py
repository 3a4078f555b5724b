"""The request and response streams of a plain TCP API connection.

cheroot reads a connection through ``_pyio.BufferedReader`` (the pure
Python ``io``) and writes through a Python ``BufferedWriter``, both over
``socket.SocketIO``: ~10 Python calls per header line read, and, since
the socket has a timeout, every ``recv``/``send`` is preceded by a
``poll`` -- two system calls, each a release of the GIL that a busy
process's other threads compete for (issue 14: ``GET /v2/workflows``
from 8 keep-alive clients of the one-process embedded server; see
bench/RESULTS.md for the figures).

:class:`SocketReader` and :class:`SocketWriter` give cheroot the same
interface (``readline``, ``read``, ``read1``, ``has_data``,
``bytes_read``; ``write``, ``bytes_written``) with one buffer of
``bytes`` and one system call where the data is there: a read or write
is first tried directly on the descriptor (non-blocking: Python keeps a
socket with a timeout in non-blocking mode); only when it would block
does the socket's own ``recv``/``sendall`` wait, under the socket's
timeout, as before. While :attr:`SocketWriter.holding`, what is written
(a response's header block) is kept back and goes out with the next
write (its first body chunk) in one ``writev``, or on :meth:`flush`.

Only for plain TCP sockets: a TLS socket's bytes must go through its
``SSLSocket`` (cheroot's own streams serve TLS connections).
"""

import os

LF = b'\n'
# Bytes asked for per read: a request's head usually arrives whole.
READ_SIZE = 16384
# At most this many bytes asked for by one read of a large body.
MAX_READ = 262144


class SocketReader(object):
    """cheroot's ``rfile`` for a plain TCP socket (see the module)."""

    def __init__(self, sock):
        self._sock = sock
        self._fd = sock.fileno()
        self._buf = b''
        self.bytes_read = 0
        self.closed = False

    def _recv(self, size):
        try:
            return os.read(self._fd, size)
        except BlockingIOError:
            # Nothing there yet: wait for it under the socket's timeout
            # (socket.timeout, as cheroot expects, when none comes).
            return self._sock.recv(size)

    def head(self):
        """The buffered bytes through the first blank line (a request's
        head), after one read if none are buffered; None, if it is not
        all there. Nothing is consumed (see :meth:`consume`)."""
        buf = self._buf
        if not buf:
            buf = self._buf = self._recv(READ_SIZE)
        end = buf.find(b'\r\n\r\n')
        if end < 0:
            return None
        return buf[:end + 4]

    def consume(self, size):
        """Drop ``size`` buffered bytes (read by the caller)."""
        self._buf = self._buf[size:]
        self.bytes_read += size

    def has_data(self):
        """Whether bytes already read wait in the buffer."""
        return bool(self._buf)

    def readline(self, size=-1):
        if size is None:
            size = -1
        buf = self._buf
        start = 0
        while True:
            end = buf.find(LF, start) + 1
            if end:
                break
            if 0 <= size <= len(buf):
                end = size
                break
            start = len(buf)
            data = self._recv(READ_SIZE)
            if not data:
                end = len(buf)
                break
            buf += data
        if 0 <= size < end:
            end = size
        if end == len(buf):
            line, self._buf = buf, b''
        else:
            line, self._buf = buf[:end], buf[end:]
        self.bytes_read += len(line)
        return line

    def read(self, size=-1):
        """``size`` bytes (all until the end of the stream if negative),
        fewer only at the end of the stream."""
        if size is None or size < 0:
            size = None
        buf = self._buf
        if size is not None and len(buf) >= size:
            data, self._buf = buf[:size], buf[size:]
        else:
            chunks = [buf]
            got = len(buf)
            while size is None or got < size:
                want = READ_SIZE if size is None else size - got
                chunk = self._recv(min(max(want, READ_SIZE), MAX_READ))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
            data = b''.join(chunks)
            if size is not None and len(data) > size:
                data, self._buf = data[:size], data[size:]
            else:
                self._buf = b''
        self.bytes_read += len(data)
        return data

    def read1(self, size=-1):
        """Up to ``size`` bytes: those buffered, or one read's."""
        buf = self._buf
        if not buf:
            if size is None or size < 0:
                size = READ_SIZE
            buf = self._recv(min(size, MAX_READ))
            if not buf:
                return buf
        if size is None or size < 0 or size >= len(buf):
            data, self._buf = buf, b''
        else:
            data, self._buf = buf[:size], buf[size:]
        self.bytes_read += len(data)
        return data

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self):
        self.closed = True
        self._buf = b''


class SocketWriter(object):
    """cheroot's ``wfile`` for a plain TCP socket (see the module)."""

    def __init__(self, sock):
        self._sock = sock
        self._fd = sock.fileno()
        self._held = None
        self.holding = False
        self.bytes_written = 0
        self.closed = False

    def write(self, data):
        self.bytes_written += len(data)
        held = self._held
        if self.holding:
            self._held = data if held is None else held + data
            return len(data)
        self._held = None
        if held is None:
            self._send(data)
        elif data:
            self._send_two(held, data)
        else:
            self._send(held)
        return len(data)

    def flush(self):
        held, self._held = self._held, None
        if held is not None:
            self._send(held)

    def _send(self, data):
        try:
            sent = os.write(self._fd, data)
        except BlockingIOError:
            sent = 0
        if sent < len(data):
            # The socket's buffer is full: wait under its timeout.
            self._sock.sendall(memoryview(data)[sent:])

    def _send_two(self, first, second):
        try:
            sent = os.writev(self._fd, (first, second))
        except BlockingIOError:
            sent = 0
        if sent < len(first):
            self._sock.sendall(memoryview(first)[sent:])
            sent = 0
        else:
            sent -= len(first)
        if sent < len(second):
            self._sock.sendall(memoryview(second)[sent:])

    def close(self):
        self._held = None
        self.closed = True

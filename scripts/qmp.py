# SPDX-License-Identifier: GPL-2.0
"""Minimal QMP (QEMU Machine Protocol) client, standard library only.

    q = QMP('/tmp/x/qmp.sock', connect_timeout=10)
    q.execute('query-status')                 # -> the 'return' value
    mark = q.event_mark()
    q.execute('device_del', {'id': 'cpu1'})
    q.wait_event(lambda e: e['event'] == 'DEVICE_DELETED', 30, since=mark)
    q.close()

Every call has a timeout. A reader thread splits replies from events; once
the socket is gone every pending and later call raises QMPGone.
"""

import json
import os
import socket
import threading
import time


class QMPError(Exception):
    """QEMU answered with an error; str() is QEMU's description, cls its
    error class (e.g. 'DeviceNotFound', 'GenericError')."""

    def __init__(self, desc, cls=None):
        super().__init__(desc)
        self.cls = cls


class QMPTimeout(QMPError):
    """No answer (or no event) in time."""


class QMPGone(QMPError):
    """The QMP socket is closed: QEMU exited or crashed."""


def connect_unix(path, timeout, alive=None):
    """Connect to a unix socket that a starting QEMU is about to create."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError as e:
            s.close()
            if alive is not None and not alive():
                raise QMPGone('QEMU exited before %s was up' % path)
            if time.monotonic() > deadline:
                raise QMPTimeout('cannot connect to %s: %s' % (path, e))
            time.sleep(0.05)


class QMP:
    def __init__(self, path, connect_timeout=10.0, alive=None, log=None):
        """Connect to a QMP unix socket, retrying until it appears.

        alive: optional callable; connecting gives up early when it returns
        False (e.g. the QEMU process already exited).
        log: optional callable(str) for a trace of commands and events.
        """
        self._log = log or (lambda msg: None)
        self._cond = threading.Condition()
        self._replies = {}
        self._events = []
        self._next_id = 0
        self._gone = None
        self._sock = connect_unix(path, connect_timeout, alive)
        self._rfile = self._sock.makefile('rb')
        # QEMU 7.2 can send an event (RESUME, as the guest starts) on a
        # connection it has accepted but not yet greeted: keep such events
        # and read on until the greeting.
        deadline = time.monotonic() + connect_timeout
        while True:
            msg = self._read_msg(max(0.1, deadline - time.monotonic()))
            if 'QMP' in msg:
                break
            if 'event' not in msg or len(self._events) >= 64:
                raise QMPError('unexpected QMP greeting: %r' % msg)
            self._events.append(msg)
            self._log('event %s (before the greeting)' % msg['event'])
        self._reader = threading.Thread(target=self._read_loop,
                                        name='qmp-reader', daemon=True)
        self._reader.start()
        self.execute('qmp_capabilities', timeout=connect_timeout)

    def _read_msg(self, timeout):
        self._sock.settimeout(timeout)
        try:
            line = self._rfile.readline()
        except socket.timeout:
            raise QMPTimeout('no QMP greeting')
        finally:
            self._sock.settimeout(None)
        if not line:
            raise QMPGone('QMP socket closed')
        return json.loads(line)

    def _read_loop(self):
        why = 'QMP socket closed'
        try:
            for line in self._rfile:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                with self._cond:
                    if 'event' in msg:
                        self._events.append(msg)
                        self._log('event %s %s' % (
                            msg['event'],
                            json.dumps(msg.get('data', {}),
                                       separators=(',', ':'))))
                    elif 'id' in msg:
                        self._replies[msg['id']] = msg
                    self._cond.notify_all()
        except (OSError, ValueError) as e:
            why = 'QMP socket error: %s' % e
        with self._cond:
            self._gone = why
            self._cond.notify_all()

    @property
    def gone(self):
        """None while connected, else why the connection ended."""
        return self._gone

    def execute(self, cmd, args=None, timeout=30.0):
        """Run one command; return its 'return' value or raise QMPError."""
        with self._cond:
            if self._gone:
                raise QMPGone(self._gone)
            self._next_id += 1
            cid = self._next_id
        msg = {'execute': cmd, 'id': cid}
        if args:
            msg['arguments'] = args
        data = (json.dumps(msg) + '\n').encode()
        try:
            self._sock.sendall(data)
        except OSError as e:
            raise QMPGone('QMP send failed: %s' % e)
        deadline = time.monotonic() + timeout
        with self._cond:
            while cid not in self._replies:
                if self._gone:
                    raise QMPGone(self._gone)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QMPTimeout('%s: no reply in %.0f s' % (cmd, timeout))
                self._cond.wait(left)
            reply = self._replies.pop(cid)
        if 'error' in reply:
            err = reply['error']
            raise QMPError(err.get('desc') or str(err), err.get('class'))
        return reply.get('return')

    def event_mark(self):
        """A position in the event stream, for wait_event(since=...)."""
        with self._cond:
            return len(self._events)

    def events(self, since=0):
        with self._cond:
            return list(self._events[since:])

    def wait_event(self, match, timeout, since=0):
        """Wait for an event at or after position since for which
        match(event) is true; return (event, next position).

        match may raise QMPError to end the wait early (e.g. on an
        ACPI_DEVICE_OST failure status).
        """
        deadline = time.monotonic() + timeout
        pos = since
        with self._cond:
            while True:
                while pos < len(self._events):
                    ev = self._events[pos]
                    pos += 1
                    if match(ev):
                        return ev, pos
                if self._gone:
                    raise QMPGone(self._gone)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QMPTimeout('no matching event in %.0f s' % timeout)
                self._cond.wait(left)

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


def parse_size(text):
    """'1G', '512M', '64k', '1073741824' -> bytes (binary units)."""
    s = text.strip().upper().rstrip('B').rstrip('I')
    mult = 1
    for suffix, m in (('K', 1 << 10), ('M', 1 << 20), ('G', 1 << 30),
                      ('T', 1 << 40)):
        if s.endswith(suffix):
            s, mult = s[:-1], m
            break
    try:
        value = float(s) if '.' in s else int(s, 0)
    except ValueError:
        raise ValueError('bad size %r' % text)
    if value < 0:
        raise ValueError('bad size %r' % text)
    return int(value * mult)


if __name__ == '__main__':
    import sys
    if len(sys.argv) < 3:
        sys.exit('usage: qmp.py SOCKET COMMAND [JSON-ARGS]')
    q = QMP(sys.argv[1])
    a = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    print(json.dumps(q.execute(sys.argv[2], a), indent=1))
    q.close()
    os._exit(0)

# SPDX-License-Identifier: GPL-2.0
"""Unit tests of qmp.py against a scripted fake QEMU (TAP on stdout).

    python3 scripts/qmp_test.py
"""

import json
import os
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP, QMPError, QMPGone  # noqa: E402

GREETING = {'QMP': {'version': {}, 'capabilities': []}}


class FakeQEMU:
    """A unix socket that sends @before, then answers every command with
    an empty return, sending @events after the reply to command N."""

    def __init__(self, before, events=None, close_after=None):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, 'qmp.sock')
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(1)
        self.before, self.events = before, events or {}
        self.close_after = close_after
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _send(self, f, msg):
        f.write((json.dumps(msg) + '\n').encode())
        f.flush()

    def _serve(self):
        conn, _ = self.srv.accept()
        with conn, conn.makefile('rwb') as f:
            for msg in self.before:
                self._send(f, msg)
            for n, line in enumerate(f, 1):
                cmd = json.loads(line)
                if cmd['execute'] == 'fail':
                    self._send(f, {'id': cmd['id'], 'error': {
                        'class': 'GenericError', 'desc': 'no'}})
                else:
                    self._send(f, {'id': cmd['id'], 'return': {}})
                for ev in self.events.get(n, ()):
                    self._send(f, ev)
                if n == self.close_after:
                    return

    def close(self):
        self.srv.close()
        self.dir.cleanup()


def event(name):
    return {'event': name, 'timestamp': {'seconds': 0, 'microseconds': 0}}


class QMPTest(unittest.TestCase):
    def connect(self, *args, **kw):
        fake = FakeQEMU(*args, **kw)
        self.addCleanup(fake.close)
        q = QMP(fake.path, connect_timeout=5)
        self.addCleanup(q.close)
        return q

    def test_greeting(self):
        q = self.connect([GREETING])
        self.assertEqual(q.execute('query-status'), {})
        self.assertEqual(q.events(), [])

    def test_event_before_greeting_is_kept(self):
        # QEMU 7.2 sent RESUME before the greeting once (CI, stop 20).
        q = self.connect([event('RESUME'), GREETING])
        self.assertEqual([e['event'] for e in q.events()], ['RESUME'])
        self.assertEqual(q.execute('query-status'), {})

    def test_garbage_instead_of_greeting(self):
        fake = FakeQEMU([{'return': {}}])
        self.addCleanup(fake.close)
        with self.assertRaisesRegex(QMPError, 'unexpected QMP greeting'):
            QMP(fake.path, connect_timeout=5)

    def test_error_reply(self):
        q = self.connect([GREETING])
        with self.assertRaises(QMPError) as cm:
            q.execute('fail')
        self.assertEqual(cm.exception.cls, 'GenericError')

    def test_events_after_a_mark(self):
        # command 1 is qmp_capabilities, 2 the first execute()
        q = self.connect([GREETING], events={2: [event('DEVICE_DELETED')]})
        mark = q.event_mark()
        q.execute('device_del')
        ev, pos = q.wait_event(lambda e: e['event'] == 'DEVICE_DELETED', 5,
                               since=mark)
        self.assertEqual(pos, mark + 1)

    def test_gone(self):
        q = self.connect([GREETING], close_after=2)
        q.execute('query-status')
        with self.assertRaises(QMPGone):
            q.wait_event(lambda e: False, 5)
        with self.assertRaises(QMPGone):
            q.execute('query-status')


class TAPResult(unittest.TextTestResult):
    """One TAP line per test, numbered in the order they ran."""

    n = 0

    def _tap(self, test, ok, why=''):
        TAPResult.n += 1
        print('%s %d qmp.%s%s' % ('ok' if ok else 'not ok', TAPResult.n,
                                  test._testMethodName, why), flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._tap(test, True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._tap(test, False)

    def addError(self, test, err):
        super().addError(test, err)
        self._tap(test, False)


if __name__ == '__main__':
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(QMPTest)
    print('TAP version 13\n1..%d' % suite.countTestCases(), flush=True)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=0,
                                     resultclass=TAPResult)
    sys.exit(0 if runner.run(suite).wasSuccessful() else 1)

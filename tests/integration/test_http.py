"""HTTP/1.x on the wire (service/http/conn.c): keep-alive and close, HTTP/1.0, pipelining,
Expect: 100-continue, a request that arrives a byte at a time, a client that half-closes, HEAD,
the reply's framing headers, the idle timeout and a client that does not read its replies."""
import json
import os
import re
import socket
import time
import unittest

from harness import PASSWORD, ExamdTestCase, rss_kib, sanitized


def connect(app, timeout=10):
    return socket.create_connection(("127.0.0.1", app.port), timeout=timeout)


def read_replies(s, n, timeout=10):
    """Reads n complete replies (framed by Content-Length) from s; returns [(status, headers, body)]
    and whatever came after them."""
    buf, out = b"", []
    deadline = time.time() + timeout
    while len(out) < n and time.time() < deadline:
        while b"\r\n\r\n" in buf and len(out) < n:
            head, _, rest = buf.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            if status == 100:
                out.append((100, head.decode("latin-1"), b""))
                buf = rest
                continue
            m = re.search(rb"\r\nContent-Length: (\d+)", head, re.I)
            length = int(m.group(1)) if m else 0
            if len(rest) < length:
                break
            out.append((status, head.decode("latin-1"), rest[:length]))
            buf = rest[length:]
        if len(out) >= n:
            break
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return out, buf


def closed_by_server(s, timeout=5):
    """Whether the server closes s (EOF) within timeout, reading and dropping what comes."""
    s.settimeout(timeout)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def login_request(username, keep=""):
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    return (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + keep.encode() +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


class WireTest(ExamdTestCase):
    workers = 1

    def test_pipelined_requests_are_answered_in_order_on_one_connection(self):
        s = connect(self.app)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + login_request("emp3") +
                  b"GET /api/v1/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n" + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        replies, rest = read_replies(s, 4)
        s.close()
        self.assertEqual([r[0] for r in replies], [200, 200, 401, 200], replies)
        self.assertIn("token", json.loads(replies[1][2]))
        self.assertEqual(json.loads(replies[3][2]), {"status": "ok"})
        self.assertEqual(rest, b"")

    def test_replies_are_framed_and_dated(self):
        s = connect(self.app)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        (status, head, body), = read_replies(s, 1)[0]
        self.assertEqual(status, 200)
        self.assertTrue(head.startswith("HTTP/1.1 200 OK\r\n"), head)
        self.assertIn("\r\nContent-Length: %d" % len(body), head)
        self.assertRegex(head, r"\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT")
        self.assertIn("\r\nContent-Type: application/json; charset=utf-8", head)
        self.assertIn("\r\nX-Content-Type-Options: nosniff", head)
        self.assertNotIn("Connection: close", head)
        # Kept open: the next request on the same connection is served.
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_replies(s, 1)[0][0][0], 200)
        s.close()

    def test_connection_close_and_http_1_0(self):
        # HTTP/1.1 with Connection: close: answered, then closed.
        s = connect(self.app)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        (status, head, _), = read_replies(s, 1)[0]
        self.assertEqual(status, 200)
        self.assertIn("\r\nConnection: close", head)
        self.assertTrue(closed_by_server(s))
        s.close()
        # HTTP/1.0 without keep-alive: the reply names 1.0 and the connection closes.
        s = connect(self.app)
        s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        (status, head, _), = read_replies(s, 1)[0]
        self.assertTrue(head.startswith("HTTP/1.0 200"), head)
        self.assertTrue(closed_by_server(s))
        s.close()
        # HTTP/1.0 with keep-alive: kept.
        s = connect(self.app)
        s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        (status, head, _), = read_replies(s, 1)[0]
        self.assertIn("\r\nConnection: keep-alive", head)
        s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        self.assertEqual(read_replies(s, 1)[0][0][0], 200)
        s.close()

    def test_expect_100_continue_gets_its_interim_reply_before_the_body(self):
        body = json.dumps({"username": "emp4", "password": PASSWORD}).encode()
        s = connect(self.app)
        s.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        s.settimeout(5)
        first = s.recv(65536)
        self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first)
        s.sendall(body)
        replies, _ = read_replies(s, 1)
        s.close()
        self.assertEqual(replies[0][0], 200, replies)
        self.assertIn("token", json.loads(replies[0][2]))

    def test_a_request_sent_a_byte_at_a_time_is_served(self):
        s = connect(self.app)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in login_request("emp3"):
            s.send(bytes([b]))
        replies, _ = read_replies(s, 1)
        s.close()
        self.assertEqual(replies[0][0], 200, replies)

    def test_a_client_that_half_closes_still_reads_its_reply(self):
        s = connect(self.app)
        s.sendall(login_request("emp4"))
        s.shutdown(socket.SHUT_WR)
        replies, _ = read_replies(s, 1)
        self.assertEqual(replies[0][0], 200, replies)
        self.assertTrue(closed_by_server(s))
        s.close()

    def test_head_has_the_length_without_the_body(self):
        s = connect(self.app)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        replies, buf = read_replies(s, 1)
        (status, head, body), = replies
        self.assertEqual(status, 200)
        length = len(body)
        self.assertGreater(length, 0)
        # The HEAD reply carries the same length and no body: the next bytes are the next reply.
        s.settimeout(5)
        while buf.count(b"\r\n\r\n") < 2 or not buf.endswith(b'{"status":"ok"}'):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        head2, _, rest = buf.partition(b"\r\n\r\n")
        self.assertIn(b"\r\nContent-Length: %d" % length, head2)
        self.assertTrue(rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:40])

    def test_absolute_form_targets_and_fragments_route_by_path(self):
        s = connect(self.app)
        s.sendall(b"GET http://examd.example/healthz HTTP/1.1\r\nHost: examd.example\r\n\r\n"
                  b"GET /healthz#top HTTP/1.1\r\nHost: x\r\n\r\n")
        replies, _ = read_replies(s, 2)
        s.close()
        self.assertEqual([r[0] for r in replies], [200, 200], replies)


    def test_a_slow_reader_gets_every_pipelined_reply_whole(self):
        # Replies larger than what the socket takes at once: written as the client reads, and the
        # request that waited behind them is answered once they are out.
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "service", "web", "css", "app.css"), "rb") as f:
            css = f.read()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.app.port))
        n = 200  # about 5 MB of replies: more than the sockets take before the client reads
        s.sendall(b"GET /css/app.css HTTP/1.1\r\nHost: x\r\n\r\n" * n + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(1)  # the server fills the sockets and waits for the client
        buf = bytearray()
        deadline = time.time() + 30
        while not buf.endswith(b'{"status":"ok"}'):  # the last reply's end
            self.assertLess(time.time(), deadline, bytes(buf[-200:]))
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        parts = bytes(buf).split(b"HTTP/1.1 200 OK\r\n")[1:]
        self.assertEqual(len(parts), n + 1)
        for part in parts[:n]:
            self.assertEqual(part.partition(b"\r\n\r\n")[2], css)
        self.assertEqual(parts[n].partition(b"\r\n\r\n")[2], b'{"status":"ok"}')


class TimeoutTest(ExamdTestCase):
    workers = 1
    env = {"EXAMD_REQUEST_TIMEOUT": "2"}

    def test_idle_and_half_sent_connections_close_after_the_request_timeout(self):
        idle = connect(self.app)
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_replies(idle, 1)[0][0][0], 200)
        partial = connect(self.app)
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the header block never ends
        t0 = time.time()
        self.assertTrue(closed_by_server(idle, timeout=8))
        self.assertTrue(closed_by_server(partial, timeout=8))
        self.assertLess(time.time() - t0, 8)
        idle.close()
        partial.close()
        # A connection that keeps sending requests is not idle.
        busy = connect(self.app)
        for _ in range(4):
            busy.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_replies(busy, 1)[0][0][0], 200)
            time.sleep(0.8)
        busy.close()

    def test_a_client_that_does_not_read_is_dropped_and_others_are_served(self):
        # Pipelined requests for a large reply, never read: the server stops reading this client,
        # then drops it when its reply cannot be written for the timeout.
        rss_before = rss_kib(self.app.proc.pid)
        greedy = connect(self.app)
        greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        req = b"GET /css/app.css HTTP/1.1\r\nHost: x\r\n\r\n"
        greedy.settimeout(0.2)
        sent = 0
        try:
            for _ in range(4000):
                greedy.send(req)
                sent += 1
        except (socket.timeout, BlockingIOError):
            pass
        self.assertGreater(sent, 0)
        self.assertEqual(self.app.get("/healthz").status, 200)
        # One reply waits at a time: the replies of the requests still unread are not buffered
        # (4,000 copies of the 26 KB stylesheet would be over 100 MB).
        if not sanitized(self.app.proc.pid):
            self.assertLess(rss_kib(self.app.proc.pid) - rss_before, 20 * 1024)
        time.sleep(4)  # over the 2 s timeout, without reading
        self.assertTrue(closed_by_server(greedy, timeout=5))
        greedy.close()
        self.assertEqual(self.app.get("/healthz").status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)

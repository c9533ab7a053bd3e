"""A fake identity-check service (the operator's 公安部 comparison, as accounts.realname's http
verifier speaks to it) on a local port: it records what it receives and answers as the test
asks (a status, a delay, a verdict, a number of failures before it recovers)."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Service:
    def __init__(self) -> None:
        self.received: list[dict] = []  # every request: body and headers
        self.status = 200
        self.delay = 0.0  # seconds before answering
        self.match = True
        self.body: bytes | None = None  # answered instead of {"match": …} when set
        self.failures = 0  # the next this many requests answer 503
        self.lock = threading.Lock()
        self.url = ""

    @property
    def requests(self) -> int:
        with self.lock:
            return len(self.received)


@contextmanager
def running_service() -> Iterator[Service]:
    service = Service()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            with service.lock:
                service.received.append(
                    {
                        "body": body,
                        "authorization": self.headers["Authorization"],
                        "content_type": self.headers["Content-Type"],
                    }
                )
                status, delay = service.status, service.delay
                if service.failures:
                    service.failures -= 1
                    status = 503
                answer = service.body or json.dumps({"match": service.match}).encode()
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.url = f"http://127.0.0.1:{server.server_port}/verify"
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()

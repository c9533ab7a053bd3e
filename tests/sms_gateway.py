"""A fake SMS provider on a local port, for the http backend: it records what it receives and
answers as the test asks (a status, a delay, a message id)."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self) -> None:
        self.received: list[dict] = []  # the texts it accepted
        self.requests = 0  # every POST, accepted or not
        self.status = 200
        self.delay = 0.0  # seconds before answering
        self.lock = threading.Lock()
        self.url = ""

    @property
    def phones(self) -> list[str]:
        with self.lock:
            return [message["body"]["phone"] for message in self.received]


@contextmanager
def running_gateway() -> Iterator[Gateway]:
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            with gateway.lock:
                gateway.requests += 1
                # As the gateway stood when the request arrived, even if the test changes it
                # while this one is still being answered.
                status, delay = gateway.status, gateway.delay
            if delay:
                time.sleep(delay)
            if 200 <= status < 300:
                with gateway.lock:
                    gateway.received.append(
                        {
                            "body": body,
                            "authorization": self.headers["Authorization"],
                            "content_type": self.headers["Content-Type"],
                        }
                    )
                    number = len(gateway.received)
            else:
                number = 0
            try:
                self.send_response(status)
                self.end_headers()
                self.wfile.write(json.dumps({"message_id": f"gw-{number}"}).encode())
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_port}/send"
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()

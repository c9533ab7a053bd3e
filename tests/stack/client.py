"""A plain HTTP(S) client for the stack test: one connection per request, the certificate
checked against the throw-away CA, cookies and headers given by the caller, redirects not
followed, the client's own source address chosen (the address nginx sees)."""

import http.client
import secrets
import ssl
import string
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

CSRF_CHARS = string.ascii_letters + string.digits


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class Client:
    def __init__(self, domain: str, ca_file: Path, *, source: str = "127.0.0.1") -> None:
        self.domain, self.source = domain, source
        self.context = ssl.create_default_context(cafile=str(ca_file))

    def connection(self, *, https: bool = True) -> http.client.HTTPConnection:
        if not https:
            return http.client.HTTPConnection(
                self.domain, 80, timeout=60, source_address=(self.source, 0)
            )
        return http.client.HTTPSConnection(
            self.domain, 443, timeout=60, context=self.context, source_address=(self.source, 0)
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        https: bool = True,
    ) -> Answer:
        connection = self.connection(https=https)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> Answer:
        return self.request("GET", path, headers=headers)


class Visitor:
    """Someone with cookies: a session (signed in) and a CSRF secret, as a browser holds them;
    Django takes the unmasked 32-character secret as a form or header token."""

    def __init__(self, client: Client, session: tuple[str, str] | None = None) -> None:
        self.client = client
        self.csrf = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
        cookies = [f"csrftoken={self.csrf}"]
        if session:
            cookies.append(f"{session[0]}={session[1]}")
        self.cookie = "; ".join(cookies)

    def headers(self, **more: str) -> dict[str, str]:
        return {
            "Cookie": self.cookie,
            "Origin": f"https://{self.client.domain}",
            "Referer": f"https://{self.client.domain}/",
            **more,
        }

    def get(self, path: str, **more: str) -> Answer:
        return self.client.request("GET", path, headers=self.headers(**more))

    def post_form(self, path: str, fields: dict[str, str], **more: str) -> Answer:
        body = urlencode({"csrfmiddlewaretoken": self.csrf, **fields}).encode()
        headers = self.headers(**{"Content-Type": "application/x-www-form-urlencoded", **more})
        return self.client.request("POST", path, headers=headers, body=body)

    def post_files(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]], **more: str
    ) -> Answer:
        body, content_type = multipart(fields, files)
        headers = self.headers(**{"Content-Type": content_type, "X-CSRFToken": self.csrf, **more})
        return self.client.request("POST", path, headers=headers, body=body)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def multipart_overhead(fields: dict[str, str], name: str, filename: str) -> int:
    """The bytes a multipart body of these fields and one file adds around the file's."""
    return len(multipart(fields, {name: (filename, b"")})[0])

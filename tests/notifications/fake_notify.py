"""A local stand-in for GOV.UK Notify's HTTP API, enough for Parley's adapter.

It checks each request's JSON Web Token the way Notify does (HS256, signed with the API
key's secret, ``iss`` the service id, ``iat`` within 30 seconds), records what it is
sent, and answers ``POST /v2/notifications/email`` and ``GET /v2/notifications``
(filtered by ``reference``). The real client library talks to it over HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

SERVICE_ID = "6b1a3e5c-2f4d-4a8b-9c0d-1e2f3a4b5c6d"
SECRET = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
API_KEY = f"parley_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f2b0a1c4-1111-4222-8333-944455556666"


@dataclass
class FakeNotify:
    fail_with: int | None = None  # answer every POST with this status instead
    delay: float = 0.0  # seconds to wait after recording the first POST, before answering
    posts: list[dict[str, Any]] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why requests were refused
    first_post: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def start(self) -> FakeNotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                token = header.removeprefix("Bearer ")
                try:
                    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
                except jwt.PyJWTError as error:
                    return self._refuse(403, f"Invalid token: {error}")
                if claims.get("iss") != SERVICE_ID:
                    return self._refuse(403, "Invalid token: service not found")
                if abs(time.time() - int(claims.get("iat", 0))) > 30:
                    return self._refuse(403, "Error: Your system clock must be accurate")
                return True

            def _refuse(self, status: int, message: str) -> bool:
                with fake.lock:
                    fake.refused.append(message)
                self._answer(status, {"status_code": status, "errors": [
                    {"error": "AuthError", "message": message}]})  # fmt: skip
                return False

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                if urlsplit(self.path).path != "/v2/notifications/email":
                    self._answer(404, {"status_code": 404, "errors": []})
                    return
                if fake.fail_with:
                    self._answer(fake.fail_with, {"status_code": fake.fail_with, "errors": [
                        {"error": "BadRequestError", "message": "Can't send to this recipient"}
                    ]})  # fmt: skip
                    return
                missing = {"email_address", "template_id", "personalisation"} - set(payload)
                if missing or payload["template_id"] != TEMPLATE_ID:
                    error = {"error": "ValidationError", "message": "template_id is not valid"}
                    self._answer(400, {"status_code": 400, "errors": [error]})
                    return
                record = {"id": str(uuid.uuid4()), **payload}
                with fake.lock:
                    fake.posts.append(record)
                    first = len(fake.posts) == 1
                fake.first_post.set()
                if first:
                    time.sleep(fake.delay)
                self._answer(201, {
                    "id": record["id"],
                    "reference": payload.get("reference"),
                    "content": {
                        "subject": payload["personalisation"].get("subject", ""),
                        "body": payload["personalisation"].get("body", ""),
                        "from_email": "parley@notifications.service.gov.uk",
                    },
                    "uri": f"{fake.url}/v2/notifications/{record['id']}",
                    "template": {"id": TEMPLATE_ID, "version": 1, "uri": ""},
                })  # fmt: skip

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                parts = urlsplit(self.path)
                reference = parse_qs(parts.query).get("reference", [""])[0]
                with fake.lock:
                    fake.lookups.append(reference)
                    found = [p for p in fake.posts if p.get("reference") == reference]
                self._answer(200, {
                    "notifications": [
                        {"id": p["id"], "reference": p.get("reference"), "type": "email",
                         "status": "delivered", "email_address": p["email_address"]}
                        for p in found
                    ],
                    "links": {"current": f"{fake.url}{self.path}"},
                })  # fmt: skip

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def references(self) -> list[str]:
        with self.lock:
            return [p.get("reference", "") for p in self.posts]

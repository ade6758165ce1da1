"""A fake ``requests.Session`` that answers from a script and records what was sent."""
from __future__ import annotations

import json
from typing import Any

import requests


def response(body: Any = None, status: int = 200, *, code: int = 0, data: Any = None, text: str | None = None,
             message: str = "OK") -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    if text is not None:
        resp._content = text.encode()
    else:
        payload = body if body is not None else {"code": code, "message": message, "request_id": "rid-1",
                                                  "data": {} if data is None else data}
        resp._content = json.dumps(payload).encode()
    return resp


class FakeSession:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    def _next(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.sent.append({"method": method, "url": url, **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer(kwargs) if callable(answer) else answer

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._next("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._next("POST", url, **kwargs)

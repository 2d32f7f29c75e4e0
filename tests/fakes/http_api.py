"""A local HTTP server on 127.0.0.1 that speaks just enough of the Anthropic, Gemini and OpenAI APIs.

The real SDKs talk to it over real sockets; each test programs the replies (including faults) and then
asserts what the server received.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeAPI:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: deque[Reply] = deque()
        self.models_status = 200
        """What GET /models answers (401: a refused key)."""
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # an OpenAI-compatible server's model list (the preflight)
                with fake._lock:
                    fake.received.append(Received("GET", self.path, {k.lower(): v for k, v in self.headers.items()},
                                                  None))
                status = fake.models_status
                data = json.dumps({"object": "list", "data": [{"id": "local-model", "object": "model"}]}
                                  if status == 200 else {"error": {"message": "invalid key"}}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = raw.decode("utf-8", "replace")
                with fake._lock:
                    fake.received.append(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                                  body))
                    reply = fake.replies.popleft() if fake.replies else Reply(500, {"error": "no reply programmed"})
                time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, (str, bytes)) else json.dumps(reply.body)
                data = payload.encode() if isinstance(payload, str) else payload
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def reply(self, body: Any = None, status: int = 200, headers: dict[str, str] | None = None,
              delay: float = 0.0) -> None:
        self.replies.append(Reply(status, {} if body is None else body, headers or {}, delay))

    def reset(self) -> None:
        self.received.clear()
        self.replies.clear()
        self.models_status = 200

    def posts(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def anthropic_message(*blocks: dict[str, Any], stop_reason: str = "end_turn", input_tokens: int = 100,
                      output_tokens: int = 20, cache_read: int = 0, model: str = "claude-test") -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": list(blocks),
            "stop_reason": stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                      "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": 0}}


def anthropic_text(text: str, **kwargs: Any) -> dict[str, Any]:
    return anthropic_message({"type": "text", "text": text}, **kwargs)


def anthropic_tool_use(call_id: str, name: str, arguments: dict[str, Any], text: str = "",
                       **kwargs: Any) -> dict[str, Any]:
    blocks = [{"type": "text", "text": text}] if text else []
    blocks.append({"type": "tool_use", "id": call_id, "name": name, "input": arguments})
    return anthropic_message(*blocks, stop_reason="tool_use", **kwargs)


def gemini_response(*parts: dict[str, Any], finish_reason: str = "STOP", prompt_tokens: int = 100,
                    output_tokens: int = 20, cached: int = 0) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": list(parts)}, "finishReason": finish_reason,
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
                              "cachedContentTokenCount": cached, "totalTokenCount": prompt_tokens + output_tokens},
            "modelVersion": "gemini-test"}


def openai_completion(text: str | None = "", tool_calls: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
                      finish_reason: str | None = None, prompt_tokens: int = 100, completion_tokens: int = 20,
                      cached: int = 0, model: str = "gpt-test", refusal: str | None = None) -> dict[str, Any]:
    """A Chat Completions answer; ``tool_calls`` as (id, name, arguments as a JSON string)."""
    calls = [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
             for call_id, name, arguments in tool_calls]
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": refusal}
    if calls:
        message["tool_calls"] = calls
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": finish_reason or ("tool_calls" if calls else "stop")}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": cached}}}

"""What every provider shares: typed errors, the rate limiter, key redaction."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from conductor.errors import ConductorError


class ProviderError(ConductorError):
    """A model call that failed after the SDK's own retries; carries the provider's message."""

    def __init__(self, provider: str, message: str, status: int | None = None, retryable: bool = False) -> None:
        self.provider = provider
        self.status = status
        self.retryable = retryable
        where = f" (HTTP {status})" if status else ""
        super().__init__(f"{provider}{where}: {redact(message)}")

    @property
    def ticket_level(self) -> bool:
        """True when the ticket's own request is at fault (HTTP 400/413/422: too long, refused content), so the
        ticket is blocked; any other failure (rate limits, 5xx, timeouts, keys, connection, a malformed answer)
        is provider trouble: the run stops and the ticket resumes later."""
        return self.status in (400, 413, 422)


class MissingKeyError(ProviderError):
    """No API key for a provider: names the variable and the file to set."""


class MalformedAnswerError(ProviderError):
    """The provider answered something that is not a usable model answer (no content, bad tool calls)."""


class ProviderTimeoutError(ProviderError):
    """The provider did not answer within the configured timeout (after retries)."""


class RateLimiter:
    """At most ``per_minute`` requests in any 60-second window; `acquire` waits for a free slot."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.capacity = max(1, int(per_minute))
        self.window = 60.0 * self.capacity / per_minute
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may go; returns how long it waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.capacity:
                    self._sent.append(now)
                    return waited
                delay = self.window - (now - self._sent[0])
            self._sleep(delay)
            waited += delay


# -- key redaction -----------------------------------------------------------------------------------------
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_FACTORY_INSTALLED = False


def register_secret(value: str) -> None:
    """Remember a key so that no log record or error message made in this process can show it."""
    global _FACTORY_INSTALLED
    if len(value) < 8:
        return
    with _SECRETS_LOCK:
        _SECRETS.add(value)
        if not _FACTORY_INSTALLED:
            _install_record_factory()
            _FACTORY_INSTALLED = True


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text


def _install_record_factory() -> None:
    # A factory sees every record of every logger (the SDKs' and httpx's included) before any handler does.
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _SECRETS:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)

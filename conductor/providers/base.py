"""What every provider shares: typed errors, the rate limiter, key redaction."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from conductor.errors import ConductorError

if TYPE_CHECKING:
    from pydantic import SecretStr

ProviderTrouble = Literal["connection", "auth", "rate_limit", "timeout", "server", "request", "malformed", "other"]


class ProviderError(ConductorError):
    """A model call that failed after the SDK's own retries; carries the provider's message."""

    def __init__(self, provider: str, message: str, status: int | None = None, retryable: bool = False,
                 kind: ProviderTrouble | None = None, retry_after: float | None = None) -> None:
        self.provider = provider
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        """Seconds the provider asked to wait (its `retry-after` header), when it said."""
        self.kind: ProviderTrouble = kind or _kind_of(status)
        where = f" (HTTP {status})" if status else ""
        self.detail = redact(message)
        super().__init__(f"{provider}{where}: {self.detail}")

    @property
    def ticket_level(self) -> bool:
        """True when the ticket's own request is at fault (HTTP 400/413/422: too long, refused content), so the
        ticket is blocked; any other failure (rate limits, 5xx, timeouts, keys, connection, a malformed answer)
        is provider trouble: the run stops and the ticket resumes later."""
        return self.status in (400, 413, 422)

    @property
    def plain(self) -> str:
        """What went wrong in a developer's words, then the provider's own message."""
        who, status = self.provider, f" (HTTP {self.status})" if self.status else ""
        headline = {
            "connection": f"cannot reach {who}: the connection failed (no network, a wrong base URL, or a proxy)",
            "auth": f"{who} refused the API key{status}: check the key",
            "rate_limit": f"{who} rate limit reached{status}: "
                          + (f"retry in {self.retry_after:.0f} s" if self.retry_after else "retry in a minute"),
            "timeout": f"{who} did not answer in time",
            "server": f"{who} is failing or overloaded{status}: retry later",
            "request": f"{who} refused the request{status}",
            "malformed": f"{who} sent an answer that could not be read",
            "other": f"{who} call failed{status}",
        }[self.kind]
        return f"{headline} ({self.detail})"


def _kind_of(status: int | None) -> ProviderTrouble:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limit"
    if status == 408:
        return "timeout"
    if status is not None and status >= 500:
        return "server"
    if status is not None and 400 <= status < 500:
        return "request"
    return "other"


def retry_after_seconds(response: Any) -> float | None:
    """The `retry-after` header of an HTTP response (seconds), when there is one that reads as a number."""
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class MissingKeyError(ProviderError):
    """No API key for a provider: names the variable and the file to set."""


class MalformedAnswerError(ProviderError):
    """The provider answered something that is not a usable model answer (no content, bad tool calls)."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(provider, message, kind="malformed")


class ProviderTimeoutError(ProviderError):
    """The provider did not answer within the configured timeout (after retries)."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(provider, message, kind="timeout")


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


def api_key(provider: str, secret: SecretStr | None, missing: str) -> str:
    """The provider's key, remembered for redaction; MissingKeyError saying where to set it (``missing``)."""
    if secret is None:
        raise MissingKeyError(provider, f"no API key: {missing}")
    key = secret.get_secret_value()
    register_secret(key)
    return key


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

"""Gemini through the official `google-genai` SDK (function_call / function_response parts)."""

from __future__ import annotations

import itertools

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from conductor.config import Credentials, ProviderSettings
from conductor.messages import AssistantTurn, Message, ToolCall, ToolSpec, Usage
from conductor.providers.base import (
    MalformedAnswerError,
    ProviderError,
    ProviderTimeoutError,
    RateLimiter,
    api_key,
    retry_after_seconds,
)

# Gemini may return calls without an id; we make one up locally and never send it back.
LOCAL_ID_PREFIX = "gemini-local-"
FINISH_REASONS = {"STOP": "end_turn", "MAX_TOKENS": "max_tokens",
                  "MALFORMED_FUNCTION_CALL": "malformed_function_call"}
"""Anything else (SAFETY, RECITATION, PROHIBITED_CONTENT, ...) is passed on lower-cased: the ticket blocks."""


class GeminiModel:
    provider = "gemini"

    def __init__(self, model: str, credentials: Credentials, settings: ProviderSettings,
                 limiter: RateLimiter | None = None, credentials_hint: str = "credentials.toml") -> None:
        key = api_key(self.provider, credentials.gemini_api_key,
                      f"set GEMINI_API_KEY (or GOOGLE_API_KEY) or gemini_api_key in {credentials_hint}")
        http_options = types.HttpOptions(
            timeout=int(settings.timeout_seconds * 1000),
            retry_options=types.HttpRetryOptions(attempts=settings.max_retries + 1,
                                                 initial_delay=settings.retry_initial_delay_seconds),
        )
        if settings.gemini_base_url:
            http_options.base_url = settings.gemini_base_url  # otherwise the SDK reads GOOGLE_GEMINI_BASE_URL
        self.model = model
        self._client = genai.Client(api_key=key, http_options=http_options)
        self._limiter = limiter or RateLimiter(settings.requests_per_minute)
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"GeminiModel(model={self.model!r})"

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec],
                 max_output_tokens: int, require_tool: bool = False) -> AssistantTurn:
        config = types.GenerateContentConfig(
            system_instruction=system,
            max_output_tokens=max_output_tokens,
            tools=[types.Tool(function_declarations=[
                types.FunctionDeclaration(name=t.name, description=t.description, parameters_json_schema=t.parameters)
                for t in tools])] if tools else None,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(
                mode=types.FunctionCallingConfigMode.ANY)) if require_tool and tools else None,
        )
        self._limiter.acquire()
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=[to_gemini(message) for message in messages], config=config)
        except genai_errors.APIError as error:
            status = error.code if isinstance(error.code, int) else None
            raise ProviderError(self.provider, error.message or str(error), status=status,
                                retryable=status in (408, 429) or (status or 0) >= 500,
                                retry_after=retry_after_seconds(getattr(error, "response", None))) from None
        except Exception as error:  # the SDK raises its transport's and pydantic's errors as they are
            if "Timeout" in type(error).__name__:
                raise ProviderTimeoutError(self.provider, f"no answer in time: {type(error).__name__}") from None
            if type(error).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "httpcore2"):
                raise ProviderError(self.provider, f"{type(error).__name__}: {error}",
                                    kind="connection" if "Connect" in type(error).__name__ else None) from None
            raise MalformedAnswerError(self.provider, f"malformed response: {type(error).__name__}: "
                                       f"{(str(error).splitlines() or [''])[0][:300]}") from None
        try:
            return self._from_gemini(response)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
            raise MalformedAnswerError(self.provider, f"malformed response: {error}") from None

    def _from_gemini(self, response: types.GenerateContentResponse) -> AssistantTurn:
        texts, calls = [], []
        candidate = response.candidates[0] if response.candidates else None
        parts = candidate.content.parts if candidate and candidate.content and candidate.content.parts else []
        for part in parts:
            if part.function_call is not None:
                call = part.function_call
                if not isinstance(call.args or {}, dict) or not isinstance(call.name, str) or not call.name:
                    raise ValueError("a function call without a name or with arguments that are not an object")
                call_id = call.id or f"{LOCAL_ID_PREFIX}{next(self._ids)}"
                calls.append(ToolCall(id=call_id, name=call.name, arguments=dict(call.args or {})))
            elif part.text and not part.thought:
                texts.append(part.text)
        if candidate is None:
            feedback = response.prompt_feedback
            reason = feedback.block_reason.name if feedback and feedback.block_reason else "unknown"
            stop = f"no_candidates (block reason: {reason})"
        else:
            finish = candidate.finish_reason.name if candidate.finish_reason else "STOP"
            stop = "tool_use" if calls else FINISH_REASONS.get(finish, finish.lower())
        meta = response.usage_metadata
        if meta is None:
            raise ValueError("the answer has no usage metadata (tokens could not be counted)")
        cached = meta.cached_content_token_count or 0
        usage = Usage(
            input_tokens=max((meta.prompt_token_count or 0) - cached, 0),
            output_tokens=(meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0),
            cache_read_tokens=cached,
        )
        return AssistantTurn(text="\n".join(texts), tool_calls=calls, stop_reason=stop, usage=usage,
                             model=response.model_version or self.model)


def to_gemini(message: Message) -> types.Content:
    parts: list[types.Part] = []
    if message.role == "user":
        for result in message.tool_results:
            response = {"error": result.content} if result.is_error else {"output": result.content}
            call_id = None if result.tool_call_id.startswith(LOCAL_ID_PREFIX) else result.tool_call_id
            parts.append(types.Part(function_response=types.FunctionResponse(id=call_id, name=result.name,
                                                                             response=response)))
        if message.text:
            parts.append(types.Part(text=message.text))
    else:
        if message.text:
            parts.append(types.Part(text=message.text))
        for call in message.tool_calls:
            call_id = None if call.id.startswith(LOCAL_ID_PREFIX) else call.id
            parts.append(types.Part(function_call=types.FunctionCall(id=call_id, name=call.name, args=call.arguments)))
    if not parts:
        parts.append(types.Part(text="(empty)"))
    return types.Content(role="user" if message.role == "user" else "model", parts=parts)



"""The execution clutch: which calls wait for a human, the pending call, decisions, and the gate front-ends."""

from __future__ import annotations

import json
import queue
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from conductor.allow_rules import allowed_without_asking
from conductor.config import ProjectConfig
from conductor.errors import ConductorError
from conductor.guards import PathGuard
from conductor.messages import ToolCall
from conductor.models import utc_now
from conductor.text import clip
from conductor.tools import ToolArgumentError, ToolRequest, edited_request


class EngineStopped(ConductorError):
    """The run was stopped while a call waited for a decision (the call stays pending)."""


class PendingCall(BaseModel):
    """A tool call waiting for a human decision; persisted so it survives a restart."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    track_id: str
    ticket_id: str
    call: ToolCall
    """The call as the model made it (or as last edited, when an edit was refused and re-asked)."""
    diff: str | None = None
    """Unified diff of the file before/after, for write_file and edit_file."""
    preview_error: str | None = None
    """Why no diff could be made (e.g. old_text not found): the call would fail as it stands."""
    sandbox: str | None = None
    """For a command: where it would run (`sandbox: bwrap, no network, ...` or plainly UNSANDBOXED)."""
    created_at: datetime = Field(default_factory=utc_now)

    def arguments_json(self) -> str:
        return json.dumps(self.call.arguments, indent=2, ensure_ascii=False)


class Decision(BaseModel):
    """A human's (or a rule's) answer to a pending call."""

    model_config = ConfigDict(frozen=True)

    action: Literal["approve", "edit", "reject"]
    arguments: dict[str, Any] | None = None
    """The edited arguments (action `edit`)."""
    reason: str = ""
    """Why it was rejected (shown to the model), or which rule approved it."""
    decided_by: str = "human"
    note: str = ""
    """A note from the developer sent to the model with an approval or an edit (steering without rejecting)."""


class ApprovalPolicy:
    """Step or auto per archetype, with allow-rules: read-only tools auto by default, writes and shell ask."""

    def __init__(self, config: ProjectConfig, guard: PathGuard, force_auto: bool = False,
                 sandboxed: bool = False) -> None:
        self.config = config
        self.guard = guard
        """Reads a command's path words for the allow-rules."""
        self.force_auto = force_auto
        self.sandboxed = sandboxed
        """Whether commands run in a sandbox (`conductor.sandbox`)."""

    def auto_reason(self, archetype: str, call: ToolCall) -> str | None:
        """Why the call may run without asking, or None when a human must decide."""
        if self.force_auto:
            return "auto mode (--auto)"
        settings = self.config.archetype(archetype)
        shell = call.name == "run_shell"
        if shell and settings.commands == "sandboxed-auto" and self.sandboxed:
            return f"archetype {archetype!r} runs commands in the sandbox without asking (sandboxed-auto)"
        if settings.trust == "auto" and (not shell or self.sandboxed or self.config.shell.allow_unsandboxed):
            return f"archetype {archetype!r} is trusted (auto)"
        if call.name in settings.auto_tools:
            return f"{call.name} is allow-listed"
        if shell:
            rule = allowed_without_asking(str(call.arguments.get("command", "")), self.config.shell.allow,
                                          self.guard)
            if rule is not None:
                return f"command matches the allow-rule {rule!r}"
        return None


class AutoGate:
    """Approves everything (auto mode)."""

    def decide(self, pending: PendingCall) -> Decision:
        return Decision(action="approve", decided_by="auto")

    def stop(self) -> None:
        """Never waits, so nothing to wake."""


class CallbackGate:
    """Decides on the engine's own thread by asking ``answer`` (a scripted front-end, a test): nothing to poll,
    nothing to wait for. Every call asked about is kept in ``seen``."""

    def __init__(self, answer: Callable[[PendingCall], Decision]) -> None:
        self.answer = answer
        self.seen: list[PendingCall] = []

    def decide(self, pending: PendingCall) -> Decision:
        self.seen.append(pending)
        return self.answer(pending)

    def stop(self) -> None:
        """Never waits, so nothing to wake."""


_STOP = object()


class QueueGate:
    """The one thread-safe hand-off from a front-end (GUI, tests) to the engine thread.

    The engine thread blocks in `decide`; the front-end calls `submit` from its own thread. A decision for a
    call that is no longer pending is ignored.
    """

    def __init__(self) -> None:
        self._decisions: queue.Queue[tuple[str, Decision] | object] = queue.Queue()
        self.pending: PendingCall | None = None
        self.asks = 0
        """How many times a decision was asked for (a refused edit asks again for the same call)."""

    def decide(self, pending: PendingCall) -> Decision:
        self.asks += 1
        self.pending = pending
        try:
            while True:
                item = self._decisions.get()
                if item is _STOP:
                    raise EngineStopped("stopped while a call awaited approval")
                assert isinstance(item, tuple)
                pending_id, decision = item
                if pending_id == pending.id and isinstance(decision, Decision):
                    return decision
        finally:
            self.pending = None

    def submit(self, pending_id: str, decision: Decision) -> None:
        self._decisions.put((pending_id, decision))

    def stop(self) -> None:
        self._decisions.put(_STOP)


class TerminalGate:
    """Step mode at the terminal: approve, edit the JSON (then approve), or reject with a reason."""

    def __init__(self, preview: Callable[[ToolRequest], PendingCall], read: Callable[[str], str] = input,
                 write: Callable[[str], None] = print) -> None:
        """``preview``: the pending call an edit makes (its diff, or why it would fail as it stands)."""
        self.preview = preview
        self.read = read
        self.write = write

    def decide(self, pending: PendingCall) -> Decision:
        call = pending.call
        self._show(call, pending.diff, pending.preview_error, pending.sandbox)
        edited: ToolRequest | None = None
        while True:
            try:
                answer = self.read("[a]pprove, [e]dit, [r]eject? ").strip().lower()
            except EOFError:
                return Decision(action="reject", reason="no answer (end of input)", decided_by="terminal")
            if answer in ("a", "approve", "y", "yes"):
                if edited is None:
                    return Decision(action="approve", decided_by="terminal")
                return Decision(action="edit", arguments=edited.call.arguments, decided_by="terminal")
            if answer in ("r", "reject", "n", "no"):
                reason = self._read_or("reason (shown to the model): ", "rejected at the terminal")
                return Decision(action="reject", reason=reason, decided_by="terminal")
            if answer in ("e", "edit"):
                edited = self._edit(edited.call if edited else call) or edited
                if edited is not None:
                    shown = self.preview(edited)
                    self._show(shown.call, shown.diff, shown.preview_error)
                    self.write("approve to run the edited call")

    def stop(self) -> None:
        """Reads the terminal on the engine's own thread: a stop is seen after the answer."""

    def _edit(self, call: ToolCall) -> ToolRequest | None:
        self.write("current arguments:\n" + json.dumps(call.arguments, indent=2, ensure_ascii=False))
        self.write("type the new arguments as JSON (end with an empty line):")
        lines = []
        while True:
            try:
                line = self.read("")
            except EOFError:
                break
            if not line.strip():
                break
            lines.append(line)
        try:
            return edited_request(call, "\n".join(lines))
        except ToolArgumentError as error:
            self.write(f"refused: {error}; the call is unchanged")
            return None

    def _read_or(self, prompt: str, default: str) -> str:
        try:
            return self.read(prompt).strip() or default
        except EOFError:
            return default

    def _show(self, call: ToolCall, diff: str | None, problem: str | None, sandbox: str | None = None) -> None:
        self.write(f"\n--- {call.name} wants to run ---")
        shown = call.arguments
        if diff:  # the diff below shows every changed line: long texts are cut here, with a marker
            shown = {k: clip(v, 300) if isinstance(v, str) else v for k, v in call.arguments.items()}
        self.write(json.dumps(shown, indent=2, ensure_ascii=False))
        if diff:
            self.write(diff.rstrip("\n"))
        if problem:
            self.write(f"(as it stands this call would fail: {problem})")
        if sandbox:
            self.write(sandbox)

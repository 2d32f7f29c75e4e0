"""The terminal's view of a headless run: each engine event as a line of progress (`conductor run`)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from conductor.events import (
    ApprovalRequested,
    DecisionMade,
    EditRefused,
    Event,
    ModelCalled,
    RunFinished,
    RunPaused,
    ShellRan,
    TicketBlocked,
    TicketCompleted,
    TicketStarted,
    ToolFinished,
)
from conductor.store import TrackStore
from conductor.text import clip, printable


class EventPrinter:
    """Prints engine events as one-line progress reports (the engine runs on this thread in headless mode)."""

    def __init__(self, store: TrackStore, out: TextIO = sys.stdout) -> None:
        self.store = store
        self.out = out

    def notify(self, event: Event) -> None:
        line = self.format(event)
        if line:
            print(printable(line), file=self.out, flush=True)  # a model's text may hold escape sequences

    def format(self, event: Event) -> str | None:
        ticket = event.ticket
        match event:
            case TicketStarted(title=title, resumed=resumed):
                return f"> {ticket} {title}" + ("  (resumed)" if resumed else "")
            case ModelCalled(tier="tier3", usage=usage, tool_calls=calls, text=text):
                names = ", ".join(c.name for c in calls) or "no tool call"
                line = f"  model: {names}  ({usage.input_tokens} in / {usage.output_tokens} out tokens)"
                return line + (f"\n    {clip(text.strip(), 300)}" if text.strip() else "")
            case ApprovalRequested(tool=tool):
                return f"  ? {tool} awaits your decision"
            case DecisionMade(by="rule"):
                return None
            case DecisionMade(action=action, reason=reason):
                label = "approve (edited)" if action == "edit" else action
                return f"  {label}" + (f": {reason}" if reason else "")
            case EditRefused(error=error):
                return f"  edit refused: {error.removeprefix('error: ')}"
            case ShellRan(command=command, exit_code=code, hint=hint, hint_source=source, output=output):
                line = f"  $ {clip(command, 120)} -> exit {code}"
                if hint:
                    line += f"\n    hint ({source}): {hint}"
                if output:
                    line += f"\n    full output: {self.store.output_path(event.track, output)}"
                return line
            case ToolFinished(tool=tool, arguments=arguments, is_error=is_error, content=content) if (
                    tool != "run_shell"):
                shown = json.dumps({k: v for k, v in arguments.items() if k != "content"}, ensure_ascii=False)
                first_line = content.splitlines()[0].removeprefix("error: ") if content else ""
                return f"  {tool} {clip(shown, 120)} -> {'error' if is_error else 'ok'}: {clip(first_line, 120)}"
            case TicketCompleted(summary=summary, unlocked=unlocked):
                after = f" (unlocked {', '.join(unlocked)})" if unlocked else ""
                return f"done {ticket}: {clip(summary, 300)}{after}"
            case TicketBlocked(reason=reason):
                return (f"BLOCKED {ticket}:\n    " + reason.replace("\n", "\n    ")
                        + f"\n  to go on: conductor ticket retry {event.track} {ticket}  (after fixing the cause)")
            case RunPaused(reason=reason):
                return f"paused on {ticket}: {reason}"
            case RunFinished(track_status=status):
                return f"track {event.track}: {status}"
        return None

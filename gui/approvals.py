"""The approval panel's actions: review a call by its tool, edit it, keep or drop hunks, add a note, approve,
reject, always allow a command. No dearpygui here: tests drive these without a window."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from conductor.allow_rules import implied_rule, rule_admits_text, why_asking
from conductor.config import ConfigError, add_allow_rule
from conductor.diffs import edit_with_hunks, hunks, keep_hunks
from conductor.files import text_diff
from conductor.gate import Decision, PendingCall
from conductor.tools import ToolArgumentError, edited_request
from gui.state import ApprovalState

if TYPE_CHECKING:
    from gui.controller import Controller


class ApprovalController:
    def __init__(self, owner: Controller) -> None:
        self.owner = owner
        self._reviewed: ApprovalState | None = None
        """The approval the review fields were made for (a call asked again comes as a new one)."""

    @property
    def state(self) -> ApprovalState:
        return self.owner.state.approval

    def poll(self) -> None:
        """A new pending call: explain why it waits and lay out its review (once per call)."""
        pending = self.state.pending
        if pending is None or self.state is self._reviewed:
            return
        self._reviewed = self.state
        self.state.why = self._why(pending)
        self._review(self.state.text)
        self.owner.state.touch("approval")

    def _why(self, pending: PendingCall) -> str:
        config = self.owner.config
        ticket = self.owner.state.track.ticket(pending.ticket_id) if self.owner.state.track else None
        archetype = ticket.worker_archetype if ticket else "default"
        trust = f"the archetype {archetype!r} is in step mode"
        if pending.call.name != "run_shell":
            return f"{pending.call.name} changes files and {trust}"
        command = str(pending.call.arguments.get("command", ""))
        if self.owner.engine is None:  # no run, no guard of its own: no rule is worked out
            return f"{command!r} waits for your decision, and {trust}"
        guard = self.owner.engine.guard
        self.state.rule = implied_rule(command, guard)
        self.state.rule_text = rule_admits_text(self.state.rule) if self.state.rule else ""
        return f"{why_asking(command, config.shell.allow, guard)}, and {trust}"

    def _review(self, text: str) -> None:
        """Check the call as the box holds it and lay out what it would make: the file before and after, its diff
        and hunks (all kept); the file is read once for all of it."""
        approval, engine = self.state, self.owner.engine
        approval.dropped = set()
        approval.path, approval.before, approval.after, approval.hunks = None, None, None, []
        if approval.pending is None or engine is None:
            return
        try:
            request = edited_request(approval.pending.call, text)
        except ToolArgumentError as error:
            approval.error, approval.diff = str(error), None
            return
        texts, approval.error = engine.approvals.preview_texts(request)
        approval.diff = text_diff(*texts) if texts else None
        if texts is not None:
            approval.path, approval.before, approval.after = texts
            approval.hunks = hunks(approval.before or "", approval.after)

    # -- editing ----------------------------------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """The JSON as typed: validated at once; the diff and hunks follow it."""
        approval = self.state
        approval.text = text
        if approval.pending is None:
            return
        approval.edited = text.strip() != approval.pending.arguments_json().strip()
        self._review(text)
        self.owner.state.touch("approval")

    def set_field(self, name: str, value: str) -> None:
        """One argument edited in its own box (the new text, the content, the command): the JSON follows."""
        try:
            arguments = json.loads(self.state.text)
        except ValueError:
            self.state.error = "the JSON tab does not hold valid JSON: fix it there first"
            self.owner.state.touch("approval")
            return
        if not isinstance(arguments, dict):
            return
        arguments[name] = value
        self.set_text(json.dumps(arguments, indent=2, ensure_ascii=False))

    def field(self, name: str) -> str:
        """An argument as the box holds it ("" when the box does not hold it as text)."""
        try:
            value = json.loads(self.state.text).get(name, "")
        except (ValueError, AttributeError):
            return ""
        return value if isinstance(value, str) else json.dumps(value)

    def keep_hunk(self, index: int, keep: bool) -> None:
        (self.state.dropped.discard if keep else self.state.dropped.add)(index)
        self.owner.state.touch("approval")

    def set_note(self, note: str) -> None:
        self.state.note = note

    # -- deciding ---------------------------------------------------------------------------------------
    def approve(self) -> None:
        """Approve what the panel shows: the call as made or as edited, with only the kept hunks, and the note.
        An edit that does not validate is refused with its error, and nothing runs."""
        approval = self.state
        if approval.pending is None:
            return
        try:
            arguments = edited_request(approval.pending.call, approval.text).call.arguments
            note = self._dropped_note()
            if approval.dropped:
                arguments = self._kept(arguments)
        except (ToolArgumentError, ValueError) as error:
            approval.error = str(error)
            self.owner.state.touch("approval")
            self.owner.state.notify(f"not approved: {error}")
            return
        note = "\n".join(part for part in (approval.note.strip(), note) if part)
        if arguments == approval.pending.call.arguments:
            self._decide(Decision(action="approve", decided_by="gui", note=note))
        else:
            self._decide(Decision(action="edit", arguments=arguments, decided_by="gui", note=note))

    def _dropped_note(self) -> str:
        approval = self.state
        if not approval.dropped:
            return ""
        headers = ", ".join(h.header for h in approval.hunks if h.index in approval.dropped)
        return (f"The developer dropped {len(approval.dropped)} of the {len(approval.hunks)} hunks of this change "
                f"({headers}); only the others were made.")

    def _kept(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments that make only the kept hunks of the change."""
        approval = self.state
        if approval.after is None:
            raise ValueError("the change cannot be split into hunks as it stands")
        before = approval.before or ""
        kept = {h.index for h in approval.hunks} - approval.dropped
        if approval.pending is not None and approval.pending.call.name == "edit_file":
            old_text, new_text = arguments["old_text"], arguments["new_text"]
            if old_text not in before and "\r\n" in before:  # matched in the file's own line endings
                old_text, new_text = old_text.replace("\n", "\r\n"), new_text.replace("\n", "\r\n")
            return {**arguments, "old_text": old_text, "new_text": edit_with_hunks(before, old_text, new_text, kept)}
        return {**arguments, "content": keep_hunks(before, approval.after, kept)}

    def reject(self, reason: str) -> None:
        self._decide(Decision(action="reject", reason=reason.strip() or "rejected in the GUI", decided_by="gui"))

    def _decide(self, decision: Decision) -> None:
        pending, gate = self.state.pending, self.owner.gate
        if pending is None or gate is None:
            return
        gate.submit(pending.id, decision)
        self.owner.state.notify(f"{decision.action} sent" + (" with a note" if decision.note else ""))

    # -- always allow -----------------------------------------------------------------------------------
    def offer_rule(self) -> None:
        """Show the rule Always allow would add, and what it admits, before anything is written."""
        approval = self.state
        approval.rule_offered = approval.rule is not None
        if approval.rule is None:
            self.owner.state.notify("no allow-rule can admit this command (shell syntax or unreadable words)",
                                    alert=True)
        self.owner.state.touch("approval")

    def always_allow(self) -> bool:
        """Add the offered rule to `[shell] allow` in project.toml (comments kept), then approve the call."""
        approval = self.state
        rule = approval.rule
        if rule is None or approval.pending is None:
            return False
        try:
            add_allow_rule(self.owner.root, rule)
            self.owner.reload_config()
        except (ConfigError, OSError) as error:
            self.owner.state.notify(f"error: the rule was not added: {error}")
            return False
        approval.rule_offered = False
        self.approve()
        self.owner.state.notify(f"allow-rule added to project.toml: {rule}")
        return True

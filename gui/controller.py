"""Every action the window offers, as plain method calls (no dearpygui): tests drive these without a window.

The engine runs on a background thread; its events come through one EventQueue drained by `poll()` once per
frame, and decisions go back through the QueueGate. No background thread touches the view state.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomlkit

from conductor.config import PROJECT_FILE, ConfigError, ProjectConfig, load_project_config
from conductor.engine import ConductorEngine
from conductor.errors import ConductorError
from conductor.events import EventQueue, RunPaused
from conductor.files import atomic_write
from conductor.gate import Decision, QueueGate
from conductor.guards import PathGuard
from conductor.messages import Message
from conductor.planner import PlanResult, PlanSession, Proposal, proposal_problems
from conductor.providers import create_model
from conductor.store import TrackStore
from conductor.text import clip
from conductor.tickets import TicketChanges, TicketDraft, TicketService
from conductor.tools import ToolArgumentError, parse_edited_json
from file_cache import FileCache, ViewError, directory_map
from file_cache.cache import ViewKind
from gui.state import PlanState, TrackRow, ViewState


class Controller:
    def __init__(self, project_root: Path, overrides: dict[str, Any] | None = None,
                 engine_factory: type[ConductorEngine] = ConductorEngine) -> None:
        self.root = Path(project_root).resolve()
        self.overrides = dict(overrides or {})
        self.config: ProjectConfig = load_project_config(self.root, self.overrides)
        self.store = TrackStore(self.config.tracks_path)
        self.tickets = TicketService(self.config, self.store, by="gui")
        self.cache = FileCache(self.root)
        self.state = ViewState(self.root)
        self.events = EventQueue()
        self.engine_factory = engine_factory
        self.engine: ConductorEngine | None = None
        self.gate: QueueGate | None = None
        self._thread: threading.Thread | None = None
        self._plan_session: PlanSession | None = None
        self._plan_updates: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self.refresh_tracks()
        if self.state.tracks:
            self.select_track(self.state.tracks[0].id)
        self.refresh_files()

    # -- frame -----------------------------------------------------------------------------------------
    def poll(self, limit: int = 500) -> int:
        """Apply the engine's pending events (at most ``limit`` per frame); returns how many were applied."""
        events = self.events.drain(limit)
        for event in events:
            self.state.apply(event)
        self._poll_plan()
        if self._thread is not None and not self._thread.is_alive():
            self._thread = None
            if self.state.engine in ("running", "stopping", "waiting"):
                self.state.engine = "idle"
                self.state.notify(self.state.message or "engine stopped")
            self.refresh_tracks()
        if self.state.files.stale:
            self.state.files.stale = False
            self.load_file_view()
        if self.state.files.stale_tree:
            self.state.files.stale_tree = False
            self.refresh_files()
        return len(events)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- tracks and tickets ------------------------------------------------------------------------------
    def refresh_tracks(self) -> None:
        rows = []
        for track_id in self.store.ids():
            try:
                track = self.store.load(track_id)
            except ConductorError as error:
                rows.append(TrackRow(track_id, f"unreadable: {error}", "error", 0, 0))
                continue
            rows.append(TrackRow(track.id, track.title, str(track.status), track.counts()["completed"],
                                 len(track.tickets)))
        self.state.tracks = rows
        self.state.touch("tracks")

    def select_track(self, track_id: str) -> None:
        if self.running:
            self.state.notify("stop the run before switching tracks")
            return
        try:
            self.state.track = self.store.load(track_id)
        except ConductorError as error:
            self.state.track = None
            self.state.notify(str(error))
        rows = self.state.ticket_rows()
        self.state.selected_ticket = rows[0].id if rows else None
        self.state.touch("tickets", "detail", "tracks")

    def select_ticket(self, ticket_id: str) -> None:
        self.state.selected_ticket = ticket_id
        self.state.touch("detail", "tickets")
        if self.state.changes.ticket_id is not None:  # the Changes view is in use: it follows the selection
            self.load_changes(ticket_id)

    def new_track(self, title: str, description: str = "") -> str | None:
        def create() -> str:
            track = self.tickets.create_track(title, description)
            self.refresh_tracks()
            self.select_track(track.id)
            return track.id

        return self._guard(create)

    def add_ticket(self, title: str, target: str, prompt: str, dependencies: list[str] | str = "",
                   archetype: str = "default", new_file: bool = False) -> str | None:
        draft = TicketDraft(prompt=prompt, target=target, title=title, dependencies=_ids(dependencies),
                            archetype=archetype, new_file=new_file)
        return self._edit_track("ticket added", lambda track_id: self.tickets.add_ticket(track_id, draft).id)

    def edit_ticket(self, ticket_id: str, title: str, target: str, prompt: str, dependencies: list[str] | str,
                    archetype: str, new_file: bool = False) -> str | None:
        changes = TicketChanges(title=title, target=target, prompt=prompt, dependencies=_ids(dependencies),
                                archetype=archetype, new_file=new_file)
        return self._edit_track("ticket edited",
                                lambda track_id: self.tickets.edit_ticket(track_id, ticket_id, changes).id)

    def block_ticket(self, ticket_id: str, reason: str) -> None:
        self._edit_track("ticket blocked", lambda track_id: self.tickets.block(track_id, ticket_id, reason), ticket_id)

    def unblock_ticket(self, ticket_id: str) -> None:
        self._edit_track("ticket unblocked", lambda track_id: self.tickets.unblock(track_id, ticket_id), ticket_id)

    def retry_ticket(self, ticket_id: str) -> None:
        self._edit_track("ticket retried", lambda track_id: self.tickets.unblock(track_id, ticket_id, retry=True),
                         ticket_id)

    def release_claim(self, ticket_id: str) -> None:
        """Take a ticket back from the outside agent that claimed it (pending again)."""
        self._edit_track("claim released", lambda track_id: self.tickets.release(track_id, ticket_id), ticket_id)

    def complete_ticket(self, ticket_id: str, summary: str = "") -> None:
        """Mark done by hand (a pending, paused or blocked ticket); its dependents unlock."""
        self._edit_track("ticket marked done", lambda track_id: self.tickets.complete(track_id, ticket_id, summary),
                         ticket_id)

    def _edit_track(self, what: str, change: Callable[[str], object], ticket_id: str | None = None) -> str | None:
        """Apply ``change`` (given the selected track's id) through the ticket service, then show the result;
        without ``ticket_id``, ``change`` returns the id of the ticket it made or changed."""
        track = self.state.track
        if track is None:
            self.state.notify("select a track first")
            return None
        if self.running:
            self.state.notify("stop the run before editing tickets")
            return None

        def apply() -> str:
            result = change(track.id)
            changed = ticket_id or str(result)
            self.select_track(track.id)
            self.state.selected_ticket = changed
            self.refresh_tracks()
            self.state.notify(f"{what}: {changed}")
            return changed

        return self._guard(apply)

    def _guard(self, action: Callable[[], str]) -> str | None:
        try:
            return action()
        except (ConductorError, ValueError, ViewError) as error:
            self.state.notify(f"error: {error}")
            return None

    # -- the engine --------------------------------------------------------------------------------------
    def run(self) -> bool:
        if self.running:
            return False
        if self.state.track is None:
            self.state.notify("select a track first")
            return False
        self.gate = QueueGate()
        self.engine = self.engine_factory(self.config, self.state.track.id, self.gate, subscribers=[self.events],
                                          auto=self.state.mode == "auto", store=self.store)
        try:
            self.engine.preflight()
        except ConductorError as error:
            self.state.notify(f"cannot run: {error}")
            return False
        self.state.engine = "running"
        self.state.notify("starting")
        self._thread = threading.Thread(target=self._run_engine, args=(self.engine,), name="conductor-engine",
                                        daemon=True)
        self._thread.start()
        return True

    def _run_engine(self, engine: ConductorEngine) -> None:
        try:
            engine.run()
        except Exception as error:  # any failure ends up on the status line, not in a dead thread
            self.events.notify(RunPaused(track=engine.track_id, reason=f"error: {error}"))

    def pause(self) -> None:
        if self.engine is not None and self.running:
            self.engine.stop()
            self.state.engine = "stopping"
            self.state.notify("stopping after the current step")

    def set_mode(self, mode: str) -> None:
        """Step or auto, live: switching to auto also approves the call that is waiting."""
        self.state.mode = mode
        if self.engine is not None:
            self.engine.policy.force_auto = mode == "auto"
            if mode == "auto" and self.state.approval.pending is not None:
                self.approve()
        self.state.touch("tickets")

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """For scripts and tests: let the engine thread finish (events still need `poll`)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    # -- approval ----------------------------------------------------------------------------------------
    def set_edit_text(self, text: str) -> None:
        """Validate the edited JSON as it is typed; the diff follows the edit."""
        approval = self.state.approval
        approval.text = text
        if approval.pending is None or self.engine is None:
            return
        try:
            preview = self.engine.preview_edit(approval.pending, text)
        except ToolArgumentError as error:
            approval.error, approval.diff = str(error), None
        else:
            approval.error = preview.preview_error
            approval.diff = preview.diff
        approval.edited = text.strip() != approval.pending.arguments_json().strip()
        self.state.touch("approval")

    def approve(self) -> None:
        """Approve what the box shows: the call as the model made it, or as edited. An edit that does not
        validate is refused with its error, and nothing runs."""
        approval = self.state.approval
        if approval.pending is None:
            return
        try:
            arguments = parse_edited_json(approval.pending.call.name, approval.text)
        except ToolArgumentError as error:
            approval.error = str(error)
            self.state.touch("approval")
            self.state.notify(f"not approved: {error}")
            return
        if arguments == approval.pending.call.arguments:
            self._decide(Decision(action="approve", decided_by="gui"))
        else:
            self._decide(Decision(action="edit", arguments=arguments, decided_by="gui"))

    def reject(self, reason: str) -> None:
        self._decide(Decision(action="reject", reason=reason.strip() or "rejected in the GUI", decided_by="gui"))

    def _decide(self, decision: Decision) -> None:
        pending = self.state.approval.pending
        if pending is None or self.gate is None:
            return
        self.gate.submit(pending.id, decision)
        self.state.notify(f"{decision.action} sent")

    # -- files ---------------------------------------------------------------------------------------------
    def refresh_files(self) -> None:
        listing = directory_map(self.root, self.root, max_entries=20_000).splitlines()
        tracks = self.config.tracks_path
        hidden = tracks.relative_to(self.root).as_posix() + "/" if tracks.is_relative_to(self.root) else None
        self.state.files.files = [p for p in listing if not p.endswith("/") and not p.startswith("... ")
                                  and not (hidden and p.startswith(hidden))]
        self.state.touch("files")

    def select_file(self, path: str, line: int | None = None) -> None:
        self.state.files.selected = path
        self.state.files.tokens = {}
        self.state.files.line = line
        self.load_file_view()

    def open_at(self, path: str, line: int | None) -> None:
        """Show a file's raw text at a line (a failure's place, clicked in the Tier 4 panel)."""
        self.state.files.kind = "raw"
        self.select_file(path, line)

    def set_view_kind(self, kind: ViewKind) -> None:
        self.state.files.kind = kind
        self.load_file_view()

    def load_file_view(self) -> None:
        files = self.state.files
        if files.selected is None:
            return
        files.error = None
        for kind in ("skeleton", "curated", "raw"):
            try:
                files.tokens[kind] = self.cache.view(files.selected, kind).tokens
            except ViewError:
                files.tokens.pop(kind, None)
        try:
            files.text = self.cache.view(files.selected, files.kind).text
        except ViewError as error:
            files.text, files.error = "", str(error)
        self.state.touch("view", "files")

    def load_output(self, output_id: str) -> str:
        if self.state.track is None:
            return ""
        try:
            return self.store.load_output(self.state.track.id, output_id)
        except ConductorError as error:
            return str(error)

    def history(self, ticket_id: str) -> list[tuple[str, Path]]:
        """The ticket's archived runs, oldest first, each labelled with when and how it ended (from the ledger)."""
        if self.state.track is None:
            return []
        track_id = self.state.track.id
        endings = {event.get("history"): event for event in self.store.ledger(track_id).read()
                   if event.get("event") in ("ticket_completed", "ticket_blocked") and event.get("history")}
        runs = []
        for path in self.store.histories(track_id, ticket_id):
            ending = endings.get(path.name)
            when = (ending or {}).get("time", "")[:16].replace("T", " ") or path.stem.split("-", 1)[-1][:13]
            how = {"ticket_completed": "completed", "ticket_blocked": "blocked"}.get((ending or {}).get("event", ""),
                                                                                    "ended")
            why = f": {clip(ending['reason'], 60)}" if ending and ending.get("reason") else ""
            runs.append((f"{when}  {how}{why}", path))
        return runs

    # -- planning ------------------------------------------------------------------------------------------
    def open_plan(self, goal: str = "") -> None:
        plan = self.state.plan
        plan.visible = True
        if goal and not plan.goal:
            plan.goal = goal
        self.state.touch("plan")

    def start_plan(self, goal: str) -> None:
        """Ask the Tier 2 planner for a track for ``goal`` (on a background thread; progress in the panel)."""
        self.state.plan.goal = goal
        self._plan(lambda session: session.start(goal), revision_of=None)

    def revise_remaining(self) -> None:
        """Ask the planner to redo the selected track's tickets that have not started."""
        track = self.state.track
        if track is None:
            self.state.notify("select a track first")
            return
        note = self.state.plan.goal
        self._plan(lambda session: session.start_revision(track.id, note), revision_of=track.id)

    def revise_plan(self, feedback: str) -> None:
        session = self._plan_session
        if session is None or session.result is None:
            self.state.notify("plan first")
            return
        self._plan(lambda s: s.revise(feedback), revision_of=self.state.plan.revision_of, session=session)

    def _plan(self, step: Callable[[PlanSession], PlanResult], revision_of: str | None,
              session: PlanSession | None = None) -> None:
        plan = self.state.plan
        if plan.busy:
            return
        if session is None:
            try:
                tier = self.config.tier2
                if tier is None or tier.provider is None:
                    raise ConductorError("no Tier 2 provider configured: set [tier2] provider in project.toml "
                                         "(or CONDUCTOR_TIER2_PROVIDER)")
                model = create_model(tier, self.config, tier_name="tier2")
                session = PlanSession(self.config, self.store, model, by="gui",
                                      on_progress=lambda text: self._plan_updates.put(("progress", text)))
            except ConductorError as error:
                plan.progress = f"error: {error}"
                self.state.touch("plan")
                return
        self._plan_session = session
        plan.busy, plan.progress, plan.revision_of = True, "asking the planner", revision_of
        self.state.touch("plan")

        def work() -> None:
            try:
                self._plan_updates.put(("result", step(session)))
            except Exception as error:  # shown in the panel, never a dead thread
                self._plan_updates.put(("error", str(error)))

        threading.Thread(target=work, name="conductor-planner", daemon=True).start()

    def _poll_plan(self) -> None:
        plan = self.state.plan
        while not self._plan_updates.empty():
            kind, value = self._plan_updates.get_nowait()
            if kind == "progress":
                plan.progress = str(value)
            elif kind == "error":
                plan.busy, plan.progress = False, f"error: {value}"
            elif isinstance(value, PlanResult) and value.proposal is not None:
                proposal = value.proposal
                plan.busy, plan.edited = False, False
                plan.title, plan.description = proposal.title, proposal.description
                plan.rows = [{"id": t.id, "title": t.title, "target_file": t.target_file, "prompt": t.prompt,
                              "depends_on": " ".join(t.depends_on), "archetype": t.archetype or "",
                              "new_file": t.new_file} for t in proposal.tickets]
                plan.layout += 1
                self._validate_plan()
                session = self._plan_session
                plan.diff = session.revision_diff(proposal) if session else ""
                usage = session.accountant.track if session else None
                plan.progress = (f"proposal after {value.attempts} attempt(s); " + (
                    f"{usage.input_tokens} in / {usage.output_tokens} out tokens" if usage else ""))
            self.state.touch("plan")

    def set_plan_cell(self, row: int, name: str, value: object) -> None:
        """A cell edited in the table: validated at once."""
        plan = self.state.plan
        if not 0 <= row < len(plan.rows):
            return
        plan.rows[row][name] = value
        plan.edited = True
        self._validate_plan()
        self.state.touch("plan")

    def set_plan_title(self, title: str) -> None:
        self.state.plan.title, self.state.plan.edited = title, True
        self._validate_plan()
        self.state.touch("plan")

    def add_plan_row(self) -> None:
        plan = self.state.plan
        numbers = [int(r["id"][1:]) for r in plan.rows if str(r.get("id", ""))[1:].isdigit()]
        plan.rows.append({"id": f"T{max(numbers, default=0) + 1}", "title": "", "target_file": "", "prompt": "",
                          "depends_on": "", "archetype": "", "new_file": False})
        self._changed_rows()

    def remove_plan_row(self, row: int) -> None:
        if 0 <= row < len(self.state.plan.rows):
            del self.state.plan.rows[row]
            self._changed_rows()

    def move_plan_row(self, row: int, offset: int) -> None:
        rows = self.state.plan.rows
        other = row + offset
        if 0 <= row < len(rows) and 0 <= other < len(rows):
            rows[row], rows[other] = rows[other], rows[row]
            self._changed_rows()

    def _changed_rows(self) -> None:
        plan = self.state.plan
        plan.edited = True
        plan.layout += 1
        self._validate_plan()
        self.state.touch("plan")

    def _validate_plan(self) -> None:
        plan = self.state.plan
        try:
            proposal = Proposal.model_validate(plan.proposal_data())
        except ValueError as error:
            plan.problems = [str(error).splitlines()[0]]
            return
        session = self._plan_session
        plan.problems = session.problems(proposal) if session else proposal_problems(
            proposal, self.config, PathGuard.for_project(self.config))

    def accept_plan(self) -> str | None:
        plan, session = self.state.plan, self._plan_session
        if session is None or plan.busy:
            return None
        try:
            track = session.accept(Proposal.model_validate(plan.proposal_data()), edited=plan.edited)
        except (ConductorError, ValueError) as error:
            plan.progress = f"not accepted: {error}"
            self.state.touch("plan")
            return None
        self.state.plan = PlanState()
        self._plan_session = None
        self.refresh_tracks()
        self.select_track(track.id)
        self.state.notify(f"plan accepted: track {track.id}, {len(track.tickets)} tickets")
        self.state.touch("plan")
        return track.id

    def reject_plan(self, reason: str = "") -> None:
        if self._plan_session is not None:
            self._plan_session.reject(reason)
        self.state.plan = PlanState()
        self._plan_session = None
        self.state.notify("plan rejected: nothing was created")
        self.state.touch("plan")

    # -- changes -------------------------------------------------------------------------------------------
    def load_changes(self, ticket_id: str | None = None) -> None:
        """The selected (or given) ticket's whole change, and the calls that made it."""
        ticket_id = ticket_id or self.state.selected_ticket
        changes = self.state.changes
        changes.ticket_id, changes.diff, changes.calls, changes.error = ticket_id, "", [], None
        if self.state.track is not None and ticket_id is not None:
            try:
                changes.diff = self.tickets.diff(self.state.track.id, ticket_id)
                changes.calls = self.tickets.changes_by_call(self.state.track.id, ticket_id)
            except ConductorError as error:
                changes.error = str(error)
        self.state.touch("changes")

    def undo_ticket(self, ticket_id: str, force: bool = False, from_call: str | None = None) -> None:
        """Put back what the ticket changed (``from_call``: restore to before that call)."""
        track = self.state.track
        if track is None or self.running:
            self.state.notify("stop the run before undoing" if self.running else "select a track first")
            return
        try:
            restored = self.tickets.undo(track.id, ticket_id, force=force, from_call=from_call)
        except ConductorError as error:
            self.state.notify(f"error: {error}")
        else:
            self.state.notify(f"restored {', '.join(restored)}")
            self.state.files.stale = self.state.files.stale_tree = True
        self.load_changes(ticket_id)

    def history_messages(self, path: Path) -> list[Message]:
        """An archived conversation of the selected track ([] when it cannot be read)."""
        try:
            return self.store.load_history(path)
        except (OSError, ValueError) as error:
            self.state.notify(f"error: {path.name}: {error}")
            return []

    # -- settings -------------------------------------------------------------------------------------------
    def apply_settings(self, values: dict[str, Any]) -> bool:
        """Apply `tier3.provider`-style keys to this session's configuration (validated); False on error."""
        if self.running:
            self.state.notify("stop the run before changing settings")
            return False
        merged = {**self.overrides, **{k: v for k, v in values.items() if v not in (None, "")}}
        try:
            self.config = load_project_config(self.root, merged)
        except ConfigError as error:
            self.state.notify(f"error: {error}")
            return False
        self.overrides = merged
        self.tickets = TicketService(self.config, self.store, by="gui")
        self.state.touch("settings")
        self.state.notify("settings applied to this session")
        return True

    def save_settings(self, values: dict[str, Any]) -> bool:
        """Apply, then write the values into project.toml (comments and other keys kept)."""
        values = {k: v for k, v in values.items() if v not in (None, "")}
        if not self.apply_settings(values):
            return False
        write_project_settings(self.root / PROJECT_FILE, values)
        for key in values:
            self.overrides.pop(key, None)  # the file holds them now
        self.state.notify(f"settings saved to {PROJECT_FILE}")
        return True


def write_project_settings(path: Path, values: dict[str, Any]) -> None:
    """Set dotted keys (`tier3.model`) in project.toml, keeping the rest of the file and its comments."""
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    for dotted, value in values.items():
        *sections, key = dotted.split(".")
        table = document
        for section in sections:
            if section not in table:
                table[section] = tomlkit.table()
            table = table[section]
        table[key] = value
    atomic_write(path, tomlkit.dumps(document))


def _ids(dependencies: list[str] | str) -> list[str]:
    if isinstance(dependencies, str):
        dependencies = dependencies.replace(",", " ").split()
    return [d.strip() for d in dependencies if d.strip()]

"""The window's actions as plain method calls (no dearpygui): tests drive these without a window.

`Controller` owns the project, its tracks and tickets and the engine thread; the approval panel, the code browser
and the Plan panel each have their own controller (`approval`, `files`, `plan`). The engine runs on a background
thread; its events come through one EventQueue drained by `poll()` once per frame, and decisions go back through
the QueueGate. No background thread touches the view state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conductor.cli_args import PROJECT_FILE
from conductor.config import ConfigError, ProjectConfig, load_project_config, write_project_settings
from conductor.engine import ConductorEngine
from conductor.errors import ConductorError
from conductor.events import EventQueue, RunPaused, TicketBlocked, TicketCompleted, typed_events
from conductor.gate import QueueGate
from conductor.messages import Message
from conductor.project_trust import notice, record_trust
from conductor.store import TrackStore
from conductor.text import clip
from conductor.tickets import TicketChanges, TicketDraft, TicketService
from file_cache import FileCache, ViewError
from gui.approvals import ApprovalController
from gui.browser import FileBrowser
from gui.planning import PlanController
from gui.state import TrackRow, ViewState


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
        self.approval = ApprovalController(self)
        self.files = FileBrowser(self)
        self.plan = PlanController(self)
        self._note_withheld()
        self.refresh_tracks()
        if self.state.tracks:
            self.select_track(self.first_unfinished_track() or self.state.tracks[0].id)
        self.files.refresh()

    # -- frame -----------------------------------------------------------------------------------------
    def poll(self, limit: int = 500) -> int:
        """Apply the engine's pending events (at most ``limit`` per frame); returns how many were applied."""
        events = self.events.drain(limit)
        for event in events:
            self.state.apply(event)
        self.approval.poll()
        self.plan.poll()
        if self._thread is not None and not self._thread.is_alive():
            self._thread = None
            if self.state.engine in ("running", "stopping", "waiting"):
                self.state.engine = "idle"
                self.state.notify(self.state.message or "engine stopped", alert=self.state.alert)
            self.refresh_tracks()
        if self.state.files.stale:
            self.state.files.stale = False
            self.files.load()
        if self.state.files.stale_tree:
            self.state.files.stale_tree = False
            self.files.refresh()
        return len(events)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- tracks and tickets ------------------------------------------------------------------------------
    def refresh_tracks(self) -> None:
        self.state.tracks = [TrackRow(row.id, f"unreadable: {row.error}" if row.error else row.title, row.status,
                                      row.completed, row.tickets) for row in self.store.summaries()]
        self.state.touch("tracks")

    def first_unfinished_track(self) -> str | None:
        return next((row.id for row in self.state.tracks if row.status not in ("completed", "error")), None)

    def select_track(self, track_id: str) -> None:
        if self.running:
            self.state.notify("stop the run before switching tracks")
            return
        try:
            self.state.track = self.store.load(track_id)
        except ConductorError as error:
            self.state.track = None
            self.state.notify(str(error), alert=True)
        else:  # usage, hints and endings of the whole track, not only this window's
            self.state.load_history(typed_events(self.store.ledger(track_id).read()))
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
        except Exception as error:  # on the status line, not in a dead thread (the engine logged its traceback)
            self.events.notify(RunPaused(track=engine.track_id, ticket=engine.active_ticket_id,
                                         reason=f"error: {type(error).__name__}: {error} (traceback in the log)"))

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
                self.approval.approve()
        self.state.touch("tickets")

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """For scripts and tests: let the engine thread finish (events still need `poll`)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

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
            self.refresh_tracks()
            self.state.files.stale = self.state.files.stale_tree = True
        self.load_changes(ticket_id)

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
        endings: dict[str, TicketCompleted | TicketBlocked] = {
            event.history: event for event in typed_events(self.store.ledger(track_id).read())
            if isinstance(event, TicketCompleted | TicketBlocked) and event.history}
        runs = []
        for path in self.store.histories(track_id, ticket_id):
            ending = endings.get(path.name)
            if ending is None:
                runs.append((f"{path.stem.split('-', 1)[-1][:13]}  ended", path))
                continue
            when = ending.time.astimezone().strftime("%Y-%m-%d %H:%M")
            how = "completed" if isinstance(ending, TicketCompleted) else f"blocked: {clip(ending.reason, 60)}"
            runs.append((f"{when}  {how}", path))
        return runs

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
        write_project_settings(self.root, values)
        for key in values:
            self.overrides.pop(key, None)  # the file holds them now
        self.state.notify(f"settings saved to {PROJECT_FILE}")
        return True

    def reload_config(self) -> None:
        """Read project.toml again (after the window wrote to it); a running engine's policy sees new rules."""
        self.config = load_project_config(self.root, self.overrides)
        self.tickets = TicketService(self.config, self.store, by="gui")
        if self.engine is not None:
            self.engine.policy.config = self.config
        self._note_withheld()

    # -- project trust --------------------------------------------------------------------------------------
    def _note_withheld(self) -> None:
        self.state.untrusted = [grant.describe() for grant in self.config.withheld]
        self.state.touch("trust")

    def trust_settings(self) -> None:
        """Trust what the dialog showed: from now on those settings of project.toml act (a run that is going on
        sees them at its next call)."""
        # exactly what the dialog showed: a file changed behind it stays untrusted, and asks again
        record_trust(self.root, self.config.withheld)
        self.reload_config()
        self.state.notify("project settings trusted" if not self.config.ignored
                          else "project.toml changed since it was shown: look again", alert=bool(self.config.ignored))

    def keep_untrusted(self) -> None:
        self.state.untrusted = []
        self.state.touch("trust")
        self.state.notify(notice(self.root, self.config.ignored) if self.config.ignored else "")


def _ids(dependencies: list[str] | str) -> list[str]:
    if isinstance(dependencies, str):
        dependencies = dependencies.replace(",", " ").split()
    return [d.strip() for d in dependencies if d.strip()]

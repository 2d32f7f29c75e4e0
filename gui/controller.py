"""Every action the window offers, as plain method calls (no dearpygui): tests drive these without a window.

The engine runs on a background thread; its events come through one EventQueue drained by `poll()` once per
frame, and decisions go back through the QueueGate. No background thread touches the view state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomlkit

from conductor.commands import check_target, editing
from conductor.config import PROJECT_FILE, ConfigError, ProjectConfig, load_project_config
from conductor.engine import ConductorEngine, EngineEvent, EventQueue
from conductor.errors import ConductorError
from conductor.gate import Decision, QueueGate
from conductor.models import Ticket, Track
from conductor.store import TrackStore, atomic_write
from conductor.tools import ToolArgumentError, parse_edited_json
from file_cache import FileCache, ViewError, directory_map
from gui.state import ViewState


class Controller:
    def __init__(self, project_root: Path, overrides: dict[str, Any] | None = None,
                 engine_factory: type[ConductorEngine] = ConductorEngine) -> None:
        self.root = Path(project_root).resolve()
        self.overrides = dict(overrides or {})
        self.config: ProjectConfig = load_project_config(self.root, self.overrides)
        self.store = TrackStore(self.config.tracks_path)
        self.cache = FileCache(self.root)
        self.state = ViewState(self.root)
        self.events = EventQueue()
        self.engine_factory = engine_factory
        self.engine: ConductorEngine | None = None
        self.gate: QueueGate | None = None
        self._thread: threading.Thread | None = None
        self.refresh_tracks()
        if self.state.tracks:
            self.select_track(self.state.tracks[0]["id"])
        self.refresh_files()

    # -- frame -----------------------------------------------------------------------------------------
    def poll(self, limit: int = 500) -> int:
        """Apply the engine's pending events (at most ``limit`` per frame); returns how many were applied."""
        events = self.events.drain(limit)
        for event in events:
            self.state.apply(event)
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
                rows.append({"id": track_id, "title": f"unreadable: {error}", "status": "error", "done": 0,
                             "total": 0})
                continue
            rows.append({"id": track.id, "title": track.title, "status": str(track.status),
                         "done": track.counts()["completed"], "total": len(track.tickets)})
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

    def new_track(self, title: str, description: str = "") -> str | None:
        return self._guard(lambda: self._new_track(title, description))

    def _new_track(self, title: str, description: str) -> str:
        track = self.store.create(title, description)
        self.refresh_tracks()
        self.select_track(track.id)
        return track.id

    def add_ticket(self, title: str, target: str, prompt: str, dependencies: list[str] | str = "",
                   archetype: str = "default", new_file: bool = False) -> str | None:
        def add(track) -> str:
            if not prompt.strip():
                raise ConductorError("a ticket needs a prompt")
            ticket = Ticket(id=track.next_ticket_id(), title=title.strip() or prompt.strip().splitlines()[0][:60],
                            target_file=check_target(self.config, target.strip(), new_file), prompt=prompt,
                            worker_archetype=archetype.strip() or "default", dependencies=_ids(dependencies))
            track.add_ticket(ticket)
            return ticket.id

        return self._edit_track("ticket_added", add)

    def edit_ticket(self, ticket_id: str, title: str, target: str, prompt: str, dependencies: list[str] | str,
                    archetype: str) -> str | None:
        def edit(track) -> str:
            ticket = track.ticket(ticket_id)
            if ticket.status in ("in_progress", "step_paused", "completed"):
                raise ConductorError(f"ticket {ticket_id} is {ticket.status}; it cannot be edited")
            ticket.title = title.strip() or ticket.title
            ticket.target_file = check_target(self.config, target.strip(), True)
            ticket.prompt = prompt
            ticket.worker_archetype = archetype.strip() or "default"
            track.set_dependencies(ticket_id, _ids(dependencies))
            return ticket_id

        return self._edit_track("ticket_edited", edit)

    def block_ticket(self, ticket_id: str, reason: str) -> None:
        self._edit_track("ticket_blocked", lambda track: track.block(ticket_id, reason.strip() or "blocked by hand"),
                         ticket_id)

    def unblock_ticket(self, ticket_id: str) -> None:
        self._edit_track("ticket_unblocked", lambda track: track.unblock(ticket_id), ticket_id)

    def retry_ticket(self, ticket_id: str) -> None:
        self._edit_track("ticket_retried", lambda track: track.retry(ticket_id), ticket_id)

    def _edit_track(self, event: str, change: Callable[[Track], Any], ticket_id: str | None = None) -> str | None:
        """Apply ``change`` to the selected track under its lock and save it; ``change`` may return the id."""
        track = self.state.track
        if track is None:
            self.state.notify("select a track first")
            return None
        if self.running:
            self.state.notify("stop the run before editing tickets")
            return None

        def apply() -> str:
            with editing(self.store, track.id) as loaded:
                result = change(loaded)
            changed = ticket_id or result
            self.store.ledger(track.id).append(event, ticket=changed, by="gui")
            self.select_track(track.id)
            self.state.selected_ticket = changed
            self.refresh_tracks()
            self.state.notify(f"{event.replace('_', ' ')}: {changed}")
            return changed

        return self._guard(apply)

    def _guard(self, action):
        try:
            return action()
        except (ConductorError, ValueError) as error:
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
        self.engine = self.engine_factory(self.config, self.state.track.id, self.gate, events=self.events,
                                          auto=self.state.mode == "auto", store=self.store)
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
            self.events.publish(EngineEvent("run_paused", engine.track_id, data={"reason": f"error: {error}"}))

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
        self._decide(Decision(action="approve", decided_by="gui"))

    def edit_and_approve(self) -> None:
        approval = self.state.approval
        if approval.pending is None:
            return
        try:
            arguments = parse_edited_json(approval.pending.call.name, approval.text)
        except ToolArgumentError as error:
            approval.error = str(error)
            self.state.touch("approval")
            return
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

    def select_file(self, path: str) -> None:
        self.state.files.selected = path
        self.state.files.tokens = {}
        self.load_file_view()

    def set_view_kind(self, kind: str) -> None:
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

    def history(self, ticket_id: str) -> list[Path]:
        if self.state.track is None:
            return []
        return self.store.histories(self.state.track.id, ticket_id)

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

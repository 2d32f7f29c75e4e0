"""The code browser's actions: the folder tree, a file's views with colours and file line numbers, its outline
(a click jumps to the definition), search within the file. No dearpygui here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from file_cache import ViewError, directory_map
from file_cache.cache import ViewKind
from file_cache.highlight import PYTHON_SUFFIXES, highlight_file
from gui.state import FileViewState

if TYPE_CHECKING:
    from gui.controller import Controller

KINDS: tuple[ViewKind, ...] = ("skeleton", "curated", "raw")


class FileBrowser:
    def __init__(self, owner: Controller) -> None:
        self.owner = owner

    @property
    def state(self) -> FileViewState:
        return self.owner.state.files

    def refresh(self) -> None:
        root, tracks = self.owner.root, self.owner.config.tracks_path
        listing = directory_map(root, root, max_entries=20_000).splitlines()
        hidden = tracks.relative_to(root).as_posix() + "/" if tracks.is_relative_to(root) else None
        self.state.files = [p for p in listing if not p.endswith("/") and not p.startswith("... ")
                            and not (hidden and p.startswith(hidden))]
        self.owner.state.touch("files")

    def set_filter(self, text: str) -> None:
        self.state.filter = text
        self.owner.state.touch("files")

    def toggle_folder(self, folder: str, open_: bool) -> None:
        (self.state.expanded.add if open_ else self.state.expanded.discard)(folder)

    def select(self, path: str, line: int | None = None) -> None:
        files = self.state
        files.selected, files.line = path, line
        parent = path.rpartition("/")[0]
        while parent:  # the tree opens down to the file
            files.expanded.add(parent)
            parent = parent.rpartition("/")[0]
        self.load()
        self.owner.state.touch("files")

    def open_at(self, path: str, line: int | None) -> None:
        """A file's raw text at a line (a failure's place, a definition in the outline)."""
        self.state.kind = "raw"
        self.select(path, line)

    def set_kind(self, kind: ViewKind) -> None:
        self.state.kind = kind
        self.state.line = None
        self.load()

    def jump(self, name: str) -> None:
        """Show a definition of the outline in the raw view, at its first line."""
        for symbol in self.state.outline:
            if symbol.name == name and self.state.selected is not None:
                self.open_at(self.state.selected, symbol.start_line)
                return

    def load(self) -> None:
        """The selected file's view: text, coloured lines with the file's line numbers, token counts, outline."""
        files, cache = self.state, self.owner.cache
        if files.selected is None:
            return
        views, errors = {}, {}
        for kind in KINDS:  # each view once: its tokens for the toggle, its text for the one shown
            try:
                views[kind] = cache.view(files.selected, kind)
            except ViewError as error:
                errors[kind] = str(error)
        files.tokens = {kind: view.tokens for kind, view in views.items()}
        shown = views.get(files.kind)
        files.text, files.error = (shown.text, None) if shown else ("", errors[files.kind])
        python = files.selected.endswith(PYTHON_SUFFIXES)
        files.lines = highlight_file(files.selected, files.text)
        if files.kind in ("skeleton", "curated") and python:
            files.numbers = self._numbers(files.selected, files.kind)
        else:
            files.numbers = list(range(1, len(files.lines) + 1))
        try:
            files.outline = cache.outline(files.selected) if python else []
        except ViewError:
            files.outline = []
        self._find()
        self.owner.state.touch("view", "files")

    def _numbers(self, path: str, kind: Literal["skeleton", "curated"]) -> list[int | None]:
        """Each view line's number in the file (None for lines the view made up, such as `... # Hidden`)."""
        files = self.state
        try:
            numbers = self.owner.cache.view_numbers(path, kind)
        except ViewError:
            numbers = []
        return (numbers + [None] * len(files.lines))[: len(files.lines)]

    # -- search within the file ------------------------------------------------------------------------
    def search(self, needle: str) -> None:
        self.state.search = needle
        self._find()
        self.owner.state.touch("view")

    def next_match(self, step: int = 1) -> None:
        files = self.state
        if files.matches:
            files.match = (files.match + step) % len(files.matches)
            self.owner.state.touch("view")

    def _find(self) -> None:
        files = self.state
        needle = files.search.lower()
        files.matches = [row for row, line in enumerate(files.lines)
                         if needle and needle in "".join(text for text, _ in line).lower()]
        files.match = 0

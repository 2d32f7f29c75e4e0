"""The errors of views, importable without loading the parser (the command line catches them)."""


class ViewError(Exception):
    """A view cannot be produced (path outside the root, missing, binary, not Python)."""


class PathOutsideRootError(ViewError):
    """A path that resolves outside the project root."""


class SymbolNotFoundError(LookupError):
    """A named symbol is not defined in the source; the message lists close names."""

"""Errors a user can act on: the CLI prints their message on one line, never a traceback."""


class ConductorError(Exception):
    """Base for every error the user should see as one clear line."""

"""Sub-command groups of the CLI beyond `view`."""

REGISTRARS: list = []

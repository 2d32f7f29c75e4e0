"""A tiny statistics package: the demo repository Conductor works on."""

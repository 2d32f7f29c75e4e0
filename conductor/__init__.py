"""Conductor: tracks of tickets run by one AI worker at a time, every tool call through an approval gate."""

__version__ = "0.1.0"

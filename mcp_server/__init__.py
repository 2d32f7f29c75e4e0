"""Conductor over the Model Context Protocol: a third front-end beside the window and the terminal."""

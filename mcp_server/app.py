"""`conductor mcp`: registered with the `conductor` command through the `conductor.commands` entry point."""

from __future__ import annotations

import argparse

from conductor.cli_args import add_project_option, project_of


def mcp_command(args: argparse.Namespace) -> int:
    from mcp_server.server import build_server

    build_server(project_of(args)).run("stdio")
    return 0


def register_mcp(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mcp = commands.add_parser("mcp", help="serve views and tickets to other agents over MCP (stdio)")
    add_project_option(mcp)
    mcp.set_defaults(handler=mcp_command)

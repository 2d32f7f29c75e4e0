"""Checks that a view kept every signature: used by the tests and the stdlib benchmark."""

from __future__ import annotations

import ast

from file_cache.parser import reachable_definitions


def signature_table(tree: ast.Module) -> list[tuple[str, str]]:
    """(name, dump of the full signature) for every def/class reachable without entering a function."""
    table = []
    for node in reachable_definitions(tree.body):
        if isinstance(node, ast.ClassDef):
            signature = [node.name, *node.bases, *node.keywords, *node.decorator_list]
        else:
            signature = [type(node).__name__, node.name, node.args, node.returns, *node.decorator_list]
        table.append((node.name, "|".join(_dump(part) for part in signature)))
    return table


def _dump(part: object) -> str:
    if isinstance(part, ast.AST):
        return ast.dump(part)
    return repr(part)


def lost_signatures(source: str, view: str) -> list[str]:
    """Names whose signature is missing from, or different in, ``view``; [] when all are kept."""
    original = signature_table(ast.parse(source))
    kept = signature_table(ast.parse(view))
    if original == kept:
        return []
    kept_set = set(kept)
    return [name for name, signature in original if (name, signature) not in kept_set] or ["<order differs>"]

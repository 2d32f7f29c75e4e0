"""Checks that a view kept every signature: used by the tests and the stdlib benchmark."""

from __future__ import annotations

import ast

from file_cache.parser import ENUM_BASE, reachable_definitions


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


def field_table(tree: ast.Module) -> set[tuple[str, str]]:
    """(class, field) for every class field a skeleton must keep: annotated names (with their annotation),
    `__slots__`, and the members of enum classes."""
    fields = set()
    for node in reachable_definitions(tree.body):
        if not isinstance(node, ast.ClassDef):
            continue
        enum = any(ENUM_BASE.search(ast.unparse(base)) for base in node.bases)
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                fields.add((node.name, f"{statement.target.id}: {ast.dump(statement.annotation)}"))
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(
                    statement.targets[0], ast.Name):
                name = statement.targets[0].id
                if name == "__slots__" or (enum and not name.startswith("_")):
                    fields.add((node.name, name))
    return fields


def lost_fields(source: str, view: str) -> list[str]:
    """`Class.field` for every field missing from, or with another annotation in, ``view``."""
    kept = field_table(ast.parse(view))
    return sorted(f"{cls}.{name.split(':')[0]}" for cls, name in field_table(ast.parse(source)) - kept)

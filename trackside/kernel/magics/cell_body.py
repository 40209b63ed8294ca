"""Run the body of a cell magic the way IPython runs a cell, but let exceptions through.

IPython's own cell magics either run the body with ``shell.run_cell`` (``%%capture``),
which shows the traceback itself and then reports success for the outer cell, or
``exec`` it and print the traceback (``%%time``). ``%%mlflow`` has to know the outcome
and the outer cell has to fail when the body fails, so the body is transformed, parsed,
AST-transformed and compiled with the shell's machinery and the exception propagates
unchanged; ``__tracebackhide__`` keeps this module's frames out of the traceback.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from types import CodeType
from typing import Any

from IPython.core.error import UsageError


@dataclass
class CompiledCell:
    transformed: str
    filename: str
    body: CodeType | None
    last_expr: CodeType | None


def compile_cell(shell: Any, cell: str, first_line: str | None) -> CompiledCell:
    """Transform and compile ``cell``; raises ``SyntaxError`` before anything runs.

    ``first_line`` (the ``%%mlflow …`` line) is cached in front of the body so that
    tracebacks point at the right lines of the notebook cell.
    """
    __tracebackhide__ = True
    transformed = shell.transform_cell(cell)
    prefix = "" if first_line is None else first_line + "\n"
    count = max(int(getattr(shell, "execution_count", 1)) - 1, 0)
    filename = shell.compile.cache(prefix + transformed, count, raw_code=prefix + cell)
    # blank lines in place of the magic line keep line numbers (and SyntaxErrors) right
    tree = shell.compile.ast_parse("\n" * prefix.count("\n") + transformed, filename=filename)
    tree = shell.transform_ast(tree)
    nodes = list(tree.body)
    last = nodes.pop() if nodes and isinstance(nodes[-1], ast.Expr) else None
    flags = getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)
    body = _compile(shell, ast.Module(nodes, []), filename, "exec", flags) if nodes else None
    expr = _compile(shell, ast.Interactive([last]), filename, "single", flags) if last else None
    return CompiledCell(transformed, filename, body, expr)


def _compile(shell: Any, node: ast.AST, filename: str, mode: str, flags: int) -> CodeType:
    with shell.compile.extra_flags(flags):
        code = shell.compile(node, filename, mode)
    if code.co_flags & inspect.CO_COROUTINE:
        raise UsageError("%%mlflow cannot run cells with top-level await")
    return code


def run_compiled(shell: Any, compiled: CompiledCell) -> None:
    """Execute in the user namespace; the last expression is displayed like IPython does."""
    __tracebackhide__ = True
    if compiled.body is not None:
        exec(compiled.body, shell.user_global_ns, shell.user_ns)
    if compiled.last_expr is not None:
        exec(compiled.last_expr, shell.user_global_ns, shell.user_ns)

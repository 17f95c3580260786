"""What a function's `Handler` names: the definition decompose walks, or what the name is instead.

Lambda imports the handler's module and calls the name with `(event, context)`. Anything callable works, so
the name may be:

- a function (the usual case), or a name imported from another module (`from api import handler`);
- an alias of one: `handler = lambda_handler`, `handler = routes.dispatch` (followed to the function);
- an instance of a project class with `__call__` (`handler = Handler()`): its `__call__` method is the handler;
- an object a call builds (`handler = Mangum(app)`, `app = Chalice(...)`, `app = create_app()`): the module
  strategies may read it; when none does, it is reported as what it is (a framework object, a factory's
  result), never as "not found";
- something else decompose cannot walk (a class, a module).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from decompose.analysis.symbols import Definition, ModuleRef, SymbolTable, is_external

FOUND = "function"
FRAMEWORK = "framework"  # an object built by a call (`Mangum(app)`, `create_app()`): module strategies may read it
UNSUPPORTED = "unsupported"  # something decompose cannot walk; `message` says what
MISSING = "missing"
MAX_ALIASES = 8


@dataclass(frozen=True)
class Handler:
    """The resolved handler: `definition` to walk (None when missing or unsupported) and what it is."""

    kind: str
    definition: Definition | None = None
    message: str = ""  # what the handler is instead (for MISSING: why it is not found)


def resolve_handler(symbols: SymbolTable, handler: str) -> Handler:
    """What `module.name` (a Lambda `Handler`) refers to in the project."""
    module, _, name = handler.rpartition(".")
    if module not in symbols.modules:
        return Handler(MISSING, message=f"no module {module}")
    binding = symbols.resolve_global(module, name)
    for _ in range(MAX_ALIASES):
        definition = symbols.definitions.get(binding) if isinstance(binding, str) else None
        if definition is None:
            if (isinstance(binding, str) and is_external(binding)) or isinstance(binding, ModuleRef):
                what = binding.name if isinstance(binding, ModuleRef) else binding.removeprefix("ext:")
                return Handler(UNSUPPORTED, message=f"handler {handler} is {what}, not a function of the project")
            return Handler(MISSING, message=f"{module} defines no {name}")
        if definition.kind in ("function", "method"):
            return Handler(FOUND, definition)
        if definition.kind == "class":
            message = f"handler {handler} is the class {definition.id}: Lambda would call it to build an instance"
            return Handler(UNSUPPORTED, definition, message)
        if definition.kind != "assignment":
            break
        value = getattr(definition.nodes[-1], "value", None)
        if isinstance(value, ast.Name | ast.Attribute):
            binding = symbols.resolve_expression(definition.module, value)
            continue
        if isinstance(value, ast.Call):
            return _built(symbols, handler, definition, value)
        break
    return Handler(UNSUPPORTED, message=f"handler {handler} is not a function decompose can follow")


def _built(symbols: SymbolTable, handler: str, definition: Definition, call: ast.Call) -> Handler:
    """`handler = Something(...)`: a project class with `__call__`, a framework object, or a factory's result."""
    target = symbols.resolve_expression(definition.module, call.func)
    built = ast.unparse(call.func)
    if (isinstance(target, str) and is_external(target)) or isinstance(target, ModuleRef):
        package = target.name if isinstance(target, ModuleRef) else target.removeprefix("ext:")
        message = (
            f"handler {handler} is a framework object ({built}(...) from {package}): decompose does not read"
            " its routes yet"
        )
        return Handler(FRAMEWORK, definition, message)
    cls = symbols.definitions.get(target) if isinstance(target, str) else None
    if cls is not None and cls.kind == "class":
        method = _method(symbols, cls, "__call__")
        if method is not None:
            return Handler(FOUND, symbols.definitions[method])
        message = f"handler {handler} is an instance of {cls.id}, which has no __call__ and no strategy reads"
        return Handler(FRAMEWORK, definition, message)
    if cls is not None and cls.kind in ("function", "method"):
        message = f"handler {handler} is built at run time by {cls.id}(), and no strategy reads what it returns"
        return Handler(FRAMEWORK, definition, message)
    message = f"handler {handler} is built by {built}(...), which decompose cannot follow"
    return Handler(FRAMEWORK, definition, message)


def _method(symbols: SymbolTable, cls: Definition, name: str, depth: int = 0) -> str | None:
    """`name` as `cls` defines or inherits it from a project base class."""
    if name in cls.methods:
        return cls.methods[name]
    node = cls.nodes[0]
    for base in getattr(node, "bases", []) if depth < MAX_ALIASES else []:
        target = symbols.resolve_expression(cls.module, base)
        parent = symbols.definitions.get(target) if isinstance(target, str) else None
        if parent is not None and parent.kind == "class" and (found := _method(symbols, parent, name, depth + 1)):
            return found
    return None

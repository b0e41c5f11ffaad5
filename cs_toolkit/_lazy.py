"""Packages whose names load on first use, so that a command pays only for the parts it uses (scipy,
scikit-learn and papermill each cost a second to import)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping


def lazy_names(package: str, exports: Mapping[str, str], submodules: Iterable[str] = ()
               ) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    ``exports`` maps a public name to the module that defines it: a module of the package (``"model"``)
    or a full module path (``"cs_toolkit.store"``). ``submodules`` are loaded when asked for by name.
    A name, once loaded, is kept in the package's namespace.
    """
    subs = set(submodules)
    names = sorted({*exports, *subs})

    def module_of(path: str) -> str:
        return path if path.startswith("cs_toolkit") else f"{package}.{path}"

    def __getattr__(name: str):
        if name in exports:
            value = getattr(importlib.import_module(module_of(exports[name])), name)
        elif name in subs:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__, names

"""What a model payload may contain: exactly the objects cs_toolkit saves, nothing that can run.

A skops file describes every object as a node (``__loader__``, ``__module__``, ``__class__``). Before
skops builds anything, every node of the payload's ``schema.json`` is checked against an explicit list
of (loader, module, class) triples: NumPy arrays, plain containers (dicts with string keys, lists,
tuples), strings and numbers; that is all a complaint model is made of (no estimator object is saved). Functions, methods, operators, partials,
builtins such as ``exec``/``eval``, other modules and unknown classes are refused by name, never by
prefix. skops is then told to trust only what passed.
"""

from __future__ import annotations

import io
import json
import zipfile

from cs_toolkit.errors import ModelFileError

MAX_SCHEMA_BYTES = 256 * 2**20  # a schema this large is not a complaint model

_CONTAINERS = {
    ("DictNode", "builtins", "dict"),
    ("ListNode", "builtins", "list"),
    ("TupleNode", "builtins", "tuple"),
    ("NdArrayNode", "numpy", "ndarray"),
}
_SCALARS = {("JsonNode", "builtins", name) for name in ("str", "int", "float", "bool", "NoneType")}
# the key type of every dict (skops records it as a type node)
_TYPES = {("TypeNode", "builtins", "str")}
# A complaint model (formats 2 and 3) is arrays, numbers and strings only: no estimator object is saved.
_ESTIMATORS: set[tuple[str, str, str]] = set()
ALLOWED = frozenset(_CONTAINERS | _SCALARS | _TYPES | _ESTIMATORS)


def payload_nodes(blob: bytes) -> list[tuple[str, str, str]]:
    """Every node of a skops payload as (loader, module, class), read from its schema without loading it."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            info = zf.getinfo("schema.json")
            if info.file_size > MAX_SCHEMA_BYTES:
                raise ModelFileError(f"the model's schema is {info.file_size} bytes; refused as not a model")
            schema = json.loads(zf.read(info).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"the model payload is not a skops file ({type(exc).__name__}: {exc})") from exc
    found: list[tuple[str, str, str]] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node or "__class__" in node or "__module__" in node:
                found.append((str(node.get("__loader__")), str(node.get("__module__")), str(node.get("__class__"))))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def check_payload(blob: bytes) -> list[str]:
    """Refuse a payload with any node outside :data:`ALLOWED`; return the type names skops may trust.

    Examples
    --------
    >>> check_payload(b"not a zip")
    Traceback (most recent call last):
    ...
    cs_toolkit.errors.ModelFileError: the model payload is not a skops file (BadZipFile: File is not a zip file)
    """
    nodes = payload_nodes(blob)
    refused = sorted({f"{module}.{name} ({loader})" for loader, module, name in nodes
                      if (loader, module, name) not in ALLOWED})
    if refused:
        raise ModelFileError(f"the model file holds objects a complaint model never contains, refused before "
                             f"loading: {refused[:8]}. Use only model files made by `cs-toolkit complaints train` "
                             f"from a source you trust.", refused=refused)
    return sorted({f"{module}.{name}" for _, module, name in nodes})

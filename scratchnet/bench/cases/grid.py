"""Case variants: one registered case with a few settings changed, named deterministically.

Contract
--------
``variant(case, **params) -> Case`` returns a copy of ``case`` with ``params`` applied and
the name ``base[key=value,...]`` (keys sorted, values written by :func:`format_value`), so
the same settings always give the same name, whatever the order they were passed in.

* A key is either a :class:`~scratchnet.bench.cases.Case` field (``epochs``, ``batch_size``,
  ``shuffle``, ``activations``, ...) or a parameter of the case's optimizer
  (``learning_rate``, ``momentum``, ...), which updates ``optimizer_params`` (added when the
  optimizer had no such entry). ``name``, ``seed_key`` and ``tags`` cannot be set.
* Values are scalars (int, float, str, bool, None) or tuples of scalars; integer fields
  (``epochs``, ``quick_epochs``, ``batch_size``) need an int (bool refused), ``shuffle``
  and ``use_bias`` a bool, optimizer parameters a number (bool allowed for flags such as
  ``nesterov``). Anything else raises ``ValueError`` naming the key and the case.
* Setting ``epochs`` without ``quick_epochs`` drops the case's ``quick_epochs`` so the fast
  profile trains the epochs the variant asks for.
* A variant of a variant merges the settings: ``variant(variant(c, a=1), b=2)`` is
  ``variant(c, a=1, b=2)``; later values win.
* The variant keeps the base case's seeds (``seed_key``): two variants of one case start from
  the same initial weights, so only the changed settings differ. It is tagged ``"variant"``.

``parse_name(name) -> (base, {key: text})`` inverts the naming (values stay text);
``format_value`` is the one place values become text.
"""
from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # cases.py imports this module: no runtime import back
    from scratchnet.bench.cases.registry import Case

VARIANT_TAG = "variant"
_FIXED = ("name", "seed_key", "tags")
_INT_FIELDS = ("epochs", "quick_epochs", "batch_size")
_BOOL_FIELDS = ("shuffle", "use_bias", "equivalent")
_NAME_RE = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<params>[^\[\]]*)\]$")
_SCALARS = (int, float, str, bool, type(None))


def format_value(value: Any) -> str:
    """The text of one setting in a variant name: ``0.05``, ``200``, ``True``, ``None``, ``a/b``."""
    if isinstance(value, tuple):
        return "/".join(format_value(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_name(name: str) -> tuple[str, dict[str, str]]:
    """``"c[epochs=5,learning_rate=0.1]"`` -> ``("c", {"epochs": "5", "learning_rate": "0.1"})``.

    A name without brackets is its own base with no settings.
    """
    match = _NAME_RE.match(name)
    if match is None:
        if "[" in name or "]" in name:
            raise ValueError(f"malformed variant name {name!r}: expected base[key=value,...]")
        return name, {}
    params: dict[str, str] = {}
    for part in match["params"].split(","):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError(f"malformed setting {part!r} in variant name {name!r}")
        params[key] = value
    return match["base"], params


def variant_name(base: str, params: dict[str, Any]) -> str:
    """``base[key=value,...]`` with sorted keys (``base`` alone when ``params`` is empty)."""
    if not params:
        return base
    return f"{base}[{','.join(f'{k}={format_value(params[k])}' for k in sorted(params))}]"


def _check_value(case: "Case", key: str, value: Any, optimizer_param: bool) -> None:
    scalar_ok = isinstance(value, _SCALARS) or (
        isinstance(value, tuple) and all(isinstance(v, _SCALARS) for v in value))
    if not scalar_ok:
        raise ValueError(f"variant of {case.name}: {key}={value!r} is not a scalar or a tuple of scalars")
    if optimizer_param:
        if not isinstance(value, (int, float)):
            raise ValueError(f"variant of {case.name}: optimizer parameter {key} needs a number, got {value!r}")
    elif key in _INT_FIELDS:
        if isinstance(value, bool) or not (isinstance(value, int) or (key != "epochs" and value is None)):
            raise ValueError(f"variant of {case.name}: {key} needs an int, got {value!r}")
        if value is not None and value < 1:
            raise ValueError(f"variant of {case.name}: {key} must be >= 1, got {value}")
    elif key in _BOOL_FIELDS and not isinstance(value, bool):
        raise ValueError(f"variant of {case.name}: {key} needs a bool, got {value!r}")


def variant(case: "Case", **params: Any) -> "Case":
    """``case`` with ``params`` changed, named ``base[key=value,...]`` (see the module docstring)."""
    if not params:
        raise ValueError(f"variant of {case.name}: give at least one setting to change")
    fields = {f.name for f in dataclasses.fields(case)}
    optimizer = dict(case.optimizer_params)
    base, previous = parse_name(case.name)
    changes: dict[str, Any] = {}
    for key, value in params.items():
        if key in _FIXED:
            raise ValueError(f"variant of {case.name}: {key!r} cannot be set by a variant")
        is_field = key in fields
        if not is_field and key not in _optimizer_keys(case):
            raise ValueError(f"variant of {case.name}: unknown setting {key!r}; use a Case field "
                             f"({', '.join(sorted(fields - set(_FIXED)))}) or an optimizer parameter "
                             f"({', '.join(sorted(_optimizer_keys(case)))})")
        _check_value(case, key, value, optimizer_param=not is_field)
        if is_field:
            changes[key] = value
        else:
            optimizer[key] = value
    if "epochs" in params and "quick_epochs" not in params:
        changes["quick_epochs"] = None
    if optimizer != dict(case.optimizer_params):
        changes["optimizer_params"] = tuple(optimizer.items())
    settings = {**previous, **{k: format_value(v) for k, v in params.items()}}
    tags = case.tags if VARIANT_TAG in case.tags else (*case.tags, VARIANT_TAG)
    return dataclasses.replace(case, name=variant_name(base, settings), seed_key=case.seed_key or base,
                               tags=tags, **changes)


def _optimizer_keys(case: "Case") -> set[str]:
    """Parameters the case's optimizer accepts (its constructor's keyword arguments)."""
    import inspect

    from scratchnet.optimizers import OPTIMIZERS  # the classes the registry builds (registry._OPTIMIZER_CLASSES)

    sig = inspect.signature(OPTIMIZERS[case.optimizer].__init__)
    return {p for p in sig.parameters if p != "self"}

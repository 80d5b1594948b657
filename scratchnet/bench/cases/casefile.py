"""Your own cases without editing the package: TOML case files and a ``scratchnet.cases`` plugin group.

A case file is TOML with one ``[[case]]`` table per case. Its keys are the fields of
:class:`scratchnet.bench.cases.Case` (same names, same meaning); lists become tuples::

    [[case]]
    name = "houses-2-3-1"                  # must not clash with a registered case
    description = "My houses: rooms, income -> price"
    units = [3, 1]                         # Dense layers, output last
    activations = ["sigmoid", "sigmoid"]
    loss = "mse"
    optimizer = "sgd"                      # sgd | adam | rmsprop
    optimizer_params = { learning_rate = 0.05 }
    batch_size = 1                         # an integer, or "full"
    epochs = 20
    kernel_initializer = { name = "random_uniform", minval = 0.0, maxval = 1.0 }   # or a name

    [case.dataset]                         # or dataset = "moons" (a shipped dataset)
    source = "csv"
    path = "houses.csv"                    # relative to the case file
    features = ["rooms", "income"]
    targets = ["price"]
    scaling = "minmax"                     # none | minmax | standard (fitted on the training rows)
    scale_targets = true                   # default false
    test_size = 0.25                       # split fraction
    seed = 0                               # split random_state

Every problem -- an unknown or missing field, a value of the wrong type, an unknown
activation, loss, optimizer or initializer, a CSV column that is not in the file,
non-numeric data -- raises :class:`CaseFileError` naming the file, the case and the field.
Parsing loads each case's dataset once (to check columns and data) and builds its model
once (to check the rest); it writes nothing. :func:`register` adds parsed cases to the
registry (:data:`scratchnet.bench.cases.CASES`) so every command finds them by name.

Top-level tables are dispatched through :data:`TABLES` (``"case"`` here); another kind of
table is added there with its own parser. ``[grid]`` (``learning_rate = [0.01, 0.05]``) is
checked here and expanded by ``run`` like ``--grid`` (:mod:`scratchnet.bench.cases.sweep`).

Installed plugins declare cases under the entry-point group ``scratchnet.cases``: each
entry point loads a callable returning Case objects, or an iterable of them
(:func:`plugin_cases`).
"""
from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from scratchnet.bench.cases import registry as _cases
from scratchnet.bench.cases.registry import Case

__all__ = ["CaseFileError", "load_case_file", "parse_case_table", "plugin_cases", "register", "TABLES",
           "ENTRY_POINT_GROUP", "load_user_cases"]

ENTRY_POINT_GROUP = "scratchnet.cases"
_CSV_KEYS = {"source": str, "path": str, "features": list, "targets": list, "scaling": str,
             "scale_targets": bool, "test_size": float, "seed": int, "task": str}
_CSV_REQUIRED = ("path", "features", "targets")


class CaseFileError(ValueError):
    """A case file (or plugin) is malformed; the message names the file, case and field."""


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise CaseFileError("reading case files on Python 3.10 needs the 'tomli' package") from None
    return tomllib


# -- field conversion ------------------------------------------------------------------------
def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(Case)


def _kind(value: Any) -> str:
    return type(value).__name__


def _convert(value: Any, hint: Any, where: str) -> Any:
    """Convert a TOML value to the Case field type ``hint`` (str, int, float, bool, tuples, unions)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        errors = []
        for option in args:
            if option is type(None):
                continue
            try:
                return _convert(value, option, where)
            except CaseFileError as exc:
                errors.append(str(exc))
        raise CaseFileError(errors[0] if len(errors) == 1 else f"{where}: {value!r} has the wrong type")
    if hint is bool:
        if not isinstance(value, bool):
            raise CaseFileError(f"{where} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CaseFileError(f"{where} must be an integer, got {_kind(value)} {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise CaseFileError(f"{where} must be a finite number, got {_kind(value)} {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise CaseFileError(f"{where} must be a string, got {_kind(value)} {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise CaseFileError(f"{where} must be a list, got {_kind(value)} {value!r}")
        item = args[0] if args else Any
        return tuple(value if item is Any else _convert(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    return value  # a type this parser does not know: passed through, Case validates it


def _initializer(value: Any, where: str) -> str | tuple:
    import scratchnet as sn

    known = sorted(sn.initializers.INITIALIZERS)
    if isinstance(value, str):
        name, params = value, {}
    elif isinstance(value, dict) and isinstance(value.get("name"), str):
        name, params = value["name"], {k: v for k, v in value.items() if k != "name"}
    else:
        raise CaseFileError(f"{where} must be an initializer name or a table with a 'name', got {value!r}")
    if name not in sn.initializers.INITIALIZERS:
        raise CaseFileError(f"{where}: unknown initializer {name!r}; valid: {known}")
    try:
        sn.initializers.INITIALIZERS[name](**params)
    except (TypeError, ValueError) as exc:
        raise CaseFileError(f"{where}: {exc}") from None
    return name if not params else (name, tuple(sorted(params.items())))


def _dataset(value: Any, where: str, base: Path) -> tuple[str, tuple[tuple[str, object], ...]]:
    from scratchnet.bench.datasets.registry import LOADERS

    if isinstance(value, str):
        if value not in LOADERS or value == "csv":
            raise CaseFileError(f"{where}: unknown dataset {value!r}; shipped datasets: "
                                f"{[n for n in LOADERS if n != 'csv']}, or a [case.dataset] table with "
                                "source = \"csv\"")
        return value, ()
    if not isinstance(value, dict):
        raise CaseFileError(f"{where} must be a dataset name or a table, got {value!r}")
    source = value.get("source", "csv")
    if source != "csv":
        if source not in LOADERS:
            raise CaseFileError(f"{where}.source: unknown dataset source {source!r}; valid: csv or {list(LOADERS)}")
        return source, tuple(sorted((k, v) for k, v in value.items() if k != "source"))
    for key in _CSV_REQUIRED:
        if key not in value:
            raise CaseFileError(f"{where}: missing field {key!r} (a csv dataset needs {list(_CSV_REQUIRED)})")
    params: dict[str, object] = {}
    for key, raw in value.items():
        if key not in _CSV_KEYS:
            raise CaseFileError(f"{where}: unknown field {key!r}; a csv dataset takes {sorted(_CSV_KEYS)}")
        if key == "source":
            continue
        if _CSV_KEYS[key] is list:
            if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
                raise CaseFileError(f"{where}.{key} must be a non-empty list of column names, got {raw!r}")
            params[key] = tuple(raw)
        else:
            params[key] = _convert(raw, _CSV_KEYS[key], f"{where}.{key}")
    path = Path(str(params["path"]))
    params["path"] = str(path if path.is_absolute() else (base / path).resolve())
    return "csv", tuple(sorted(params.items()))


# -- one case ----------------------------------------------------------------------------------
def parse_case_table(table: Any, where: str, base: Path, check_data: bool = True) -> Case:
    """One ``[[case]]`` table -> Case. ``where`` prefixes messages (file and case)."""
    import scratchnet as sn

    if not isinstance(table, dict):
        raise CaseFileError(f"{where}: a case must be a table, got {table!r}")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CaseFileError(f"{where}: missing field 'name' (a non-empty string)")
    where = f"{where}: case {name!r}"
    fields = {f.name: f for f in dataclasses.fields(Case)}
    hints = _field_types()
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise CaseFileError(f"{where}: unknown field(s) {unknown}; a case takes {sorted(fields)}")
    required = [n for n, f in fields.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [n for n in required if n not in table]
    if missing:
        raise CaseFileError(f"{where}: missing field(s) {missing}")
    values: dict[str, Any] = {}
    for key, raw in table.items():
        at = f"{where} field {key!r}"
        if key == "dataset":
            values["dataset"], params = _dataset(raw, at, base)
            if params:
                values["dataset_params"] = params
        elif key == "dataset_params":
            if not isinstance(raw, dict):
                raise CaseFileError(f"{at} must be a table")
            values[key] = tuple(sorted(raw.items()))
        elif key == "optimizer_params":
            if not isinstance(raw, dict):
                raise CaseFileError(f"{at} must be a table, e.g. {{ learning_rate = 0.05 }}")
            for k, v in raw.items():
                if isinstance(v, bool):
                    continue
                _convert(v, float, f"{at}.{k}")
            values[key] = tuple(raw.items())
        elif key in ("kernel_initializer", "bias_initializer"):
            values[key] = _initializer(raw, at)
        elif key == "batch_size":
            if raw == "full":
                values[key] = None
            elif isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
                raise CaseFileError(f"{at} must be an integer >= 1 or \"full\", got {raw!r}")
            else:
                values[key] = raw
        else:
            values[key] = _convert(raw, hints[key], at)
    if "dataset_params" in table and isinstance(table["dataset"], dict):
        raise CaseFileError(f"{where}: give dataset parameters in the [case.dataset] table, not dataset_params")
    for key in ("units",):
        if any(u < 1 for u in values[key]):
            raise CaseFileError(f"{where} field 'units': every layer needs >= 1 unit, got {list(values[key])}")
    for i, act in enumerate(values["activations"]):
        if act not in sn.activations.ACTIVATIONS:
            raise CaseFileError(f"{where} field 'activations'[{i}]: unknown activation {act!r}; "
                                f"valid: {sorted(sn.activations.ACTIVATIONS)}")
    if values["loss"] not in sn.losses.LOSSES:
        raise CaseFileError(f"{where} field 'loss': unknown loss {values['loss']!r}; valid: {sorted(sn.losses.LOSSES)}")
    if values["optimizer"] not in _cases._OPTIMIZER_CLASSES:
        raise CaseFileError(f"{where} field 'optimizer': unknown optimizer {values['optimizer']!r}; "
                            f"valid: {sorted(_cases._OPTIMIZER_CLASSES)}")
    if values.get("dtype", "float64") not in ("float32", "float64"):
        raise CaseFileError(f"{where} field 'dtype' must be \"float32\" or \"float64\", got {values['dtype']!r}")
    try:
        case = Case(**values)
    except (TypeError, ValueError) as exc:
        raise CaseFileError(f"{where}: {exc}") from None
    if check_data:
        _check_buildable(case, where)
    return case


def _check_buildable(case: Case, where: str) -> None:
    """Load the dataset and build the model once, so that every error shows up now, named."""
    from scratchnet.bench.datasets.registry import load_dataset

    try:
        ds = load_dataset(case.dataset, **dict(case.dataset_params))
    except ValueError as exc:
        raise CaseFileError(f"{where} field 'dataset': {exc}") from None
    if case.units[-1] != ds.n_outputs:
        raise CaseFileError(f"{where} field 'units': the output layer has {case.units[-1]} unit(s) but the "
                            f"dataset has {ds.n_outputs} target column(s)")
    try:
        _cases.build_model(case, 0, n_features=ds.n_features)
    except (TypeError, ValueError) as exc:
        raise CaseFileError(f"{where}: the model cannot be built: {exc}") from None


# -- files ---------------------------------------------------------------------------------------
def _parse_cases(value: Any, where: str, base: Path) -> list[Case]:
    if not isinstance(value, list):
        raise CaseFileError(f"{where}: 'case' must be an array of tables ([[case]]), got {_kind(value)}")
    return [parse_case_table(t, where if isinstance(t, dict) and "name" in t else f"{where}: [[case]] #{i + 1}",
                             base) for i, t in enumerate(value)]


# top-level table name -> parser(value, where, base directory) -> cases
TABLES: dict[str, Callable[[Any, str, Path], list[Case]]] = {"case": _parse_cases}
def grid_table(value: Any, where: str) -> dict[str, list[str]]:
    """A case file's ``[grid]`` table (``key = [v1, v2]`` or ``key = v``) as ``{key: [text]}``."""
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{where}: [grid] must be a table of KEY = [VALUE, ...], e.g. learning_rate = [0.01, 0.05]")
    grid: dict[str, list[str]] = {}
    for key, values in value.items():
        values = values if isinstance(values, list) else [values]
        if not values or any(isinstance(v, (dict, list)) for v in values):
            raise ValueError(f"{where}: [grid] {key}: expected a list of numbers, booleans or strings, got {values!r}")
        texts = [str(v) for v in values]
        if len(set(texts)) != len(texts):
            raise ValueError(f"{where}: [grid] {key}: repeated value in {texts}")
        grid[key] = texts
    return grid


def case_file_grid(value: Any, where: str, base: Any) -> list:
    """``casefile.TABLES`` parser for ``[grid]``: checks the table; it defines no case."""
    grid_table(value, where)
    return []


TABLES["grid"] = case_file_grid  # [grid]: KEY = [values]; expanded by `run` like --grid (scratchnet.bench.cases.sweep)


def load_case_file(path: str | Path) -> list[Case]:
    """Parse and validate every case of the TOML file at ``path`` (nothing is registered)."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CaseFileError(f"{where}: no such case file") from None
    except OSError as exc:
        raise CaseFileError(f"{where}: cannot read: {exc}") from None
    toml = _toml()
    try:
        doc = toml.loads(raw.decode("utf-8"))
    except (toml.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"{where}: not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - set(TABLES))
    if unknown:
        raise CaseFileError(f"{where}: unknown top-level key(s) {unknown}; a case file holds {sorted(TABLES)}")
    if not doc:
        raise CaseFileError(f"{where}: no [[case]] table")
    found: list[Case] = []
    for key, value in doc.items():
        found += TABLES[key](value, where, path.parent.resolve())
    names = [c.name for c in found]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CaseFileError(f"{where}: case name(s) {dupes} defined more than once")
    return found


def plugin_cases() -> list[Case]:
    """Cases declared by installed packages under the ``scratchnet.cases`` entry-point group."""
    from importlib.metadata import entry_points

    found: list[Case] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name!r} ({ep.value}) in group {ENTRY_POINT_GROUP}"
        try:
            obj = ep.load()
            items = obj() if callable(obj) else obj
            items = list(items)
        except Exception as exc:
            raise CaseFileError(f"{where}: loading it raised {type(exc).__name__}: {exc}") from exc
        for item in items:
            if not isinstance(item, Case):
                raise CaseFileError(f"{where}: yielded a {_kind(item)}, not a scratchnet.bench.cases.Case")
            found.append(item)
    return found


def register(new: Iterable[Case], origin: str = "") -> list[Case]:
    """Add ``new`` to the registry; a name already registered (by another source) is an error."""
    new = list(new)
    for case in new:
        existing = _cases.CASES.get(case.name)
        if existing is not None and existing != case:
            raise CaseFileError(f"{origin or 'user case'}: case name {case.name!r} is already registered; "
                                "choose another name")
    for case in new:
        _cases.CASES[case.name] = case
    return new


def load_user_cases(case_files: Iterable[str | Path] = (), plugins: bool = True) -> list[Case]:
    """Parse every case file (all of them before registering any) and the plugins; register them."""
    parsed: list[tuple[str, list[Case]]] = []
    if plugins:
        parsed.append((f"entry-point group {ENTRY_POINT_GROUP}", plugin_cases()))
    for path in case_files:
        parsed.append((str(path), load_case_file(path)))
    seen: dict[str, str] = {}
    for origin, found in parsed:
        for case in found:
            if case.name in seen and seen[case.name] != origin:
                raise CaseFileError(f"{origin}: case name {case.name!r} is also defined by {seen[case.name]}")
            seen[case.name] = origin
    out: list[Case] = []
    for origin, found in parsed:
        out += register(found, origin)
    return out

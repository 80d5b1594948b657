"""Hyper-parameter grids: ``--grid KEY=V1,V2`` (or a case file's ``[grid]`` table) expanded
into case variants.

Contract
--------
* ``parse_grid(["learning_rate=0.01,0.05", "batch_size=1,8"])`` -> ``{key: [text, ...]}``;
  a malformed item or a repeated key raises ``ValueError`` naming it.
* ``expand(cases, grid)`` -> every selected case crossed with every combination of the
  grid's values, each built by ``grid.variant`` (named ``base[k=v,...]``, keys sorted, base
  seeds kept). Values are converted from text by the type the key needs (integer fields,
  booleans, optimizer parameters as numbers; ``batch_size=full`` means the whole training
  set). An unknown key or a bad value raises ``ValueError`` naming the key, the value and the
  case -- before anything runs. An empty grid returns the cases unchanged.
* ``resolve(name)`` -> the registered case, or the variant a ``base[k=v,...]`` name stands
  for (so a name read back from a table rebuilds its case).
* A case file's ``[grid]`` table (``learning_rate = [0.01, 0.05]``) is the same grid
  (``grid_of_case_files``); ``--grid KEY=...`` replaces a file's values for KEY.
* ``grid_columns(case)`` -> the columns a run of ``case`` records: ``base_case`` and one
  ``grid_<key>`` per varied setting (text as in the name; the report groups and plots them).
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from scratchnet.bench.cases.registry import CASES, Case
from scratchnet.bench.cases.grid import _BOOL_FIELDS, _INT_FIELDS, parse_name, variant

GRID_PREFIX = "grid_"


def parse_grid(items: Sequence[str] | None) -> dict[str, list[str]]:
    """``KEY=V1,V2,...`` items -> ``{KEY: [V1, V2, ...]}`` (order of values kept)."""
    grid: dict[str, list[str]] = {}
    for item in items or ():
        key, sep, values = item.partition("=")
        key = key.strip()
        texts = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key or not texts:
            raise ValueError(f"--grid {item!r}: expected KEY=VALUE[,VALUE...], e.g. learning_rate=0.01,0.05")
        if key in grid:
            raise ValueError(f"--grid {key}: given twice; list all its values in one --grid {key}=...")
        if len(set(texts)) != len(texts):
            raise ValueError(f"--grid {key}: repeated value in {texts}")
        grid[key] = texts
    return grid


def typed(case: Case, key: str, text: str) -> Any:
    """The value ``text`` stands for as setting ``key`` of ``case`` (ValueError naming both)."""
    def bad(kind: str) -> ValueError:
        return ValueError(f"--grid {key}={text}: not {kind} (case {case.name})")

    if key in _INT_FIELDS:
        if key == "batch_size" and text.lower() in ("full", "none"):
            return None
        try:
            return int(text)
        except ValueError:
            raise bad("an integer") from None
    if key in _BOOL_FIELDS:
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise bad("true or false")
    if key in {f for f in Case.__dataclass_fields__}:
        return text  # a text field (e.g. loss); variant() checks what it can
    try:
        value = float(text)
    except ValueError:
        raise bad("a number") from None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def expand(cases: Sequence[Case], grid: Mapping[str, Sequence[str]] | None) -> list[Case]:
    """Each case crossed with every combination of ``grid`` (see the module docstring)."""
    if not grid:
        return list(cases)
    keys = sorted(grid)
    out: list[Case] = []
    for case in cases:
        for combo in itertools.product(*(grid[k] for k in keys)):
            params = {k: typed(case, k, t) for k, t in zip(keys, combo)}
            try:
                out.append(variant(case, **params))
            except ValueError as exc:
                raise ValueError(f"--grid: {exc}") from None
    return out


def resolve(name: str) -> Case:
    """The case called ``name``: registered, or a variant rebuilt from its name."""
    if name in CASES:
        return CASES[name]
    base, params = parse_name(name)
    if base not in CASES or not params:
        raise ValueError(f"unknown case {name!r}")
    case = CASES[base]
    return variant(case, **{k: typed(case, k, t) for k, t in params.items()})


def grid_columns(case: Case) -> dict[str, str]:
    """``base_case`` and ``grid_<key>`` columns for a run of ``case``."""
    base, params = parse_name(case.name)
    return {"base_case": base, **{f"{GRID_PREFIX}{k}": v for k, v in params.items()}}


def grid_of_case_files(paths: Sequence[str]) -> dict[str, list[str]]:
    """The ``[grid]`` tables of the case files, merged (a key in two files is refused by name)."""
    from scratchnet.bench.cases.casefile import _toml, grid_table

    tomllib = _toml()
    grid: dict[str, list[str]] = {}
    origin: dict[str, str] = {}
    for path in paths:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
        if "grid" not in doc:
            continue
        for key, texts in grid_table(doc["grid"], str(path)).items():
            if key in grid:
                raise ValueError(f"{path}: [grid] {key} is also set by {origin[key]}")
            grid[key], origin[key] = texts, str(path)
    return grid


def combined_grid(cli_items: Sequence[str] | None, case_files: Sequence[str] = ()) -> dict[str, list[str]]:
    """The case files' ``[grid]`` tables with ``--grid`` items on top (a ``--grid KEY`` replaces
    the files' values for KEY)."""
    return {**grid_of_case_files(case_files), **parse_grid(cli_items)}

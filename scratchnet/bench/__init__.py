"""The comparison harness: scratchnet against an equivalent Keras model (and every other contender).

Nothing in this package imports TensorFlow at import time; the Keras side is
imported lazily inside the functions that need it.

Layout by concern (``docs/architecture.md`` draws it; ``tests/test_architecture.py`` keeps it
true): ``cli``/``quickstart`` -> ``running`` -> ``report``, ``frameworks`` -> ``parity`` ->
``measures`` -> ``cases`` -> ``datasets``, ``store`` -> the library; an arrow means "may import".

Moved modules: the flat layout of release 0.1 (``scratchnet.bench.runner``,
``scratchnet.bench.foreign``, ...) still imports, for one release, with a ``DeprecationWarning``
naming the new path (:data:`MOVED`). ``scratchnet.bench.cases``, ``.datasets``, ``.store`` and
``.parity`` became packages that re-export what the modules of the same name held, so their
imports are unchanged.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {  # old module -> new module
    **{f"scratchnet.bench.{m}": f"scratchnet.bench.cases.{m}"
       for m in ("casefile", "grid", "claims", "probes", "profiles", "sweep")},
    **{f"scratchnet.bench.{m}": f"scratchnet.bench.store.{m}" for m in ("lock", "validate", "schema")},
    **{f"scratchnet.bench.{m}": f"scratchnet.bench.parity.{m}" for m in ("keras_twin", "check", "foreign")},
    **{f"scratchnet.bench.{m}": f"scratchnet.bench.measures.{m}"
       for m in ("metrics", "targets", "cost_model", "overhead", "reference_loop")},
    **{f"scratchnet.bench.{m}": f"scratchnet.bench.running.{m}"
       for m in ("runner", "suite", "cluster", "memory", "environment", "progress")},
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old module path to the module at its new path (the same module object)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; import it from there (the old path goes in the next release)",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module) -> None:  # the module at the new path is already executed
        pass


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.append(_MovedModules())

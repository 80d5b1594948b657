"""Run many cases (parity gate + timed runs) and keep the result tables up to date.

``run_suite`` plans tasks -- one parity check per case and dtype, one run per case x
framework x mode x seed -- skips those already recorded in the results directory (so an
interrupted suite resumes where it stopped), executes the rest in this process or in
``jobs`` worker processes (joblib), and records each finished task at once through the
results store (``scratchnet.bench.store``: locked, atomic, validated). A failing run is
recorded with its status and the suite goes on.

Several processes may share a results directory: each task is claimed just before it is
dispatched, and one that another live process has claimed (or recorded meanwhile) is left
to it and listed in ``SuiteSummary.left`` -- no task is trained twice.
At the end it re-measures every run of the directory against the shared convergence
target of its case and mode (:func:`scratchnet.bench.measures.targets.update_results`: writes
``targets.csv`` and the target columns of ``runs.csv``), which needs all frameworks' runs.

Parity checks run on the first ``PARITY_ROWS`` training rows for ``PARITY_EPOCHS`` epochs
in float64 for every case (ReLU kinks make float32 parity ill-defined), and also in float32
for float32 cases whose activations are smooth.
"""
from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scratchnet.bench import store
from scratchnet.bench.measures import targets
from scratchnet.bench.parity.keras_twin import keras_available
from scratchnet.bench.cases.registry import CASES, Case, build_model
from scratchnet.bench.running import cores
from scratchnet.bench.running.environment import collect_environment
from scratchnet.bench import frameworks as _frameworks
from scratchnet.bench.running.environment import host_columns
from scratchnet.bench.running.runner import _empty_run_row, dataset_for, run_case
from scratchnet.bench.cases.sweep import grid_columns
from scratchnet.bench.store.schema import FRAMEWORKS, MODES, PARITY_COLUMNS

PARITY_ROWS = 64
PARITY_EPOCHS = 3


@dataclass(frozen=True)
class Task:
    kind: str  # "parity" or "run"
    case: str
    framework: str = ""
    mode: str = ""
    seed: int = 0
    dtype: str = ""

    @property
    def id(self) -> str:
        """Unique task name, used for its claim."""
        return f"{self.kind}|{self.label}"

    @property
    def label(self) -> str:
        if self.kind == "parity":
            return f"parity {self.case} [{self.dtype}]"
        return f"{self.case} {self.framework} {self.mode} seed={self.seed}"


@dataclass
class SuiteSummary:
    done: int
    skipped: int
    statuses: dict[str, int]
    parity_failed: list[str]
    results_dir: Path
    left: list[tuple[str, str]] = field(default_factory=list)  # (task label, why: who runs it)
    notes: list[str] = field(default_factory=list)             # incomplete runs found, repairs


def parity_dtypes(case: Case) -> list[str]:
    smooth = not any(a in ("relu", "leaky_relu") for a in case.activations)
    return ["float64", "float32"] if case.dtype == "float32" and smooth else ["float64"]


def run_parity_for_case(case: Case, dtype: str, epochs: int = PARITY_EPOCHS, rows: int = PARITY_ROWS, *,
                        steps_per_execution: int = 1, jit_compile: bool = False):
    """The parity gate for ``case`` on its first ``rows`` training rows, in ``dtype``, with the
    Keras twin compiled with ``steps_per_execution`` and ``jit_compile``."""
    from scratchnet.bench.parity.gate import check_parity

    ds = dataset_for(case, dtype)
    model = build_model(case, case.seeds(1)[0], dtype=dtype, n_features=ds.n_features)
    n = min(rows, ds.n_train)
    batch = case.batch_size if case.batch_size is not None and case.batch_size < n else None
    return check_parity(model, ds.X_train[:n], ds.y_train[:n], epochs=epochs, batch_size=batch,
                        seed=0, case=case.name, steps_per_execution=steps_per_execution, jit_compile=jit_compile)


def _keras_setting(case: Case, spe: int | None, results_dir) -> tuple[int, bool]:
    """The (steps_per_execution, jit_compile) the ``keras`` contender runs ``case`` with."""
    adapter = _frameworks.get_adapter("keras")
    chosen, jit, _ = adapter.setting_for(case, dataset_for(case), results_dir, spe)
    return chosen, jit


def _execute(task: Task, case: Case, profile: str, epochs: int | None, spe: int | None,
             results_dir: Path | None = None, pin: bool = False) -> tuple[Task, dict]:
    """Run one task where this is called (this process, a joblib or a Dask worker); its rows.
    ``pin``: a ``--jobs`` worker first claims a core of its own (:mod:`.cores`)."""
    if pin:
        cores.claim_core()
    if task.kind == "parity":
        try:
            # the gate checks the maths of the setting the keras contender runs with
            setting, jit = _keras_setting(case, spe, results_dir) if task.framework == "keras" else (spe or 1, False)
            report = run_parity_for_case(case, task.dtype, steps_per_execution=setting, jit_compile=jit)
            return task, {"parity": [report.summary_row()], "parity_epochs": report.epoch_rows()}
        except Exception as exc:  # recorded as a failed check, never a crash
            return _failed(task, case, f"parity check could not run: {type(exc).__name__}: {exc}", profile,
                           epochs)
    record = run_case(case, task.framework, task.seed, task.mode, profile=profile, epochs=epochs,
                      keras_steps_per_execution=spe, results_dir=results_dir)
    record.run.update(host_columns())
    record.run.update(grid_columns(case))
    return task, {"runs": [record.run], "epochs": record.epochs}


def _failed(task: Task, case: Case, message: str, profile: str, epochs: int | None) -> tuple[Task, dict]:
    """The rows of a task that could not run (e.g. its Dask workers kept dying): status error."""
    if task.kind == "parity":
        row = {c: math.nan for c in PARITY_COLUMNS}
        row.update(case=case.name, dtype=task.dtype, passed=False,
                   message=message if message.startswith("parity check could not run")
                   else f"parity check could not run: {message}")
        return task, {"parity": [row], "parity_epochs": []}
    row = _empty_run_row(case, task.framework, task.mode, task.seed,
                         epochs if epochs is not None else case.epochs_for(profile))
    row.update(status="error", message=message, **grid_columns(case))
    return task, {"runs": [row], "epochs": []}


def _case_rows(cases: Iterable[Case], profile: str) -> list[dict]:
    rows = []
    for c in cases:
        rows.append({
            "case": c.name, "description": c.description, "dataset": c.dataset, "architecture": c.architecture,
            "loss": c.loss, "optimizer": c.optimizer_label, "batch_size": c.batch_size or "full",
            "epochs": c.epochs_for(profile), "dtype": c.dtype,
            "target_loss": c.target_loss if c.target_loss is not None else math.nan,
            "equivalent": c.equivalent, "source": c.source, "claim": c.claim,
            "claim_test_mse": c.claim_test_mse if c.claim_test_mse is not None else math.nan,
            "claim_epochs": c.claim_epochs if c.claim_epochs is not None else math.nan,
            "tutorial_of": c.tutorial_of, **grid_columns(c),
        })
    return rows


def _check_profile(results_dir: Path, profile: str, epochs: int | None) -> None:
    env_path = results_dir / "environment.json"
    if not env_path.exists() or not (results_dir / "runs.csv").exists():
        return
    import json

    try:
        env = json.loads(env_path.read_text())
    except (OSError, ValueError):
        return
    if env.get("profile") not in (None, profile) or env.get("epochs_override") != epochs:
        raise ValueError(
            f"{results_dir} holds runs of profile {env.get('profile')!r} (epochs override "
            f"{env.get('epochs_override')}); this run asks for profile {profile!r} (epochs override {epochs}). "
            "Mixing them would corrupt the comparison: choose another --results directory or delete that one."
        )


def plan(cases: Sequence[Case], frameworks: Sequence[str], modes: Sequence[str], n_seeds: int,
         parity: bool, results: Path | store.ResultStore) -> tuple[list[Task], int]:
    """Tasks still to do and how many were skipped because they are already recorded."""
    st = results if isinstance(results, store.ResultStore) else store.ResultStore(results)
    done_runs, done_par = st.done_runs(), st.done_parity()
    tasks, skipped = [], 0
    parity = parity and keras_available()  # the gate checks against Keras: none without it (README)
    for case in cases:
        if parity:
            for dtype in parity_dtypes(case):
                if (case.name, dtype) in done_par:
                    skipped += 1
                else:
                    # the gate uses the keras contender's setting when that contender runs
                    tasks.append(Task("parity", case.name, "keras" if "keras" in frameworks else "", dtype=dtype))
        for seed in case.seeds(n_seeds):
            for mode in modes:
                for fw in frameworks:
                    if (case.name, fw, mode, str(seed)) in done_runs:
                        skipped += 1
                    else:
                        tasks.append(Task("run", case.name, fw, mode, seed, case.dtype))
    return tasks, skipped


def is_recorded(st: store.ResultStore, task: Task) -> bool:
    """Whether ``task`` is recorded as finished in ``st`` now."""
    if task.kind == "parity":
        return (task.case, task.dtype) in st.done_parity()
    return (task.case, task.framework, task.mode, str(task.seed)) in st.done_runs()


def claimed(st: store.ResultStore, tasks: Iterable[Task], left: list[tuple[str, str]],
            notify=None) -> Iterable[Task]:
    """Yield the tasks this process may run, claiming each one as it is taken; the others
    (another live process runs them, or recorded them meanwhile) go to ``left``."""
    for task in tasks:
        why = st.claim(task.id, lambda: is_recorded(st, task))
        if why is None:
            yield task
        else:
            left.append((task.label, why))
            if notify is not None:
                notify(f"not running {task.label}: {why}")


def run_suite(cases: Sequence[Case] | None = None, frameworks: Sequence[str] = FRAMEWORKS,
              modes: Sequence[str] = ("parity",), n_seeds: int = 5, profile: str = "full",
              results_dir: str | Path = "results", jobs: int = 1, parity: bool = True,
              epochs: int | None = None, keras_steps_per_execution: int | None = None,
              progress: bool = True, repair: bool = False, scheduler: str | None = None) -> SuiteSummary:
    """Run (or resume) the suite and return what happened; tables land in ``results_dir``.

    ``scheduler``: run the tasks on a Dask cluster (``scratchnet.bench.running.cluster``: an address
    or ``local:N``) instead of this process / ``jobs`` joblib workers.

    ``keras_steps_per_execution`` None: the ``keras`` contender calibrates its setting per case
    and dtype (cached in ``results_dir/keras_calibration.json``); an integer forces it.
    """
    cases = list(cases) if cases is not None else list(CASES.values())
    for fw in frameworks:
        if fw not in _frameworks.names():
            raise ValueError(f"unknown framework {fw!r}; valid: {list(_frameworks.names())}")
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; valid: {list(MODES)}")
    if n_seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {n_seeds}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if scheduler is not None:
        from scratchnet.bench.running.cluster import parse_scheduler

        parse_scheduler(scheduler)  # refused by name before anything runs
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError(f"cases given twice: {sorted({n for n in names if names.count(n) > 1})}")
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    _check_profile(results_dir, profile, epochs)
    st = store.ResultStore(results_dir, repair=repair)
    notes = st.check()  # refuses (or repairs) damaged tables before anything runs
    for note in notes:
        print(note, file=sys.stderr, flush=True)
    tasks, skipped = plan(cases, frameworks, modes, n_seeds, parity, st)

    listed = {**CASES, **{c.name: c for c in cases}}  # the registry and this selection's grid variants
    st.upsert("cases.csv", _case_rows(listed.values(), profile))
    fingerprints = _fingerprints(cases)
    env_extra = {"profile": profile, "seeds": n_seeds, "epochs_override": epochs,
                 "keras_steps_per_execution": keras_steps_per_execution, "jobs": jobs, "scheduler": scheduler,
                 "frameworks": list(frameworks), "modes": list(modes)}
    _write_environment(st, fingerprints, env_extra)

    statuses: dict[str, int] = {}
    parity_failed: list[str] = []
    left: list[tuple[str, str]] = []
    bar = _Progress(len(tasks), progress)
    done = 0
    try:
        mine = claimed(st, tasks, left, notify=bar.note)
        by_name = {c.name: c for c in cases}
        for task, tables in _iterate(mine, by_name, profile, epochs, keras_steps_per_execution, jobs, bar.start,
                                     results_dir, scheduler):
            st.record(tables, task.id)
            done += 1
            if task.kind == "run":
                status = tables["runs"][0]["status"]
                statuses[status] = statuses.get(status, 0) + 1
            elif not tables["parity"][0]["passed"]:
                parity_failed.append(f"{task.case} [{task.dtype}]")
            bar.finish(task)
        targets.update_results(st)  # every framework's runs are in: shared convergence targets
    finally:
        bar.close()
        st.close()
    _write_environment(st, fingerprints, env_extra)
    return SuiteSummary(done, skipped, statuses, parity_failed, results_dir, left, notes)


def _fingerprints(cases: Iterable[Case]) -> dict[str, str]:
    """Fingerprints of the datasets that load. One that fails is left out here, not raised:
    its runs record the error (status "error") and the suite goes on."""
    out: dict[str, str] = {}
    for c in cases:
        try:
            out[c.dataset] = dataset_for(c).fingerprint
        except Exception:  # noqa: BLE001 - reported by the runs themselves
            continue
    return out


def _frame(rows, columns):
    import pandas as pd

    return pd.DataFrame(rows, columns=list(columns))


def _write_environment(st: store.ResultStore, fingerprints: dict, extra: dict) -> None:
    """Describe the machine now; keep what earlier invocations into this directory recorded
    (their dataset fingerprints, frameworks and modes) so a resumed or extended run adds to it.
    Read and written under the store's lock: concurrent suites add to each other's record."""
    import json

    path = st.directory / "environment.json"
    env = None
    with st.lock:
        try:
            previous = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError):
            previous = {}
        extra = dict(extra)
        for key in ("frameworks", "modes"):
            extra[key] = list(dict.fromkeys([*previous.get(key, []), *extra.get(key, [])]))
        datasets = {**previous.get("datasets", {}), **fingerprints}
        env = collect_environment(datasets=datasets, **extra)
        store.write_json(env, path)


def _iterate(tasks: Iterable[Task], cases: dict[str, Case], profile: str, epochs: int | None, spe: int | None,
             jobs: int, on_start, results_dir: Path | None = None, scheduler: str | None = None):
    if scheduler is not None:
        from scratchnet.bench.running.cluster import client_for, run_tasks

        with client_for(scheduler) as client:
            # ship each task's Case itself: a grid variant is not in the workers' registry
            yield from run_tasks(client, ((t, cases[t.case]) for t in tasks), _execute_pair,
                                 (profile, epochs, spe, results_dir),
                                 on_lost=lambda pair, why: _failed(pair[0], pair[1], why, profile, epochs),
                                 on_start=lambda pair: on_start(pair[0]))
        return
    if jobs == 1:
        for task in tasks:
            on_start(task)
            yield _execute(task, cases[task.case], profile, epochs, spe, results_dir)
        return
    pending = iter(tasks)
    first = next(pending, None)
    if first is None:  # nothing to run: no worker pool (nor its resource tracker) is started
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    yield from parallel(delayed(_execute)(task, cases[task.case], profile, epochs, spe, results_dir, True)
                        for task in itertools.chain([first], pending))


def _execute_pair(pair: tuple[Task, Case], profile: str, epochs: int | None, spe: int | None,
                  results_dir: Path | None = None) -> tuple[Task, dict]:
    return _execute(pair[0], pair[1], profile, epochs, spe, results_dir)


class _Progress:
    """The suite's tasks on stderr (:class:`scratchnet.bench.running.progress.Progress`: a bar with an ETA on
    a terminal, plain lines in a log), naming the running task."""

    def __init__(self, total: int, enabled: bool) -> None:
        from scratchnet.bench.running.progress import Progress

        self._p = Progress(total, "runs", unit="task", enabled=enabled, stream=sys.stderr)

    def start(self, task: Task) -> None:
        self._p.set_label(task.label)

    def note(self, message: str) -> None:
        """A line for the user that does not break the bar."""
        self._p.note(message)

    def finish(self, task: Task) -> None:
        self._p.update(1, task.label)

    def close(self) -> None:
        self._p.close()

"""``scratchnet-bench``: list cases, run the suite, run the parity gate, write the report.

    scratchnet-bench list
    scratchnet-bench run [--cases GLOB] [--frameworks ...] [--modes ...] [--seeds N] [--quick] [--jobs N]
                         [--grid KEY=V1,V2 ...] [--scheduler ADDRESS|local:N] [--repair]
    scratchnet-bench parity [--cases GLOB | --layers 2,3,1 --activation sigmoid ...]
    scratchnet-bench report [--results results/] [--out results/]
    scratchnet-bench check path/to/net.py:factory --case CASE [--epochs N] [--dtype float64]

``--case-file cases.toml`` (list, run, parity, check; repeatable) adds your own cases
(:mod:`scratchnet.bench.cases.casefile`); installed ``scratchnet.cases`` plugins are always added.

Exit status: 0 on success; 1 when a parity check fails (``parity``, ``check``) or a run errored
(``run``); 2 for bad arguments or input.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from scratchnet.bench.cases.registry import CASES, select_cases
from scratchnet.bench import frameworks
from scratchnet.bench.store.schema import FRAMEWORKS, MODES
from scratchnet.bench.store.write_errors import is_write_error, write_error_line


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scratchnet-bench", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    lst = sub.add_parser("list", help="list the registered cases")
    _case_file_option(lst)

    run = sub.add_parser(
        "run", help="train cases with each framework and record results",
        description="Train the selected cases with each framework, seed and mode, record per-epoch and "
                    "per-run tables under --results (atomic writes; a rerun resumes, skipping finished runs), "
                    "and run the parity gate once per case. Timing note: with --jobs N runs execute in N "
                    "parallel processes, each pinned to a core of its own while cores are free "
                    "(scratchnet/bench/running/cores.py); they still share caches and memory bandwidth, "
                    "so limit each to one thread (OMP_NUM_THREADS=1 ..., as scripts/reference_run.sh does) "
                    "and compare timings within one run.")
    run.add_argument("--cases", default=None, help="comma-separated glob(s) of case names (default: all)")
    run.add_argument("--frameworks", type=_csv_list, default=list(FRAMEWORKS),
                     help=f"comma-separated subset of {','.join(FRAMEWORKS)} (default: all). keras: Keras "
                          "at its calibrated best (fastest steps_per_execution x jit_compile, cached in "
                          "--results/keras_calibration.json); tf-loop: a hand-written TensorFlow loop, one "
                          "tf.function per epoch (jit_compile calibrated); torch: PyTorch eager or "
                          "torch.compile (calibrated; optional extra, unsupported when not installed); keras-default: compile()/fit() defaults, "
                          "capped at a few epochs; sklearn: MLPRegressor/MLPClassifier (cases it cannot "
                          "express are recorded as unsupported)")
    run.add_argument("--modes", type=_csv_list, default=["parity"],
                     help=f"comma-separated subset of {','.join(MODES)} (default: parity)")
    run.add_argument("--seeds", type=_positive, default=5, help="seeds per case and framework (default 5)")
    run.add_argument("--quick", action="store_true", help="fast profile: each case's quick_epochs")
    run.add_argument("--epochs", type=_positive, default=None, help="override every case's epochs")
    run.add_argument("--jobs", type=_positive, default=1,
                     help="parallel worker processes (joblib), each pinned to a core of its own while cores are free "
                          "(a framework's background threads then share its core, not its neighbour's)")
    run.add_argument("--results", default="results", help="results directory (default: results)")
    run.add_argument("--no-parity", action="store_true", help="skip the parity gate")
    run.add_argument("--keras-steps-per-execution", type=_positive, default=None,
                     help="force the keras contender's compile(steps_per_execution=...) (jit off) instead of "
                          "calibrating it")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                     help="expand each selected case into variants, one per combination of the given values "
                          "(repeat for more keys), named like case[batch_size=8,learning_rate=0.05]; KEY is a "
                          "case field (batch_size, epochs, ...) or an optimizer parameter (learning_rate, ...). "
                          "A --case-file's [grid] table does the same; --grid KEY replaces its values for KEY")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS|local:N",
                     help="run the tasks on a Dask cluster: a scheduler address (tcp://HOST:8786) or local:N "
                          "(a LocalCluster of N single-threaded worker processes); default: this process / --jobs")
    run.add_argument("--repair", action="store_true",
                     help="move a damaged table aside as NAME.damaged-<time> and keep its valid rows "
                          "(default: refuse it, naming file, line and reason)")
    run.add_argument("--label", action="append", default=[],
                     help="framework label of a foreign network in --frameworks (repeatable, in order; "
                          "default: the file's stem)")
    _case_file_option(run)

    par = sub.add_parser(
        "parity", help="check scratchnet against its Keras twin step for step",
        description="Run the parity gate on registered cases (default: all), or on a model given by "
                    "--layers and friends on random data. Prints case, dtype, gradient error, weight drift "
                    "and pass/fail; exits 1 if any check fails.")
    par.add_argument("--cases", default=None, help="comma-separated glob(s) of case names")
    par.add_argument("--layers", type=lambda t: [int(v) for v in _csv_list(t)], default=None,
                     help="a custom model: units per layer, inputs first, e.g. 2,3,1")
    par.add_argument("--activation", default="sigmoid", help="hidden and output activation (custom model)")
    par.add_argument("--output-activation", default=None, help="output activation (default: --activation)")
    par.add_argument("--loss", default="mse")
    par.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "rmsprop"])
    par.add_argument("--learning-rate", type=float, default=0.05)
    par.add_argument("--batch-size", type=int, default=1, help="0 means full batch")
    par.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    par.add_argument("--rows", type=_positive, default=32)
    par.add_argument("--epochs", type=_positive, default=3)
    par.add_argument("--results", default=None, help="also record the checks in this results directory")
    _case_file_option(par)

    chk = sub.add_parser(
        "check", help="check your own hand-written network against its Keras twin, step for step",
        description="Build the Keras twin of TARGET's describe(), give it the network's initial weights, train "
                    "both in lockstep on the case's training rows and batch order, compare every weight after "
                    "every step, and print the verdict: pass, or the first step and weight where they part and "
                    "what the pattern usually means. TARGET is path/to/file.py:factory or "
                    "package.module:factory (the protocol: scratchnet/bench/parity/foreign.py). Exit 0 pass, 1 fail, "
                    "2 bad input.")
    chk.add_argument("target", help="path/to/file.py:factory or package.module:factory")
    chk.add_argument("--case", required=True, help="the case whose data, batch size and order are used")
    chk.add_argument("--epochs", type=_positive, default=3, help="lockstep epochs (default 3)")
    chk.add_argument("--dtype", default=None, choices=["float32", "float64"],
                     help="arithmetic of the twin and the data (default: describe()'s dtype)")
    chk.add_argument("--rows", type=_positive, default=None, help="use only the first N training rows")
    chk.add_argument("--seed", type=int, default=0, help="seeds the per-epoch order of a shuffling case")
    _case_file_option(chk)

    rep = sub.add_parser("report", help="write REPORT.md, report.html and figures from recorded results")
    rep.add_argument("--results", default="results", help="directory holding the recorded tables")
    rep.add_argument("--out", default=None, help="output directory (default: --results)")
    rep.add_argument("--repair", action="store_true",
                     help="move a damaged table aside as NAME.damaged-<time> and keep its valid rows")
    rep.add_argument("--readme", default=None,
                     help="also rewrite the headline between the markers of this README")
    return p


def _case_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--case-file", action="append", default=[], metavar="TOML",
                        help="add the cases of this TOML file (repeatable; see scratchnet/bench/cases/casefile.py)")


def _user_cases(args) -> list:
    from scratchnet.bench.cases.casefile import load_user_cases

    return load_user_cases(getattr(args, "case_file", []) or [])


def _cmd_check(args) -> int:
    from scratchnet.bench.cases.registry import get_case
    from scratchnet.bench.parity.check import check_foreign
    from scratchnet.bench.parity.foreign import case_mismatches, load_foreign
    from scratchnet.bench.running.runner import dataset_for

    _user_cases(args)
    case = get_case(args.case)
    net = load_foreign(args.target)
    dtype = args.dtype or net.description.dtype
    ds = dataset_for(case, dtype)
    n = ds.n_train if args.rows is None else min(args.rows, ds.n_train)
    print(f"checking {args.target} ({net.description.label()}) against Keras on {case.name}: {n} rows, "
          f"batch {case.batch_size or 'full'}, {'shuffled' if case.shuffle else 'in order'}, {args.epochs} "
          f"epoch(s), {dtype}", file=sys.stderr, flush=True)
    note = getattr(net.obj, "conventions_note", None)  # a network wrapped by parity.conventions.wrap
    if callable(note):
        print(note(), file=sys.stderr, flush=True)
    result = check_foreign(net, ds.X_train[:n], ds.y_train[:n], batch_size=case.batch_size, epochs=args.epochs,
                           shuffle=case.shuffle, seed=args.seed, dtype=dtype, case=case.name)
    differ = case_mismatches(net.description, case, ds.n_features)
    if differ:
        result.notes.append("your network is not the case's model (" + "; ".join(differ) + "); the check "
                            "uses your describe() and only the case's data, batch size and order")
    print(result.verdict())
    return 0 if result.passed else 1


def _cmd_list(args) -> int:
    _user_cases(args)
    print(f"{'case':36s} {'dataset':20s} {'layers':34s} {'optimizer':44s} {'batch':>5s} {'epochs':>6s} dtype")
    for c in CASES.values():
        mark = "" if c.equivalent else "  (published, not equivalent)"
        print(f"{c.name:36s} {c.dataset:20s} {c.architecture:34s} {c.optimizer_label:44s} "
              f"{str(c.batch_size or 'full'):>5s} {c.epochs:>6d} {c.dtype}{mark}")
    return 0


def _foreign_frameworks(args) -> list[str]:
    """``--frameworks`` with each foreign target (file.py:factory) registered under its label."""
    from scratchnet.bench.parity.foreign import is_target

    targets = [fw for fw in args.frameworks if is_target(fw)]
    labels = list(args.label or [])
    if len(labels) > len(targets):
        raise ValueError(f"--label given {len(labels)} time(s) but --frameworks names {len(targets)} foreign "
                         "network(s) (path/to/file.py:factory); give one --label per network, in order")
    if targets and args.jobs > 1:
        raise ValueError("--jobs > 1 cannot carry a foreign network to the worker processes; run it with --jobs 1")
    from scratchnet.bench.frameworks.foreign import register_target

    out, i = [], 0
    for fw in args.frameworks:
        if is_target(fw):
            label = labels[i] if i < len(labels) else None
            i += 1
            out.append(register_target(fw, label).name)
        else:
            out.append(fw)
    dupes = sorted({n for n in out if out.count(n) > 1})
    if dupes:
        raise ValueError(f"--frameworks: {dupes} named more than once; give foreign networks distinct --label")
    return out


def _cmd_run(args) -> int:
    from scratchnet.bench.running.suite import run_suite

    user = {c.name for c in _user_cases(args)}
    if args.jobs > 1 and user & {c.name for c in select_cases(args.cases)}:
        raise ValueError("--jobs > 1 does not carry --case-file or plugin cases to the worker processes; "
                         "run them with --jobs 1")
    names = _foreign_frameworks(args)
    for fw in names:
        if fw not in frameworks.names():
            raise ValueError(f"--frameworks: unknown framework {fw!r}; valid: {list(frameworks.names())} or "
                             "path/to/file.py:factory / package.module:factory for your own network")
    for mode in args.modes:
        if mode not in MODES:
            raise ValueError(f"--modes: unknown mode {mode!r}; valid: {list(MODES)}")
    from scratchnet.bench.parity.foreign import is_target

    foreign = [fw for fw in args.frameworks if is_target(fw)]
    if args.scheduler and foreign:
        raise ValueError(f"--scheduler does not carry foreign networks ({', '.join(foreign)}) to the Dask workers; "
                         "run them without --scheduler")
    from scratchnet.bench.cases.sweep import combined_grid, expand

    grid = combined_grid(args.grid, getattr(args, "case_file", []) or [])  # case files' [grid], then --grid
    cases = expand(select_cases(args.cases), grid)  # bad keys/values refused here, before anything runs
    summary = run_suite(cases, names, args.modes, args.seeds,
                        "fast" if args.quick else "full", args.results, args.jobs, not args.no_parity,
                        args.epochs, args.keras_steps_per_execution, progress=not args.no_progress,
                        repair=args.repair, scheduler=args.scheduler)
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items())) or "none"
    print(f"{summary.done} tasks run, {summary.skipped} already recorded (skipped); runs: {statuses}; "
          f"results in {summary.results_dir}/")
    if summary.left:
        print(f"left to other processes ({len(summary.left)}), not run here:")
        for label, why in summary.left:
            print(f"  {label}: {why}")
    if summary.parity_failed:
        print("parity FAILED for: " + ", ".join(summary.parity_failed))
    return 1 if summary.statuses.get("error") else 0


def _custom_model(args):
    import numpy as np

    import scratchnet as sn

    if len(args.layers) < 2:
        raise ValueError(f"--layers needs inputs and at least one layer, e.g. 2,3,1; got {args.layers}")
    out_act = args.output_activation or args.activation
    layers = [sn.Input((args.layers[0],))]
    for i, units in enumerate(args.layers[1:]):
        layers.append(sn.Dense(units, out_act if i == len(args.layers) - 2 else args.activation))
    model = sn.Sequential(layers, dtype=args.dtype, seed=0, name="custom")
    opt = {"sgd": sn.SGD, "adam": sn.Adam, "rmsprop": sn.RMSprop}[args.optimizer](learning_rate=args.learning_rate)
    model.compile(opt, args.loss)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.rows, args.layers[0]))
    k = args.layers[-1]
    if args.loss == "binary_crossentropy":
        y = rng.integers(0, 2, (args.rows, k)).astype(float)
    elif args.loss == "categorical_crossentropy":
        y = np.eye(k)[rng.integers(0, k, args.rows)]
    elif args.loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, k, args.rows)
    else:
        y = rng.uniform(size=(args.rows, k))
    return model, x, y


def _cmd_parity(args) -> int:
    from scratchnet.bench.parity.gate import check_parity, parity_table

    if args.layers is not None:
        model, x, y = _custom_model(args)
        reports = [check_parity(model, x, y, epochs=args.epochs, batch_size=args.batch_size or None,
                                case="custom")]
    else:
        from scratchnet.bench.running.suite import parity_dtypes, run_parity_for_case

        _user_cases(args)
        reports = []
        for case in select_cases(args.cases):
            for dtype in parity_dtypes(case):
                print(f"checking {case.name} [{dtype}] ...", file=sys.stderr, flush=True)
                reports.append(run_parity_for_case(case, dtype))
    print(parity_table(reports))
    if args.results:
        from scratchnet.bench.store.results import ResultStore

        ResultStore(args.results).record({"parity": [r.summary_row() for r in reports],
                                          "parity_epochs": [row for r in reports for row in r.epoch_rows()]})
    failed = [r for r in reports if not r.passed]
    for r in failed:
        print(f"FAIL {r.case} [{r.dtype}]: {r.message}")
    return 1 if failed else 0


def _cmd_report(args) -> int:
    from scratchnet.bench.report import build_report
    from scratchnet.bench.store.results import ResultStore

    if os.path.isdir(args.results):  # refuse (or repair) damaged tables before reporting on them
        for note in ResultStore(args.results, repair=args.repair).check():
            print(note, file=sys.stderr)
    paths = build_report(args.results, args.out)
    print(f"wrote {paths.markdown} and {paths.html} ({len(paths.figures)} figures)")
    if args.readme:
        from scratchnet.bench.report import update_readme

        changed = update_readme(args.readme, args.results)
        print(f"{args.readme}: headline {'updated' if changed else 'already current'}")
    return 0


def _inside(filename, directory) -> bool:
    """``filename`` is ``directory`` or lies under it."""
    if not filename:
        return False
    path, folder = Path(os.path.abspath(filename)), Path(os.path.abspath(directory))
    return path == folder or folder in path.parents


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = _parser().parse_args(argv)
    handler = {"list": _cmd_list, "run": _cmd_run, "parity": _cmd_parity, "report": _cmd_report,
               "check": _cmd_check}[args.command]
    try:
        return handler(args)
    except OSError as exc:
        directory = getattr(args, "out", None) or getattr(args, "results", None)
        if directory is not None and is_write_error(exc) and _inside(exc.filename, directory):
            resume = shlex.join(["scratchnet-bench", *(sys.argv[1:] if argv is None else argv)])
            print(f"scratchnet-bench {args.command}: error: {write_error_line(exc, directory, resume)}", file=sys.stderr)
            return 2
        if isinstance(exc, FileNotFoundError):  # an input that is not there
            print(f"scratchnet-bench {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise
    except ValueError as exc:
        print(f"scratchnet-bench {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

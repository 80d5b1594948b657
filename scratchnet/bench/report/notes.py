"""``NOTES.md``: the run's dated facts -- when, which commits, which machine, the checks -- computed.

The README states the result and links here for provenance; the report's Environment section has
the full detail. Every line below is computed from the tables (nothing typed in), so the file is
rewritten byte for byte with the report.
"""
from __future__ import annotations


from scratchnet.bench.report.costs import MODEL_TOLERANCE, _compile_note, case_costs
from scratchnet.bench.report.header import _concurrency_line, machine_line, runs_line
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.provenance import _started, git_text
from scratchnet.bench.report.tables import Results, main_cases


def _span(res: Results) -> str:
    stamps = _started(res.runs).dropna()
    return f"{stamps.min():%Y-%m-%d %H:%M} to {stamps.max():%Y-%m-%d %H:%M} UTC" if len(stamps) else "unknown"


def _model_check(res: Results) -> str:
    checked = case_costs(res, every_mode=True)
    if checked.empty:
        return "no cost model recorded"
    fits = (checked["model_error"].abs() <= MODEL_TOLERANCE).groupby(checked["framework"], sort=False)
    fits = fits.agg(["sum", "size"])
    parts = ", ".join(f"{fw} {int(r['sum'])} of {int(r['size'])}" for fw, r in fits.iterrows())
    return (f"{int(fits['sum'].sum())} of {len(checked)} (case, framework, mode) groups within {MODEL_TOLERANCE:.0%} "
            f"({parts})")


def _machines_line(res: Results) -> str:
    """Runs per machine when there are several (a machine: host and CPU): timings are compared only
    within one, so a framework recorded on another machine alone gets no ratio."""
    if res.runs["host"].nunique() <= 1:
        return ""
    parts = [f"{machine}: {len(runs)} runs ({', '.join(dict.fromkeys(runs['framework']))})"
             for machine, runs in res.runs.groupby("host", sort=False)]
    return ("- Machines: " + "; ".join(parts) + ". Timings are compared only within one machine: a case's "
            "ratios use the machine with most of its runs.\n")


def notes_markdown(res: Results) -> str:
    """The NOTES.md text for ``res``."""
    cases = main_cases(res)
    states = [parity_state(res, c)[0] for c in cases]
    note = _compile_note(res)
    return (
        "# Notes on this run\n\n"
        "Written by `scratchnet-bench report` from the tables beside it; every line is computed.\n\n"
        f"- Recorded {_span(res)}, {runs_line(res)}.\n"
        f"- Code: {git_text(res, short=True)}.\n"
        f"- Machine: {machine_line(res.env)}; {_concurrency_line(res)}.\n"
        + _machines_line(res)
        + f"- Parity gate (scratchnet against its Keras twin): {states.count('pass')} of {len(cases)} cases pass"
        f"{'' if states.count('pass') == len(cases) else ', ' + str(states.count('fail')) + ' fail'}.\n"
        f"- Cost model check (modelled against measured epoch time, medians over seeds): {_model_check(res)}.\n"
        + (f"- {''.join(p if isinstance(p, str) else p[1] for p in note.parts)}\n" if note else ""))

"""Running: train the cases and record what happened.

The run loop (:mod:`.runner`, one loop for every framework), the suite of runs with resume and
parallel workers (:mod:`.suite`, :mod:`.cluster` for Dask), fresh-process memory probes
(:mod:`.memory`), the machine's description (:mod:`.environment`) and the progress display
(:mod:`.progress`). The top of the dependency order below the CLI: may import every other
package of the suite except the report.
"""

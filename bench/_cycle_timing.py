"""Where a cycle's time goes: wall and CPU time of the steps inside ``adops.cycle.run_cycle``, from outside.

CPU is the process's (``time.process_time``): the in-process emulator serving the step's calls counts too.

The cycle's modules are not changed: for the timed run the functions it calls are wrapped (module
attributes replaced, restored afterwards) and their wall time is summed per step.
"""
from __future__ import annotations

import functools
import importlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# step name -> (module, attribute) as ``adops.cycle`` looks them up at call time
STEPS: dict[str, tuple[str, str]] = {
    "state_s": ("adops.cycle", "account_state"),
    "guardrails_s": ("adops.guardrails", "check_plan"),
    "record_plan_s": ("adops.cycle_record", "record_decision"),
    "record_outcomes_s": ("adops.cycle_record", "record_outcomes"),
    "mlflow_s": ("adops.tracking", "log_cycle"),
}


def timed(fn: Callable[..., Any], name: str, totals: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - started
            totals[name.removesuffix("_s") + "_cpu_s"] += time.process_time() - cpu   # the whole process
    return wrapper


@contextmanager
def step_times(channel: Any) -> Iterator[dict[str, float]]:
    """Sum the wall time of each step (and of ``channel.apply``) while the block runs."""
    totals: dict[str, float] = defaultdict(float)
    saved: list[tuple[Any, str, Any]] = []
    for name, (module_name, attr) in STEPS.items():
        module = importlib.import_module(module_name)
        original = getattr(module, attr)
        saved.append((module, attr, original))
        setattr(module, attr, timed(original, name, totals))
    channel.apply = timed(channel.apply, "write_through_outbox_s", totals)
    try:
        yield totals
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)


def timed_decide(totals: dict[str, float]) -> Callable[..., Any]:
    """``ml.decide.decide`` timed as the step ``decide_s`` (passed to ``run_cycle(decide=...)``)."""
    from ml.decide import decide

    return timed(decide, "decide_s", totals)


def profiled(path: str | None, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, under cProfile when ``path`` is given (stats written there, the top printed).

    Only this thread is profiled (the in-process emulator serves from its own threads).
    """
    if not path:
        return fn(*args)
    import cProfile
    import pstats

    prof = cProfile.Profile()
    try:
        return prof.runcall(fn, *args)
    finally:
        prof.dump_stats(path)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)

"""Shared benchmark harness: graph builders, the floor, and median timing.

Every benchmark prints, for each operation, the median time and its ratio to a floor
measured in the same process, so the numbers compare across machines.

The floor: one Python pass over all ops reading every op's inputs,
outputs, consumers and control inputs.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

__all__ = ["build_dag", "floor_pass", "median_time", "report", "sizes_from_argv"]


def build_dag(n_ops: int, seed: int = 0, scope_size: int = 500) -> tf.Graph:
    """A DAG of about ``n_ops`` ops: Tanh / AddV2 / Mul over recent tensors, in name scopes.

    Built through the C import path (a GraphDef) so that large graphs build in seconds.
    """
    import random

    from tensorflow.core.framework import attr_value_pb2, graph_pb2, types_pb2

    rng = random.Random(seed)
    gd = graph_pb2.GraphDef()
    names: list[str] = []
    float_t = attr_value_pb2.AttrValue(type=types_pb2.DT_FLOAT)

    def add(op: str, inputs: list[str]) -> None:
        i = len(names)
        name = f"block_{i // scope_size}/{op.lower()}_{i}"
        node = gd.node.add(name=name, op=op)
        node.input.extend(inputs)
        node.attr["T"].CopyFrom(float_t)
        names.append(name)

    for i in range(4):
        node = gd.node.add(name=f"input_{i}", op="Placeholder")
        node.attr["dtype"].CopyFrom(float_t)
        node.attr["shape"].shape.dim.add(size=4)
        names.append(node.name)
    while len(names) < n_ops:
        k = rng.random()
        window = names[-8:]
        if k < 0.34:
            add("Tanh", [rng.choice(window)])
        elif k < 0.67:
            add("AddV2", [rng.choice(window), rng.choice(names)])
        else:
            add("Mul", [rng.choice(window), rng.choice(window)])
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    return graph


def floor_pass(graph: tf.Graph) -> int:
    """The floor: read every op's inputs, outputs, consumers and control inputs once."""
    n = 0
    for op in graph.get_operations():
        n += len(op.inputs)
        for t in op.outputs:
            n += len(t.consumers())
        n += len(op.control_inputs)
    return n


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs (after one warm-up), GC off."""
    fn()
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(times)


def report(title: str, floor_s: float, rows: list[tuple[str, float, float | None]]) -> bool:
    """Print a table of (name, seconds, target ratio); return True if all targets are met."""
    print(f"\n== {title}   floor = {floor_s * 1e3:.2f} ms")
    print(f"{'operation':<38}{'median ms':>12}{'ratio':>9}{'target':>9}  ok")
    ok_all = True
    for name, secs, target in rows:
        ratio = secs / floor_s
        ok = target is None or ratio <= target
        ok_all &= ok
        tgt = f"<= {target:g}" if target is not None else "-"
        print(f"{name:<38}{secs * 1e3:>12.2f}{ratio:>9.2f}{tgt:>9}  {'yes' if ok else 'NO'}")
    return ok_all


def sizes_from_argv(default: tuple[int, ...]) -> tuple[int, ...]:
    """Graph sizes from the command line (``python bench.py 10000 50000``), else ``default``."""
    import sys

    args = [int(a) for a in sys.argv[1:] if a.isdigit()]
    return tuple(args) if args else default

"""Reroute cost vs the floor "read the consumers of the k rerouted tensors".

Target: rerouting k = 1,000 tensors in a 50k-op graph costs <= 5x that floor,
cycle check included. Three workloads, each timed as "reroute, then undo":

- ``insert``: k new Identity ops, each built on a tensor t; the consumers of t move onto the
  Identity (``reroute_ts(ids, ts, cannot_modify=ids)``). Every new edge goes against
  creation order, so the cycle check searches (bounded, from both ends) and moves ranks.
- ``swap``: ``swap_ts`` of k disjoint pairs of tensors close in the graph.
- ``control``: add then remove one control edge on k ops.

Also printed: the TensorFlow mutation floor, i.e. the bare ``op._update_input`` calls for the
same slots (TF's C ``UpdateEdge`` costs several times the consumer reads on its own), so the
library's own overhead is visible separately.

Run: ``.venv/bin/python benchmarks/bench_reroute.py [n_ops ...]`` (default 50000).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tensorflow as tf  # noqa: E402
from _harness import build_dag, report, sizes_from_argv  # noqa: E402

import graph_editor as ge  # noqa: E402
from graph_editor import _edits, _tf  # noqa: E402

K = 1000


def median_time(fn, repeat: int = 5) -> float:
    """Median **CPU** time of ``fn()`` (process time, GC off, one warm-up).

    The machine is shared: wall time swings 3x with other processes, process CPU time much
    less. The floor is measured the same way, so ratios stay comparable.
    """
    import gc
    import statistics
    import time

    fn()
    times = []
    was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.process_time()
            fn()
            times.append(time.process_time() - t0)
    finally:
        if was:
            gc.enable()
    return statistics.median(times)


def bench(n_ops: int) -> bool:
    graph = build_dag(n_ops)
    ops = graph.get_operations()
    rng = random.Random(7)
    picked = rng.sample(ops[8:-8], K)
    ts = [op.outputs[0] for op in picked]
    with graph.as_default():
        ids = [tf.identity(t, name=f"bench_id_{i}") for i, t in enumerate(ts)]
    id_ops = [t.op for t in ids]

    def floor() -> int:
        n = 0
        for t in ts:
            n += len(t.consumers())
        return n

    n_consumers = floor()
    floor_s = median_time(floor, repeat=31)

    # TF's own mutation cost for the same slots (moving there and back).
    slots = []
    for t in ts:
        for c in t.consumers():
            if c.type == "Identity" and c.name.startswith("bench_id_"):
                continue
            for i, x in enumerate(c.inputs):
                if x is t:
                    slots.append((c, i, t))
    id_of = {id(t): new for t, new in zip(ts, ids)}

    there = [(c, i, id_of[id(t)]) for c, i, t in slots]

    def tf_floor() -> None:  # the C UpdateEdge calls alone, batched as the library does
        _tf.update_edges(graph, there)
        _tf.update_edges(graph, slots)

    tf_floor_s = median_time(tf_floor, repeat=9)

    def insert() -> None:
        ge.reroute_ts(ids, ts, cannot_modify=id_ops)
        ge.reroute_ts(ts, ids)

    def insert_first() -> float:
        import time

        t0 = time.process_time()
        ge.reroute_ts(ids, ts, cannot_modify=id_ops)
        dt = time.process_time() - t0
        ge.reroute_ts(ts, ids)
        return dt

    first_s = insert_first()  # the first call moves ranks; later calls find them in order
    insert_s = median_time(insert, repeat=9)

    def swap() -> None:  # consumers of ts <-> of ids (empty), the Identities kept out
        ge.swap_ts(ids, ts, cannot_modify=id_ops)
        ge.swap_ts(ids, ts, cannot_modify=id_ops)

    swap_s = median_time(swap, repeat=5)

    # Control edges along the order (fast path: no search) ...
    def control_ordered() -> None:
        for a, b in zip(id_ops[:200], picked[:200]):
            ge.add_control_inputs(a, [b])
            ge.remove_control_inputs(a, [b])

    control_ordered_s = median_time(control_ordered, repeat=3)

    # ... and between random ops (against the order half of the time: bounded search).
    rpairs = [(picked[i], picked[i - 1]) for i in range(1, 201)]

    def control_random() -> None:
        for a, b in rpairs:
            try:
                ge.add_control_inputs(a, [b])
            except ge.GraphEditValueError:
                continue  # b depends on a: refused (cycle)
            ge.remove_control_inputs(a, [b])

    control_random_s = median_time(control_random, repeat=3)

    floor_s = min(floor_s, median_time(floor, repeat=31))  # re-measured after the load
    ok = report(
        f"reroute, {len(ops)} ops, k={K} tensors ({n_consumers} consumers, "
        f"{len(slots)} input slots), CPU time",
        floor_s,
        [
            ("insert: reroute_ts, steady (median)", insert_s / 2, 5.0),
            ("  TF's UpdateEdge alone, same slots", tf_floor_s / 2, None),
            ("insert: first reroute_ts (ranks moved)", first_s, None),
            ("swap_ts k pairs (median of 2 swaps)", swap_s / 2, None),
            ("200x add+remove control, ordered", control_ordered_s, None),
            ("200x add+remove control, random", control_random_s, None),
        ],
    )
    per_slot = (insert_s / 2) / max(len(slots), 1)
    print(
        f"per rerouted slot: {per_slot * 1e6:.1f} us, of which TF's UpdateEdge "
        f"{tf_floor_s / 2 / max(len(slots), 1) * 1e6:.1f} us; "
        f"edit counter = {_edits.edit_count(graph)}"
    )
    return ok


if __name__ == "__main__":
    results = [bench(n) for n in sizes_from_argv((50000,))]
    print("\nall targets met" if all(results) else "\nSOME TARGETS MISSED")

"""Benchmark of pattern matching and rewriting on large graphs.

For graphs of 10k and 50k ops (the harness DAG of Tanh/AddV2/Mul in name scopes), prints
the median time of matching a 3-op pattern (a traced function pattern and the same as an
OpMatcher tree) and its ratio to the floor: one Python pass over all ops reading every op's
inputs, outputs, consumers and control inputs. Target at 50k ops: matching <= 20x the
floor. A full in-place rewrite (matching + replacing every match) is printed too, without
a target (its cost grows with the number of matches, not only with the graph).

Run:  python benchmarks/bench_rewrite.py [sizes...]      (default: 10000 50000)
Exit status 1 if a target is missed at 50k ops or more.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tensorflow as tf  # noqa: E402
from _harness import build_dag, floor_pass, median_time, report, sizes_from_argv  # noqa: E402

import graph_editor as ge  # noqa: E402

TARGET = 20.0


def pattern(a, b, c):
    """Mul(Tanh(a), AddV2(b, c)): 3 ops."""
    return tf.tanh(a) * (b + c)


MATCHER = ge.OpMatcher(ge.op_type("Mul")).input_ops(
    ge.OpMatcher(ge.op_type("Tanh")), ge.OpMatcher(ge.op_type("AddV2"))
)


def bench(n_ops: int) -> bool:
    graph = build_dag(n_ops)
    n = len(graph.get_operations())
    repeat = 5 if n <= 20000 else 3
    floor_s = median_time(lambda: floor_pass(graph), repeat)
    found = ge.find_matches(graph, pattern)
    print(f"\n{n} ops: {len(found)} non-overlapping matches of Mul(Tanh(a), AddV2(b, c))")
    rows = [
        ("find_matches(function pattern)", median_time(
            lambda: ge.find_matches(graph, pattern), repeat)),
        ("find_matches(OpMatcher tree)", median_time(
            lambda: ge.find_matches(graph, MATCHER), repeat)),
        ("rewrite, filter rejects all", median_time(
            lambda: ge.rewrite(graph, pattern, lambda m: None, filter=lambda m: False), repeat)),
    ]
    target = TARGET if n >= 50000 else None
    ok = report(f"{n} ops", floor_s, [(name, s, target) for name, s in rows])

    def distribute(m: ge.Match) -> tf.Tensor:
        t = tf.tanh(m.inputs[0])  # read twice: the result cannot match again
        return t * m.inputs[1] + t * m.inputs[2]

    import time

    g = build_dag(n_ops)
    t0 = time.perf_counter()
    r = ge.rewrite(g, pattern, distribute)
    total = time.perf_counter() - t0
    report(f"{n} ops, in-place rewrite of all {r.matches} matches, {r.iterations} rounds "
           "(no target)", floor_s, [("rewrite (replace all matches)", total, None)])
    return ok


def main() -> int:
    ok = True
    for size in sizes_from_argv((10000, 50000)):
        ok &= bench(size)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

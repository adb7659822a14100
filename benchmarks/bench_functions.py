"""Benchmark: editing TF2 functions vs tracing them.

The floor is tracing the function with ``tf.function`` in the same process (a fresh
``tf.function`` each run, ``get_concrete_function``). Targets, both on a 10k-op function:

- ``graph_from_function`` + ``function_from_graph``: <= 0.5x the tracing time;
- ``split_function`` (cut in the middle, with a skip connection): <= 0.5x.

Also shown, not targeted: ``insert_at`` and the ``WrappedFunction.prune`` route that the
library keeps off its hot path.

Run: ``.venv/bin/python benchmarks/bench_functions.py [n_ops ...]`` (default 10000).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _harness import median_time, report, sizes_from_argv  # noqa: E402

import graph_editor as ge  # noqa: E402

SPEC = tf.TensorSpec([None, 8], tf.float32)


def make_body(n_ops: int):
    """A Python function that traces to about ``n_ops`` ops, reading 4 variables.

    Steps alternate Tanh (1 op), ``+ 0.5`` and ``* 0.9`` (2 ops each: a Const and the op),
    with a variable read every 50 steps; a skip connection from the quarter point joins at
    the end.
    """
    variables = [tf.Variable(np.full([8], 0.01 * (i + 1), np.float32)) for i in range(4)]
    n_steps = n_ops * 3 // 5  # about 5/3 ops per step

    def body(x):
        h = x
        skip = None
        for i in range(n_steps):
            k = i % 3
            if i % 50 == 0:
                h = h * variables[(i // 50) % 4]
            elif k == 0:
                h = tf.tanh(h)
            elif k == 1:
                h = h + 0.5
            else:
                h = h * 0.9
            if i == n_steps // 4:
                skip = tf.identity(h, name="skip")
            if i == n_steps // 2:
                h = tf.identity(h, name="middle")
        return h + skip

    return body, variables


def bench(n: int) -> bool:
    """Time the verbs on a function of about ``n`` ops; return True if targets are met."""
    body, _ = make_body(n)
    trace = median_time(lambda: tf.function(body).get_concrete_function(SPEC), repeat=3)
    cf = tf.function(body).get_concrete_function(SPEC)
    n_ops = len(cf.graph.get_operations())
    x = np.ones([2, 8], np.float32)

    def roundtrip():
        return ge.function_from_graph(ge.graph_from_function(cf))

    def split():
        return ge.split_function(cf, "middle")

    def insert():
        return ge.insert_at(cf, "middle", lambda t: t * 1.0)

    def prune_route():
        from tensorflow.python.eager import wrap_function as wf

        caps = {ph.op.name: h for h, ph in cf.graph.captures}
        return wf.function_from_graph_def(
            cf.graph.as_graph_def(), "x:0", "middle:0", captures=caps
        )

    f = roundtrip()
    head, tail = split()
    np.testing.assert_allclose(f(x), cf(x), rtol=1e-5)
    np.testing.assert_allclose(tail(*head(x)), cf(x), rtol=1e-5)
    rows = [
        ("graph_from_function+function_from_graph", median_time(roundtrip, repeat=3), 0.5),
        ("split_function", median_time(split, repeat=3), 0.5),
        ("insert_at", median_time(insert, repeat=3), None),
        ("wrap_function+prune route (head only)", median_time(prune_route, repeat=1), None),
    ]
    return report(f"{n_ops} ops, floor = tracing with tf.function", trace, rows)


def main() -> int:
    ok = True
    for n in sizes_from_argv((10_000,)):
        ok &= bench(n)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: whole-model pictures of keras.applications models.

For each model (weights=None, 96x96) and each graph source, prints the seconds to

- build the graph: ``ge.graph_from_keras(model)``, or a ``tf.function`` concrete graph of
  the model (``tf.function(model).get_concrete_function(spec)``);
- ``to_dot``: find the layers and write the DOT text (one node per layer, the default);
- ``dot -> SVG``: Graphviz's layout and SVG output, run as ``ge.render`` runs it;

and the whole ``ge.render(graph, "x.svg")`` (to_dot + dot). Target: ``render`` <= 5 s per
model on this 2-core machine. Also printed: the number of layer nodes and of edges drawn.

Run: ``.venv/bin/python benchmarks/bench_render.py [MobileNetV2 ResNet50 ...]`` (needs the
``dot`` program; without it only the graph and to_dot columns are measured).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (sets TF_CPP_MIN_LOG_LEVEL before TF loads)
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import graph_editor as ge  # noqa: E402

TARGET_S = 5.0
DEFAULT = ("MobileNetV2", "ResNet50", "EfficientNetB0", "DenseNet121")


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def _dot_to_svg(dot_text: str, svg: str) -> None:
    subprocess.run(["dot", "-Tsvg", "-o", svg], input=dot_text.encode(), check=True)


def _sources(model):
    spec = tf.TensorSpec([1, *model.input_shape[1:]], tf.float32)
    yield "graph_from_keras", lambda: ge.graph_from_keras(model)
    yield "tf.function graph", lambda: tf.function(model).get_concrete_function(spec).graph


def measure(name: str, out_dir: str) -> list[tuple]:
    model = getattr(keras.applications, name)(weights=None, input_shape=(96, 96, 3))
    rows = []
    for source, build in _sources(model):
        graph, t_graph = _timed(build)
        dot_text, t_dot = _timed(ge.to_dot, graph)
        n_nodes = dot_text.count("[label=")
        n_edges = dot_text.count(" -> ")
        t_svg = t_render = None
        if shutil.which("dot"):
            svg = os.path.join(out_dir, f"{name}.svg")
            _, t_svg = _timed(_dot_to_svg, dot_text, svg)
            _, t_render = _timed(ge.render, graph, svg)
        rows.append((name, source, n_nodes, n_edges, t_graph, t_dot, t_svg, t_render))
    return rows


def main() -> int:
    names = [a for a in sys.argv[1:] if not a.startswith("-")] or list(DEFAULT)
    print(f"{'model':<15}{'graph source':<19}{'nodes':>6}{'edges':>6}{'graph s':>9}"
          f"{'to_dot s':>10}{'dot->svg s':>11}{'render s':>10}  ok (render <= {TARGET_S:g} s)")
    ok_all = True
    with tempfile.TemporaryDirectory() as out_dir:
        for name in names:
            for row in measure(name, out_dir):
                model, source, nodes, edges, t_graph, t_dot, t_svg, t_render = row
                ok = t_render is None or t_render <= TARGET_S
                ok_all &= ok
                svg = "-" if t_svg is None else f"{t_svg:.2f}"
                ren = "-" if t_render is None else f"{t_render:.2f}"
                print(f"{model:<15}{source:<19}{nodes:>6}{edges:>6}{t_graph:>9.2f}"
                      f"{t_dot:>10.2f}{svg:>11}{ren:>10}  {'yes' if ok else 'NO'}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())

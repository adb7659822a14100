"""Every public callable answers bad arguments with a ge error (or success), nothing else.

For each name in ``ge.__all__`` that is a function or a class, each positional parameter in
turn gets each value of a catalogue of bad arguments, with the other required parameters
given plausible values from a small graph. The call must succeed or raise a
``ge.GraphEditError`` subclass: never an ``AttributeError``/``IndexError``/TF error
escaping from inside the library.
"""

from __future__ import annotations

import inspect
import os
import warnings

import numpy as np
import pytest
import tensorflow as tf

import graph_editor as ge

# Result records the library builds and returns (``Match``, ``MatchOps``, ``RewriteReport``,
# ``Problem``): users read them, they do not construct them from their own arguments.
_SKIP = frozenset({"Match", "MatchOps", "RewriteReport", "Problem"})


def _small_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        with tf.name_scope("block"):
            h = tf.nn.relu(tf.matmul(x, tf.ones([3, 3]), name="mm"), name="h")
        tf.identity(h, name="y")
    return g


def _bad_values(other_graph_tensor):
    return {
        "None": None,
        "int": 7,
        "float": 2.5,
        "str": "no_such_name:0",
        "bytes": b"\x00\x01",
        "empty list": [],
        "list of None": [None],
        "dict": {"a": 1},
        "eager tensor": tf.constant([1.0, 2.0]),
        "numpy": np.zeros([2]),
        "graph": tf.Graph(),
        "other graph tensor": other_graph_tensor,
        "object": object(),
    }


def _plausible(name: str, g: tf.Graph):
    """A valid-looking value for a required parameter, from its name."""
    x, h = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("block/h:0")
    table = {
        "graph": g, "g": g, "obj": g, "graph_or_view": g, "graph_or_function": g,
        "sgv": ge.sgv(h.op), "sgv0": ge.sgv(h.op), "sgv1": ge.sgv(h.op),
        "ops": [h.op], "op": h.op, "ts": [h], "ts0": [h], "ts1": [x], "t": h,
        "tensor": h, "scope": "block", "dtype": tf.float32, "shape": [2],
        "regex": "block", "name": "x", "info": None, "path": "out.dot", "logdir": "logs",
    }
    return table.get(name, h)


def _targets():
    out = []
    for name in ge.__all__:
        if name in _SKIP or name.startswith("__"):
            continue
        obj = getattr(ge, name)
        if inspect.ismodule(obj) and not callable(obj):
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException | Warning):
            continue
        if callable(obj):
            out.append(name)
    return out


def _params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return [p for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


@pytest.mark.slow
def test_every_public_callable_raises_only_ge_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything written by a path-like argument lands here
    other = tf.Graph()
    with other.as_default():
        other_t = tf.constant(1.0, name="other")
    escapes, calls = [], 0
    for name in _targets():
        fn = getattr(ge, name)
        params = _params(fn)
        if not params:
            continue
        required = [p for p in params if p.default is p.empty]
        for k, param in enumerate(params):
            for label, bad in _bad_values(other_t).items():
                g = _small_graph()
                args = [_plausible(p.name, g) for p in required]
                kwargs = {}
                if k < len(args):
                    args[k] = bad
                else:  # an optional parameter: by keyword, the others keep their defaults
                    kwargs[param.name] = bad
                calls += 1
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fn(*args, **kwargs)
                except ge.GraphEditError:
                    pass
                except Exception as e:  # noqa: BLE001 - what the test looks for
                    escapes.append(f"{name}({param.name}={label}): {type(e).__name__}: "
                                   f"{str(e).splitlines()[0] if str(e) else ''}"[:200])
    report = os.environ.get("GE_FUZZ_REPORT")
    if report:
        with open(report, "w") as f:
            f.write(f"{calls} calls, {len(escapes)} escapes\n" + "\n".join(escapes) + "\n")
    assert not escapes, f"{len(escapes)} of {calls} calls escaped:\n" + "\n".join(escapes[:60])

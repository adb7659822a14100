"""The rebuild engine: one pass over a model that applies a :class:`~._plan.Plan`.

Functional models are rebuilt with ``keras.models.clone_model(clone_function=...,
call_function=...)``; Sequential models (which refuse ``call_function``) from their layer
list. Nested models are rebuilt by the same engine when they hold an edit (or when copying).

Copied layers are made with ``from_config(get_config())``; their variables are created
directly from the source's values (a ``tf.variable_creator_scope`` hands each new variable
the source value of the same name instead of running the initializer, about a third of a
MobileNetV2 copy), checked afterwards, with ``set_weights`` as the fallback.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graph_editor.errors import GraphEditError, GraphEditValueError
from graph_editor.surgeon import _keras as kx
from graph_editor.surgeon._index import is_container
from graph_editor.surgeon._plan import LayerEdit, Plan
from graph_editor.surgeon._slicing import sliced_layer

__all__ = ["rebuild"]


def _keras():
    import keras

    return keras


def rebuild(plan: Plan, copy: bool) -> Any:
    """The model of ``plan.index`` with every edit of ``plan`` applied, in one pass."""
    engine = _Engine(plan, copy)
    with tf.variable_creator_scope(engine.feeder.creator):
        return engine.model(plan.index.model)


class _Feeder:
    """Creates the variables of a fresh layer from given values (matched by name)."""

    def __init__(self) -> None:
        self.queue: dict[str, list] | None = None
        self.fed: dict[int, int] = {}

    def start(self, names: list, values: list) -> None:
        self.queue, self.fed = {}, {}
        for i, (name, value) in enumerate(zip(names, values)):
            self.queue.setdefault(name, []).append((i, value))

    def stop(self) -> None:
        self.queue = None

    def creator(self, next_creator: Any, **kwargs: Any) -> Any:
        pending = self.queue.get(kwargs.get("name", "")) if self.queue is not None else None
        if not pending:
            return next_creator(**kwargs)
        index, value = pending.pop(0)
        kwargs["initial_value"] = value
        variable = next_creator(**kwargs)
        self.fed[id(variable)] = index
        return variable

    def complete(self, new: Any, values: list) -> bool:
        """True when each weight of ``new`` was created from ``values`` at its position
        with the shape the layer declared."""
        weights = new.weights
        if len(weights) != len(values):
            return False
        return all(
            self.fed.get(id(w.value)) == i and tuple(w.shape) == values[i].shape
            for i, w in enumerate(weights)
        )


class _Engine:
    def __init__(self, plan: Plan, copy: bool) -> None:
        self.plan, self.copy = plan, copy
        self.dirty = plan.index.containers_with([e.info for e in plan.edits.values()])
        self.new_for: dict[int, Any] = {}
        self.source_of: dict[int, Any] = {}
        self.fresh: dict[int, tuple] = {}  # id(new layer) -> (source, weight values | None)
        self.marks: dict[int, str] = {}  # id(new symbolic tensor) -> the edit that made it
        self.feeder = _Feeder()

    # ---------------------------------------------------------------------------- models
    def model(self, src: Any) -> Any:
        keras = _keras()
        if isinstance(src, keras.Sequential):
            new = self._sequential(src)
        else:
            inputs = keras.tree.map_structure(_new_input, src.input)
            new = keras.models.clone_model(
                src, input_tensors=inputs, clone_function=self.layer_for,
                call_function=self.call,
            )
        if not src.trainable:
            new.trainable = False
        return new

    def _sequential(self, src: Any) -> Any:
        keras = _keras()
        inp = _new_input(src.inputs[0])
        x, layers = inp, []
        for layer in src.layers:
            edit = self.plan.edits.get(id(layer))
            new = self.layer_for(layer)
            x = self.call(new, x)
            if edit is not None and edit.delete:
                continue
            layers += (edit.before if edit else []) + [new] + (edit.after[::-1] if edit else [])
        seq = keras.Sequential([inp, *layers], name=src.name, trainable=src.trainable)
        if getattr(src, "compiled", False):
            seq.compile_from_config(src.get_compile_config())
        return seq

    # ---------------------------------------------------------------------------- layers
    def layer_for(self, src: Any) -> Any:
        """The layer standing for source layer ``src`` in the new model (made once)."""
        new = self.new_for.get(id(src))
        if new is not None:
            return new
        edit = self.plan.edits.get(id(src))
        if edit is not None and edit.replace is not None:
            new = edit.replace
        elif edit is not None and edit.delete:
            new = src  # never called
        elif edit is not None and edit.channels is not None:
            new, values = sliced_layer(src, edit.channels)
            self.fresh[id(new)] = (src, values)
        elif is_container(src) and (self.copy or id(src) in self.dirty):
            new = self.model(src)
        elif self.copy:
            new = type(src).from_config(src.get_config())
            if src.weights:
                self.fresh[id(new)] = (src, None)
        else:
            new = src
        self.new_for[id(src)] = new
        self.source_of[id(new)] = src
        return new

    def call(self, new: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``new`` (standing for a source layer) with the edits of that layer."""
        keras = _keras()
        src = self.source_of[id(new)]
        edit = self.plan.edits.get(id(src))
        if edit is None:
            out = self._call(new, src, args, kwargs, None)
            if id(src) in self.dirty:  # a nested model with edits inside
                inside = self._edits_inside(src)
                for t in keras.tree.flatten(out):
                    self.marks[id(t)] = inside
            return out
        if edit.delete:
            (x,) = [t for t in keras.tree.flatten((args, kwargs)) if _symbolic(t)]
            self.marks[id(x)] = edit.describe()
            return x
        if edit.before:
            (x,) = [t for t in keras.tree.flatten((args, kwargs)) if _symbolic(t)]
            y = x
            for layer in edit.before:
                y = self._call(layer, None, (y,), {}, edit)
            self.marks[id(y)] = edit.describe()
            args, kwargs = keras.tree.map_structure(
                lambda t: y if t is x else t, (args, kwargs)
            )
        if edit.replace is not None:
            kwargs = _accepted(new, kwargs)
        out = self._call(new, src, args, kwargs, edit)
        for layer in reversed(edit.after):  # the last job sits next to the layer
            out = self._call(layer, None, (out,), {}, edit)
        if edit.after or edit.replace is not None:
            for t in keras.tree.flatten(out):
                self.marks[id(t)] = edit.describe()
        return out

    def _edits_inside(self, container: Any) -> str:
        return ", ".join(
            e.describe() for e in self.plan.edits.values()
            if any(c is container for c in e.info.ancestors)
        )

    def _call(self, layer: Any, src: Any, args: tuple, kwargs: dict,
              edit: LayerEdit | None) -> Any:
        fresh = self.fresh.get(id(layer)) if not layer.built else None
        try:
            if fresh is None:
                out = layer(*args, **kwargs)
            else:
                out = self._build_fresh(layer, fresh, args, kwargs)
        except GraphEditError:
            raise
        except Exception as e:  # Keras' own shape errors, named for the user
            raise self._call_error(layer, src, args, kwargs, edit, e) from e
        return out

    def _build_fresh(self, layer: Any, fresh: tuple, args: tuple, kwargs: dict) -> Any:
        """First call of a copied (or sliced) layer: its variables get the source values."""
        src, values = fresh
        if values is None and not _same_input_shapes(src, args, kwargs):
            out = layer(*args, **kwargs)  # built for other shapes: set_weights checks them
            layer.set_weights(src.get_weights())
            return out
        names = [w.name for w in src.weights]
        if values is None:
            values = [w.numpy() for w in src.weights]
        self.feeder.start(names, values)
        try:
            out = layer(*args, **kwargs)
        finally:
            self.feeder.stop()
        if not self.feeder.complete(layer, values):
            layer.set_weights(values)
        return out

    def _call_error(self, layer: Any, src: Any, args: tuple, kwargs: dict,
                    edit: LayerEdit | None, error: Exception) -> GraphEditValueError:
        keras = _keras()
        ins = [t for t in keras.tree.flatten((args, kwargs)) if _symbolic(t)]
        shapes = ", ".join(f"{_from(t)}{tuple(t.shape)}" for t in ins)
        causes = sorted({self.marks[id(t)] for t in ins if id(t) in self.marks})
        if edit is not None and src is None:
            causes = [edit.describe()]
        was = ""
        if src is not None:
            before = kx.first_input_shapes(src)
            if before is not None:
                was = f" (in the source model it reads {before})"
        cause = f" after {', '.join(causes)}" if causes else ""
        first = str(error).strip().splitlines()
        return GraphEditValueError(
            f"The edited model cannot be built{cause}: layer '{layer.name}' "
            f"({type(layer).__name__}) does not accept its inputs {shapes}{was}. "
            f"Keras says: {first[0] if first else type(error).__name__}"
        )


def _accepted(layer: Any, kwargs: dict) -> dict:
    """The recorded call keywords (``mask=``, ``training=``...) a replacement accepts."""
    import inspect

    try:
        params = inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def _new_input(ref: Any) -> Any:
    """A new ``keras.Input`` like model input ``ref``, with its input layer's name."""
    return _keras().Input(
        batch_shape=tuple(ref.shape), dtype=ref.dtype, sparse=ref.sparse,
        name=kx.input_layer_name(ref),
    )


def _from(t: Any) -> str:
    layer = kx.producer(t)
    return f"from '{layer.name}' " if layer is not None else ""


def _symbolic(t: Any) -> bool:
    return isinstance(t, _keras().KerasTensor)


def _same_input_shapes(src: Any, args: tuple, kwargs: dict) -> bool:
    keras = _keras()
    before = kx.first_input_shapes(src)
    now = [tuple(t.shape) for t in keras.tree.flatten((args, kwargs)) if _symbolic(t)]
    return before is not None and before == now

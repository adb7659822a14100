"""SavedModel bridges: load a signature as an editable graph, save the edit, cut in two.

A TF2 SavedModel signature is a thin wrapper (``Placeholder -> StatefulPartitionedCall ->
Identity``) around the real function. :func:`load` inlines it into an editable graph whose
variables are the restored variables; :func:`save` writes a SavedModel serving the edited
graph under the same signature key and input/output names, with the original variables in
its checkpoint; :func:`split` writes two SavedModels, head and tail.

Example::

    sm = ge.saved_model.load(path)
    relu = sm.graph.get_tensor_by_name("StatefulPartitionedCall/mid:0")
    sm.outputs["mid"] = relu            # expose an intermediate tensor too
    ge.saved_model.save(sm, new_path)
    tf.saved_model.load(new_path).signatures["serving_default"](x=...)
"""

from __future__ import annotations

import os
import re
from typing import Any

import tensorflow as tf

from graph_editor import functions, util
from graph_editor.errors import (
    CaptureError,
    GraphEditKeyError,
    GraphEditTypeError,
    GraphEditValueError,
)

__all__ = ["EditableSavedModel", "load", "save", "split", "signature_names"]


class EditableSavedModel:
    """One signature of a SavedModel as an editable graph.

    Attributes:
        graph: the editable graph (calls inlined, variables captured); edit it with any
            ``ge`` verb.
        inputs: signature input name -> placeholder tensor of ``graph``.
        outputs: signature output name -> tensor of ``graph``; re-point or add entries to
            change what the saved signature returns.
        signature_key: the signature's key (``"serving_default"``).
        path: the directory it was loaded from.
        loaded: the object ``tf.saved_model.load`` returned (it owns the variables).
    """

    def __init__(self, graph: tf.Graph, inputs: dict, outputs: dict, signature_key: str,
                 path: str, loaded: Any) -> None:
        self.graph = graph
        self.inputs = inputs
        self.outputs = outputs
        self.signature_key = signature_key
        self.path = path
        self.loaded = loaded

    def function(self) -> Any:
        """The edited signature as a callable taking the inputs as keywords.

        Example:
            >>> sm.function()(x=np.ones([2, 4], np.float32))["y"]
        """
        keys = list(self.inputs)
        cf = functions.function_from_graph(
            self.graph, inputs=[self.inputs[k] for k in keys], outputs=dict(self.outputs)
        )

        def call(**kwargs: Any) -> Any:
            missing = [k for k in keys if k not in kwargs]
            if missing or len(kwargs) != len(keys):
                raise GraphEditTypeError(
                    f"Signature '{self.signature_key}' takes the keyword inputs {keys}; got "
                    f"{sorted(kwargs)}."
                )
            return cf(*[kwargs[k] for k in keys])

        call.concrete_function = cf  # type: ignore[attr-defined]
        return call

    def __repr__(self) -> str:
        return (
            f"EditableSavedModel({self.path!r}, signature={self.signature_key!r}, "
            f"inputs={list(self.inputs)}, outputs={list(self.outputs)}, "
            f"ops={len(self.graph.get_operations())})"
        )


def _load_object(path: Any) -> Any:
    path = os.fspath(path)
    try:
        return tf.saved_model.load(path)
    except (OSError, ValueError, tf.errors.OpError) as e:
        raise GraphEditValueError(f"Cannot load a SavedModel from '{path}': {e}") from e


def signature_names(path: Any) -> list[str]:
    """The signature keys of the SavedModel at ``path``.

    Example:
        >>> ge.saved_model.signature_names(path)
        ['serving_default']
    """
    return sorted(_load_object(path).signatures)


def load(path: Any, signature_key: str = "serving_default") -> EditableSavedModel:
    """Load one signature of a SavedModel as an editable graph.

    Args:
        path: the SavedModel directory.
        signature_key: which signature.

    Returns:
        An :class:`EditableSavedModel` with ``.graph``, ``.inputs`` and ``.outputs``.

    Raises:
        GraphEditKeyError: no such signature (the message lists the keys).
        GraphEditValueError: ``path`` is not a loadable SavedModel.

    Example:
        >>> sm = ge.saved_model.load(path)
        >>> sorted(sm.inputs), sorted(sm.outputs)
        (['x'], ['y', 'z'])
    """
    loaded = _load_object(path)
    signatures = loaded.signatures
    if signature_key not in signatures:
        raise GraphEditKeyError(
            f"SavedModel '{os.fspath(path)}' has no signature '{signature_key}'; it has "
            f"{sorted(signatures)}."
        )
    sig = signatures[signature_key]
    graph = functions.graph_from_function(sig)
    args = functions.function_inputs(graph)
    in_struct = sig.structured_input_signature
    if in_struct[0]:
        raise GraphEditValueError(
            f"Signature '{signature_key}' has positional inputs; SavedModel signatures take "
            "named inputs only."
        )
    inputs = dict(tf.nest.pack_sequence_as(in_struct[1], args))
    outputs = graph.structured_outputs
    if not isinstance(outputs, dict):
        outputs = {f"output_{i}": t for i, t in enumerate(tf.nest.flatten(outputs))}
    return EditableSavedModel(graph, inputs, dict(outputs), signature_key, os.fspath(path),
                              loaded)


def _key(name: str) -> str:
    name = name[:-2] if name.endswith(":0") else name
    key = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_")
    return key if key and key[0].isalpha() else f"t_{key}"


def _unique_keys(ts: list[tf.Tensor]) -> list[str]:
    keys: list[str] = []
    for t in ts:
        key, k = _key(t.name), 1
        while key in keys:
            key, k = f"{_key(t.name)}_{k}", k + 1
        keys.append(key)
    return keys


def _trackables_for(cf: Any, graph: tf.Graph, loaded: Any) -> tuple[list, list]:
    """The Variables and other resources (tables) whose handles ``cf`` captures.

    The saver must reach each captured resource from the root object; they are found among
    the source's variables and the objects tracked by the loaded SavedModel.
    """
    candidates = list(functions._KEEP_ALIVE.get(cf, ()))  # source's + edits' variables
    if loaded is not None:
        candidates += list(tf.train.TrackableView(loaded).descendants())
    by_handle: dict[int, Any] = {}
    for obj in candidates:
        if isinstance(obj, tf.Variable):
            by_handle.setdefault(id(obj.handle), obj)
        else:
            try:
                handle = obj.resource_handle  # CapturableResource: tables and the like
            except Exception:  # noqa: BLE001 - not a resource, or not created
                continue
            by_handle.setdefault(id(handle), obj)
    variables: dict[int, Any] = {}
    resources: dict[int, Any] = {}
    missing = []
    for external, internal in cf.graph.captures:
        obj = by_handle.get(id(external))
        if obj is None:
            if external.dtype == tf.resource:
                missing.append(internal.name)
        elif isinstance(obj, tf.Variable):
            variables[id(obj)] = obj
        else:
            resources[id(obj)] = obj
    if missing:
        raise CaptureError(
            f"The edited graph captures resource(s) {missing[:4]} that are neither variables "
            "nor resources tracked by the SavedModel: they cannot be written to the new "
            "SavedModel. Remove the ops reading them or replace them by constants."
        )
    return list(variables.values()), list(resources.values())


def _write(graph: tf.Graph, inputs: dict, outputs: dict, path: Any, signature_key: str,
           loaded: Any, drop_control: set | None = None) -> None:
    keys = list(inputs)
    for k, t in list(inputs.items()) + list(outputs.items()):
        if not isinstance(t, tf.Tensor) or getattr(t, "graph", None) is not graph:
            raise GraphEditTypeError(
                f"Signature entry '{k}' must be a tensor of the edited graph, got "
                f"{util._describe(t)}."
            )
    cf = functions._build_function(
        graph, [inputs[k] for k in keys], dict(outputs), drop_control=drop_control,
        name=f"{signature_key}_edited",
    )
    variables, resources = _trackables_for(cf, graph, loaded)
    specs = [tf.TensorSpec(inputs[k].shape, inputs[k].dtype, name=k) for k in keys]

    def serve(*args: tf.Tensor) -> Any:
        return cf(*args)

    serve_fn = tf.function(serve, input_signature=specs)
    module = tf.Module()
    module.kept_variables = variables
    module.kept_resources = resources
    module.serve = serve_fn
    tf.saved_model.save(
        module, os.fspath(path), signatures={signature_key: serve_fn.get_concrete_function()}
    )


def save(edited: EditableSavedModel, path: Any) -> None:
    """Write a SavedModel serving the edited graph under the original signature.

    The signature keeps its key and input names; its outputs are ``edited.outputs`` (the
    original names unless you changed them). Only the ops those outputs need are saved;
    the checkpoint holds the original variables (their current values). Load the result
    with ``tf.saved_model.load``.

    Args:
        edited: from :func:`load`, edited.
        path: the directory to write.

    Raises:
        GraphEditTypeError: ``edited`` is not an :class:`EditableSavedModel`, or an
            input/output is not a tensor of its graph.
        CaptureError: the graph captures a resource that is not a variable.
        CutError: an output needs an input placeholder that is not a signature input.

    Example:
        >>> ge.saved_model.save(sm, "/tmp/edited")
    """
    if not isinstance(edited, EditableSavedModel):
        raise GraphEditTypeError(
            "ge.saved_model.save expects the object ge.saved_model.load returned, got "
            f"{util._describe(edited)}."
        )
    _write(edited.graph, edited.inputs, edited.outputs, path, edited.signature_key,
           edited.loaded)


def split(
    path: Any,
    at: Any,
    head_path: Any,
    tail_path: Any,
    signature_key: str = "serving_default",
) -> list[str]:
    """Cut one SavedModel into two: ``tail(**head(**inputs))`` serves like the original.

    The head's signature has the original inputs and one output per crossing tensor; the
    tail's signature takes those as inputs and has the original outputs. Crossing tensors
    are named after the tensors (``"StatefulPartitionedCall/mid:0"`` ->
    ``"StatefulPartitionedCall_mid"``), in the order of ``ge.crossing_tensors``.

    Args:
        path: the SavedModel to cut.
        at: tensor name(s) of the loaded graph to cut at (a unique suffix works).
        head_path: where to write the head.
        tail_path: where to write the tail.
        signature_key: the signature to cut.

    Returns:
        The names of the crossing tensors (head outputs = tail inputs), in order.

    Raises:
        CutError: the cut does not separate the inputs from the outputs.
        GraphEditKeyError: an unknown name (closest listed) or signature.

    Example:
        >>> ge.saved_model.split(path, "mid", "/tmp/head", "/tmp/tail")
        ['StatefulPartitionedCall_mid']
    """
    sm = load(path, signature_key)
    crossing, drop = functions._cut(sm.graph, at)
    keys = _unique_keys(crossing)
    mid = dict(zip(keys, crossing))
    _write(sm.graph, sm.inputs, mid, head_path, signature_key, sm.loaded)
    _write(sm.graph, mid, sm.outputs, tail_path, signature_key, sm.loaded, drop_control=drop)
    return keys

"""SavedModel bridges: load a signature as an editable graph, save the edit, cut in two.

A TF2 SavedModel signature is a thin wrapper (``Placeholder -> StatefulPartitionedCall ->
Identity``) around the real function. :func:`load` inlines it into an editable graph whose
variables are the restored variables; :func:`save` writes a SavedModel serving the edited
graph under the same signature key and input/output names, with the original variables in
its checkpoint and the source's other signatures, attributes and functions (``serve``,
``__call__``: those computing the signature serve the edit, in their own structure);
:func:`split` writes two SavedModels, head and tail.

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
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tensorflow as tf

from graph_editor import _tf, functions, util
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

    def function(self) -> Callable[..., dict[str, tf.Tensor]]:
        """The edited signature as a callable taking the inputs as keywords.

        It returns the outputs by name; its ``concrete_function`` attribute is the
        ``ConcreteFunction`` it calls (the inputs positionally, in ``self.inputs`` order).

        Example:
            >>> sm.function()(x=np.ones([2, 4], np.float32))["y"]  # doctest: +SKIP
            <tf.Tensor: shape=(2, 4), dtype=float32, numpy=...>
        """
        keys = list(self.inputs)
        cf = functions.function_from_graph(
            self.graph, inputs=[self.inputs[k] for k in keys], outputs=dict(self.outputs)
        )

        def call(**kwargs: Any) -> dict[str, tf.Tensor]:
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
    if not isinstance(path, (str, os.PathLike)):
        raise GraphEditTypeError(f"ge.saved_model.load: path must be a directory path, got "
                                 f"{util._describe(path)}.")
    path = os.fspath(path)
    try:
        return tf.saved_model.load(path)
    except (OSError, ValueError, IndexError, tf.errors.OpError) as e:
        # IndexError: TF's checkpoint reader on truncated variable data ("Read less bytes").
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GraphEditValueError(
            f"Cannot load a SavedModel from '{path}': {first}. Is the directory complete "
            "(saved_model.pb and variables/ written whole)?"
        ) from e


def signature_names(path: Any) -> list[str]:
    """The signature keys of the SavedModel at ``path``.

    Example:
        >>> ge.saved_model.signature_names(path)  # doctest: +SKIP
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
        >>> sm = ge.saved_model.load(path)  # doctest: +SKIP
        >>> sorted(sm.inputs), sorted(sm.outputs)  # doctest: +SKIP
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
    for external, internal in _tf.func_graph_captures(cf.graph):
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


class _Link:
    """How one concrete function of a root endpoint maps onto the signature's names.

    ``in_keys``: the signature input key of each of its flat tensor arguments;
    ``out_keys``: the signature output key of each of its flat tensor outputs (None when
    the signature wrapper does not map them one to one).
    """

    __slots__ = ("in_keys", "out_keys")

    def __init__(self, in_keys: list[str] | None, out_keys: list[str] | None) -> None:
        self.in_keys = in_keys
        self.out_keys = out_keys


def _flat_tensors(structure: Any) -> list:
    return [t for t in tf.nest.flatten(structure, expand_composites=True)
            if isinstance(t, (tf.Tensor, tf.TensorSpec))]


def _signature_call(loaded: Any, signature_key: str) -> tuple[Any, _Link] | None:
    """The function a loaded signature wraps (the ``f`` of its only call op), with the
    signature key of each of that function's flat inputs and outputs."""
    sig = loaded.signatures[signature_key]
    calls = [op for op in sig.graph.get_operations() if op.type in functions._CALL_OPS]
    if len(calls) != 1:
        return None
    call = calls[0]
    args = functions.function_inputs(sig.graph)
    key_of = {id(t): k for k, t in
              tf.nest.pack_sequence_as(sig.structured_input_signature[1], args).items()}
    in_keys = []
    for t in call.inputs:
        if id(t) not in key_of:
            break  # the captured values follow the arguments
        in_keys.append(key_of[id(t)])
    out_keys: list[str | None] = [None] * len(call.outputs)
    structured = tf.nest.pack_sequence_as(sig.structured_outputs, list(sig.outputs))
    for k, t in (structured.items() if isinstance(structured, dict) else ()):
        while t.op.type == "Identity" and t.op is not call:
            t = t.op.inputs[0]
        if t.op is call:
            out_keys[t.value_index] = k
    named = [k for k in out_keys if k is not None]
    return call.get_attr("f").name, _Link(in_keys, named if len(named) == len(out_keys) else None)


def _linked_endpoints(loaded: Any, found: tuple[str, _Link]) -> dict[str, tuple[Any, dict]]:
    """Root functions of the loaded SavedModel that compute the signature (``found``:
    its wrapped function): Keras's ``serve``, a module's ``__call__``.
    name -> (function, {id(concrete fn): _Link})."""
    name, link = found
    res = {}
    for attr, child in tf.train.TrackableView(loaded).children(loaded).items():
        links = {}
        for cf in getattr(child, "concrete_functions", ()):
            cf_name = cf.name.decode() if isinstance(cf.name, bytes) else cf.name
            n_args = len(cf.inputs) - len(cf.captured_inputs)
            if cf_name == name:
                ok = link.in_keys is not None and n_args == len(link.in_keys) and (
                    link.out_keys is None or len(_flat_tensors(cf.structured_outputs))
                    == len(link.out_keys))
                links[id(cf)] = link if ok else _Link(None, None)
        if links:
            res[attr] = (child, links)
    return res


def _alias_signature(edited: Any, spec: dict, link: _Link, alias: _Link, same_in: bool,
                     same_out: bool, default: Any) -> Any:
    """Another signature wrapping the same function (Keras exports ``serve`` and
    ``serving_default``): it serves the edit under its own names where they map one to
    one, else it is the edited signature (``default``)."""
    if not same_in or link.in_keys is None or alias.in_keys is None or (
            len(alias.in_keys) != len(link.in_keys)):
        return default
    rename_in = dict(zip(alias.in_keys, link.in_keys))  # alias key -> edited signature key
    rename_out = None
    if same_out and link.out_keys is not None and alias.out_keys is not None and (
            len(link.out_keys) == len(alias.out_keys)):
        rename_out = dict(zip(link.out_keys, alias.out_keys))
    alias_keys = list(rename_in)
    specs = [tf.TensorSpec(spec[rename_in[k]].shape, spec[rename_in[k]].dtype, name=k)
             for k in alias_keys]

    def serve(*args: tf.Tensor) -> Any:
        feed = {rename_in[k]: a for k, a in zip(alias_keys, args)}
        out = edited(*[feed[k] for k in spec])
        return out if rename_out is None else {rename_out[k]: v for k, v in out.items()}

    return tf.function(serve, input_signature=specs).get_concrete_function()


def _trace_key(structure: Any) -> str:
    def leaf(x: Any) -> Any:
        if isinstance(x, tf.Tensor):
            return ("tensor", str(x.shape), x.dtype.name)
        return ("value", repr(x))

    return repr(tf.nest.map_structure(leaf, structure, expand_composites=True))


def _endpoint(source: Any, links: dict, edited: Any, spec: dict, keep_others: bool,
              same_in: bool, same_out: bool) -> Any:
    """A ``tf.function`` replacing a linked endpoint: its linked concrete functions call the
    edit, with the endpoint's own argument and output structure where the signature's
    input / output names are unchanged (else the signature's: keywords in, dict out); its
    other concrete functions (``keep_others``) call the source's."""
    keys = list(spec)
    current: list[Any] = [None]
    targets: dict[str, Any] = {}  # TF may trace again when saving: the call picks the cf

    def body(*args: Any, **kwargs: Any) -> Any:
        key = _trace_key((args, kwargs))
        target = targets.setdefault(key, current[0])
        link = links.get(id(target))
        if link is None:
            return target(*args, **kwargs)
        if same_in and link.in_keys is not None:
            feed = dict(zip(link.in_keys, _flat_tensors((args, kwargs))))
        else:
            feed = kwargs
        out = edited(*[feed[k] for k in keys])
        if not same_out or link.out_keys is None:
            return out
        pending = iter(link.out_keys)
        structure = target.structured_outputs
        leaves = [out[next(pending)] if isinstance(leaf, tf.TensorSpec) else leaf
                  for leaf in tf.nest.flatten(structure, expand_composites=True)]
        return tf.nest.pack_sequence_as(structure, leaves, expand_composites=True)

    fn = tf.function(body, autograph=False)
    for cf in list(source.concrete_functions):
        link = links.get(id(cf))
        if link is None and not keep_others:
            continue
        current[0] = cf
        if link is not None and not (same_in and link.in_keys is not None):
            fn.get_concrete_function(**spec)
        else:
            args, kwargs = cf.structured_input_signature
            fn.get_concrete_function(*args, **kwargs)
    current[0] = None
    return fn


def _check_entries(graph: tf.Graph, inputs: dict, outputs: dict) -> None:
    for k, t in list(inputs.items()) + list(outputs.items()):
        if not isinstance(t, tf.Tensor) or getattr(t, "graph", None) is not graph:
            raise GraphEditTypeError(
                f"Signature entry '{k}' must be a tensor of the edited graph, got "
                f"{util._describe(t)}."
            )


def _attach_api(root: Any, signatures: dict, loaded: Any, signature_key: str, edited: Any,
                spec: dict, outputs: dict, keep_api: bool) -> set[int]:
    """Put on ``root`` the loaded SavedModel's endpoints that compute the signature, serving
    the edit; with ``keep_api`` also its other attributes and signatures (aliases of the
    edited one serve the edit). Returns the ids of the objects reachable from them."""
    original = loaded.signatures[signature_key]
    same_in = set(spec) == set(original.structured_input_signature[1])
    same_out = set(outputs) == set(original.structured_outputs)
    found = _signature_call(loaded, signature_key)
    endpoints = {} if found is None else _linked_endpoints(loaded, found)
    for name, (source, links) in endpoints.items():
        setattr(root, name, _endpoint(source, links, edited, spec, keep_api, same_in, same_out))
    if not keep_api:
        return set()
    for name, child in tf.train.TrackableView(loaded).children(loaded).items():
        # "signatures" is rebuilt by tf.saved_model.save; _self_*: Trackable's own
        if name != "signatures" and not name.startswith("_self_") and name not in endpoints:
            setattr(root, name, child)
    for k, fn in loaded.signatures.items():
        if k in signatures:
            continue
        alias = _signature_call(loaded, k)
        if found is not None and alias is not None and alias[0] == found[0]:
            fn = _alias_signature(edited, spec, found[1], alias[1], same_in, same_out,
                                  signatures[signature_key])
        signatures[k] = fn
    return {id(o) for o in tf.train.TrackableView(loaded).descendants()}


def _write(graph: tf.Graph, inputs: dict, outputs: dict, path: Any, signature_key: str,
           loaded: Any, drop_control: set | None = None, keep_api: bool = True) -> None:
    """Save the edited signature. ``keep_api``: the other signatures and root attributes of
    ``loaded`` are kept too (else only the signature and the endpoints that compute it)."""
    _check_entries(graph, inputs, outputs)
    keys = list(inputs)
    cf = functions._build_function(
        graph, [inputs[k] for k in keys], dict(outputs), drop_control=drop_control,
        name=f"{signature_key}_edited",
    )
    variables, resources = _trackables_for(cf, graph, loaded)
    spec = {k: tf.TensorSpec(inputs[k].shape, inputs[k].dtype, name=k) for k in keys}

    def serve(*args: tf.Tensor) -> Any:
        return cf(*args)

    signatures = {signature_key: tf.function(serve, input_signature=list(spec.values()))
                  .get_concrete_function()}
    root = _tf.new_trackable()
    reachable: set[int] = set()
    if loaded is not None:
        reachable = _attach_api(root, signatures, loaded, signature_key, cf, spec, outputs,
                                keep_api)
    variables = [v for v in variables if id(v) not in reachable]
    resources = [r for r in resources if id(r) not in reachable]
    if variables:
        root.kept_variables = variables  # read by the edit, not reachable otherwise
    if resources:
        root.kept_resources = resources
    tf.saved_model.save(root, os.fspath(path), signatures=signatures)


def _target_dir(path: Any, overwrite: Any, what: str) -> Path:
    """Check a SavedModel destination before any work: a new or empty directory, or an
    existing one only with ``overwrite``."""
    if not isinstance(path, (str, os.PathLike)):
        raise GraphEditTypeError(f"{what}: the path must be a str or os.PathLike, got "
                                 f"{util._describe(path)}.")
    overwrite = util.check_flag(overwrite, "overwrite")
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise GraphEditValueError(f"{what}: '{target}' is a file; give a directory for the "
                                  "SavedModel.")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        kind = "a SavedModel" if (target / "saved_model.pb").exists() else "files"
        raise GraphEditValueError(
            f"{what}: '{target}' already holds {kind}; nothing was written. Pass "
            "overwrite=True to replace it, or give a new directory."
        )
    return target


def _write_into_place(targets: list[Path], write: Any) -> None:
    """Run ``write(tmp_dirs)`` into temporary sibling directories, then move each into
    place: a failure leaves every target as it was (no half-written SavedModel)."""
    tmps: list[Path] = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmps.append(Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent)))
        write(tmps)
        for tmp, target in zip(tmps, targets):
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old.{os.getpid()}")
                os.replace(target, old)
            os.replace(tmp, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        for tmp in tmps:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def save(edited: EditableSavedModel, path: Any, overwrite: bool = False) -> None:
    """Write a SavedModel serving the edited graph under the original signature.

    The signature keeps its key and input names; its outputs are ``edited.outputs`` (the
    original names unless you changed them). Only the ops those outputs need are saved;
    the checkpoint holds the original variables (their current values). Load the result
    with ``tf.saved_model.load``.

    The SavedModel keeps the source's API: every other signature and root attribute, and
    the root functions that computed this signature (Keras's ``serve``, a module's
    ``__call__``) serve the edit with their own argument and output structure (the
    signature's dict where the edit changed the output names). Signatures wrapping the
    same function as this one (Keras's ``serve`` and ``serving_default``) serve the edit
    too. An unedited round trip is indistinguishable from the source.

    The SavedModel is written into a temporary sibling directory and moved into place, so
    a failure leaves ``path`` as it was.

    Args:
        edited: from :func:`load`, edited.
        path: the directory to write: new, empty, or (with ``overwrite``) replaced.
        overwrite: replace a non-empty ``path`` (the source's own directory included).

    Raises:
        GraphEditTypeError: ``edited`` is not an :class:`EditableSavedModel`, or an
            input/output is not a tensor of its graph.
        CaptureError: the graph captures a resource that is not a variable.
        CutError: an output needs an input placeholder that is not a signature input.

    Example:
        >>> ge.saved_model.save(sm, "/tmp/edited")  # doctest: +SKIP
    """
    if not isinstance(edited, EditableSavedModel):
        raise GraphEditTypeError(
            "ge.saved_model.save expects the object ge.saved_model.load returned, got "
            f"{util._describe(edited)}."
        )
    target = _target_dir(path, overwrite, "ge.saved_model.save")
    _write_into_place([target], lambda tmps: _write(
        edited.graph, edited.inputs, edited.outputs, tmps[0], edited.signature_key,
        edited.loaded))


def split(
    path: Any,
    at: Any,
    head_path: Any,
    tail_path: Any,
    signature_key: str = "serving_default",
    overwrite: bool = False,
) -> list[str]:
    """Cut one SavedModel into two: ``tail(**head(**inputs))`` serves like the original.

    The head's signature has the original inputs and one output per crossing tensor; the
    tail's signature takes those as inputs and has the original outputs. The root functions
    that computed the signature are kept in both halves: the head's take the original
    arguments and return the crossing tensors by name, the tail's take them as keywords
    and return the original output structure (``model.export``'s ``serve``:
    ``tail.serve(**head.serve(x))``). Other signatures and attributes are not. Crossing tensors
    are named after the tensors (``"StatefulPartitionedCall/mid:0"`` ->
    ``"StatefulPartitionedCall_mid"``), in the order of ``ge.crossing_tensors``.

    Args:
        path: the SavedModel to cut.
        at: tensor name(s) of the loaded graph to cut at (a unique suffix works).
        head_path: where to write the head.
        tail_path: where to write the tail.
        signature_key: the signature to cut.
        overwrite: replace non-empty ``head_path`` / ``tail_path``. Both halves are written
            into temporary directories first: a failure writes neither.

    Returns:
        The names of the crossing tensors (head outputs = tail inputs), in order.

    Raises:
        CutError: the cut does not separate the inputs from the outputs.
        GraphEditKeyError: an unknown name (closest listed) or signature.

    Example:
        >>> ge.saved_model.split(path, "mid", "/tmp/head", "/tmp/tail")  # doctest: +SKIP
        ['StatefulPartitionedCall_mid']
    """
    targets = [_target_dir(head_path, overwrite, "ge.saved_model.split (head_path)"),
               _target_dir(tail_path, overwrite, "ge.saved_model.split (tail_path)")]
    if targets[0].resolve() == targets[1].resolve():
        raise GraphEditValueError("ge.saved_model.split: head_path and tail_path are the same "
                                  f"directory '{targets[0]}'; give two.")
    sm = load(path, signature_key)
    crossing, drop = functions._cut(sm.graph, at)
    keys = _unique_keys(crossing)
    mid = dict(zip(keys, crossing))

    def write(tmps: list[Path]) -> None:
        _write(sm.graph, sm.inputs, mid, tmps[0], signature_key, sm.loaded, keep_api=False)
        _write(sm.graph, mid, sm.outputs, tmps[1], signature_key, sm.loaded,
               drop_control=drop, keep_api=False)

    _write_into_place(targets, write)
    return keys

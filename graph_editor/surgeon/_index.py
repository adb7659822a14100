"""Where every layer of a model lives: containers, paths, call sites, name resolution.

A model is a tree of containers (the model itself, and every Sequential or functional model
used as a layer inside it). Each layer is known by its object, its name, or its path
``"outer_model/inner_layer"``; each has call sites (Keras nodes) in its container's graph.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from graph_editor import util
from graph_editor.errors import GraphEditKeyError, GraphEditTypeError, GraphEditValueError
from graph_editor.surgeon import _keras

__all__ = ["Site", "LayerInfo", "ModelIndex", "check_model", "is_container"]

_MAX_CANDIDATES = 6


def _keras_mod():
    import keras

    return keras


def is_container(layer: Any) -> bool:
    """A model the surgeon can look inside: Sequential or functional."""
    keras = _keras_mod()
    return isinstance(layer, keras.Sequential) or _keras.is_functional(layer)


def check_model(model: Any, caller: str) -> None:
    """Refuse anything but a built Sequential or functional Keras model."""
    keras = _keras_mod()
    if not isinstance(model, keras.Model):
        raise GraphEditTypeError(
            f"{caller} expects a keras.Model (Sequential or functional), got "
            f"{util._describe(model)}."
        )
    if not is_container(model):
        raise GraphEditTypeError(
            f"{caller}: model '{model.name}' is a subclassed model ({type(model).__name__}): "
            "its layer graph is Python code the surgeon cannot see. Rebuild it as a "
            "functional or Sequential model (keras.Model(inputs, outputs))."
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise GraphEditValueError(
            f"{caller}: model '{model.name}' is not built: it has no inputs. Start a "
            "Sequential with keras.Input(shape) (or call model.build(input_shape))."
        )


@dataclass
class Site:
    """One call of a layer in its container: the tensors it reads and produces."""

    inputs: list
    outputs: list


@dataclass
class LayerInfo:
    """A layer of the model tree: its path, its container and its call sites there."""

    layer: Any
    path: str
    container: Any
    ancestors: list = field(default_factory=list)  # containers from the top model down
    sites: list = field(default_factory=list)


class ModelIndex:
    """Every layer of ``model`` and of the containers nested in it, by id, name and path."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.by_id: dict[int, LayerInfo] = {}
        self.by_path: dict[str, LayerInfo] = {}
        self.containers: dict[int, Any] = {}
        self._walk(model, "", [])

    def _walk(self, container: Any, prefix: str, ancestors: list) -> None:
        self.containers[id(container)] = container
        chain = ancestors + [container]
        sites = _sites_of(container)
        for layer in container.layers:
            path = prefix + layer.name
            info = LayerInfo(layer, path, container, chain, sites.get(id(layer), []))
            self.by_id.setdefault(id(layer), info)
            self.by_path[path] = info
            if is_container(layer) and id(layer) not in self.containers:
                self._walk(layer, path + "/", chain)

    def resolve(self, layer: Any, what: str = "layer") -> LayerInfo:
        """The layer ``layer`` designates: a layer object of the model, a name, or a path.

        Raises:
            GraphEditKeyError: no such layer (the closest names are listed) or a bare name
                that several nested models use (their paths are listed).
            GraphEditTypeError: neither a layer nor a string.
        """
        keras = _keras_mod()
        if isinstance(layer, str):
            return self._by_name(layer, what)
        if isinstance(layer, keras.layers.Layer):
            info = self.by_id.get(id(layer))
            if info is None:
                raise GraphEditKeyError(
                    f"The {what} {type(layer).__name__} '{layer.name}' is not a layer of model "
                    f"'{self.model.name}' (nor of a model nested in it). Pass a layer of the "
                    f"model (model.get_layer(name)) or its name. {self._hint(layer.name)}"
                )
            return info
        raise GraphEditTypeError(
            f"Expected a layer of model '{self.model.name}' or its name for {what}, got "
            f"{util._describe(layer)}."
        )

    def _by_name(self, name: str, what: str) -> LayerInfo:
        info = self.by_path.get(name)
        if info is not None:
            return info
        matches = [i for p, i in self.by_path.items() if p.rsplit("/", 1)[-1] == name]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise GraphEditKeyError(
                f"The {what} name '{name}' is used by {len(matches)} layers of model "
                f"'{self.model.name}': {[i.path for i in matches]}. Give the path."
            )
        raise GraphEditKeyError(
            f"Model '{self.model.name}' has no {what} named '{name}'. {self._hint(name)}"
        )

    def _hint(self, name: str) -> str:
        paths = list(self.by_path)
        close = difflib.get_close_matches(name, paths, n=_MAX_CANDIDATES, cutoff=0.5)
        bases = {p.rsplit("/", 1)[-1]: p for p in paths}
        for b in difflib.get_close_matches(name, list(bases), n=_MAX_CANDIDATES, cutoff=0.5):
            if bases[b] not in close and len(close) < _MAX_CANDIDATES:
                close.append(bases[b])
        return f"Closest names: {close}." if close else f"Layers: {paths[:_MAX_CANDIDATES]}."

    def containers_with(self, infos: list) -> set[int]:
        """Ids of the containers that hold (at any depth) the layers in ``infos``."""
        return {id(c) for info in infos for c in info.ancestors}


def _sites_of(container: Any) -> dict[int, list]:
    """Call sites of each layer in ``container``'s own graph, keyed by layer id.

    A Sequential model's graph is walked like a functional one (from its outputs), so
    calls of its layers in other models never count.
    """
    sites: dict[int, list] = {}
    for node in _keras.model_nodes(container):
        sites.setdefault(id(node.operation), []).append(
            Site(_keras.node_inputs(node), _keras.node_outputs(node))
        )
    return sites

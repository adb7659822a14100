"""A batch of layer edits, checked for conflicts as it is built, before any rebuild."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph_editor import util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError
from graph_editor.surgeon._index import LayerInfo, ModelIndex

__all__ = ["LayerEdit", "Plan"]


@dataclass
class LayerEdit:
    """Everything asked of one source layer: at most one of delete / replace / channels,
    and any number of layers inserted before or after it."""

    info: LayerInfo
    delete: bool = False
    replace: Any = None
    before: list = field(default_factory=list)
    after: list = field(default_factory=list)
    channels: Any = None  # filled by the channel surgery

    @property
    def layer(self) -> Any:
        return self.info.layer

    def main_job(self) -> str | None:
        if self.delete:
            return "delete_layer"
        if self.replace is not None:
            return "replace_layer"
        if self.channels is not None:
            return "delete_channels"
        return None

    def describe(self) -> str:
        """``"delete_layer('fc2')"`` and the like, for error messages."""
        jobs = []
        if self.main_job():
            jobs.append(f"{self.main_job()}('{self.info.path}')")
        if self.before:
            jobs.append(f"insert_layer(before '{self.info.path}')")
        if self.after:
            jobs.append(f"insert_layer(after '{self.info.path}')")
        return " + ".join(jobs)


class Plan:
    """The edits of one rebuild, keyed by the id of the source layer they touch."""

    def __init__(self, index: ModelIndex) -> None:
        self.index = index
        self.edits: dict[int, LayerEdit] = {}
        self._new_layers: dict[int, str] = {}  # id(new layer) -> the job that uses it

    def _edit(self, info: LayerInfo) -> LayerEdit:
        edit = self.edits.get(id(info.layer))
        if edit is None:
            edit = self.edits[id(info.layer)] = LayerEdit(info)
        return edit

    def _check_main(self, info: LayerInfo, job: str) -> None:
        edit = self.edits.get(id(info.layer))
        if edit is None:
            return
        other = edit.main_job()
        if other is not None and not (other == job == "delete_channels"):
            raise GraphEditValueError(
                f"Layer '{info.path}' already has a {other} job; a {job} job on the same "
                "layer conflicts with it. Keep one of them."
            )
        if job == "delete_layer" and (edit.before or edit.after):
            raise GraphEditValueError(
                f"Layer '{info.path}' has an insert_layer job; deleting it as well is "
                "ambiguous. Replace it with the new layer instead (replace_layer)."
            )

    def _claim(self, new_layer: Any, job: str, info: LayerInfo) -> None:
        import keras

        if not isinstance(new_layer, keras.layers.Layer):
            raise GraphEditTypeError(
                f"{job} on '{info.path}' needs new_layer=<a keras.layers.Layer>, got "
                f"{util._describe(new_layer)}."
            )
        if id(new_layer) in self.index.by_id:
            raise GraphEditValueError(
                f"{job} on '{info.path}': new_layer '{new_layer.name}' is already a layer of "
                f"model '{self.index.model.name}'. Pass a new layer (e.g. "
                "type(layer).from_config(layer.get_config()))."
            )
        if id(new_layer) in self._new_layers:
            raise GraphEditValueError(
                f"{job} on '{info.path}': new_layer '{new_layer.name}' is already used by "
                f"{self._new_layers[id(new_layer)]}. Pass a separate layer object per job."
            )
        self._new_layers[id(new_layer)] = f"{job}('{info.path}')"

    def delete(self, info: LayerInfo) -> None:
        self._check_main(info, "delete_layer")
        _check_sites(info, "delete_layer", inputs=True, outputs=True)
        self._edit(info).delete = True

    def replace(self, info: LayerInfo, new_layer: Any) -> None:
        self._check_main(info, "replace_layer")
        _check_sites(info, "replace_layer")
        self._claim(new_layer, "replace_layer", info)
        self._edit(info).replace = new_layer

    def channels(self, info: LayerInfo, spec: Any) -> None:
        """Slice ``info``'s layer for a channel deletion (a delete/replace job conflicts)."""
        edit = self.edits.get(id(info.layer))
        if edit is not None and (edit.delete or edit.replace is not None):
            raise GraphEditValueError(
                f"Layer '{info.path}' has a {edit.main_job()} job but the delete_channels "
                "jobs must slice it as well. Drop one of the jobs."
            )
        self._edit(info).channels = spec

    def insert(self, info: LayerInfo, new_layer: Any, after: bool) -> None:
        edit = self.edits.get(id(info.layer))
        if edit is not None and edit.delete:
            raise GraphEditValueError(
                f"Layer '{info.path}' has a delete_layer job; inserting next to it as well "
                "is ambiguous. Replace it with the new layer instead (replace_layer)."
            )
        _check_sites(info, "insert_layer", inputs=not after, outputs=after)
        self._claim(new_layer, "insert_layer", info)
        edit = self._edit(info)
        (edit.after if after else edit.before).append(new_layer)


def _check_sites(info: LayerInfo, job: str, inputs: bool = False, outputs: bool = False) -> None:
    """The layer is called in its model, and each call has one input / one output tensor
    where the job needs it."""
    import keras

    if isinstance(info.layer, keras.layers.InputLayer):
        raise GraphEditValueError(
            f"{job}: '{info.path}' is an input layer of the model; edit the layers after it."
        )
    if not info.sites:
        raise GraphEditValueError(
            f"{job}: layer '{info.path}' is not called in the graph of model "
            f"'{info.container.name}' (no path from its inputs to its outputs goes through "
            "it); there is nothing to edit."
        )
    for i, site in enumerate(info.sites):
        where = f" (call {i + 1} of {len(info.sites)})" if len(info.sites) > 1 else ""
        if inputs and len(site.inputs) != 1:
            raise GraphEditValueError(
                f"{job}: layer '{info.path}'{where} reads {len(site.inputs)} tensors "
                f"{_names(site.inputs)}; {_what(job, 'inputs')} needs a layer with exactly "
                "one input tensor."
            )
        if outputs and len(site.outputs) != 1:
            raise GraphEditValueError(
                f"{job}: layer '{info.path}'{where} produces {len(site.outputs)} tensors; "
                f"{_what(job, 'outputs')} needs a layer with exactly one output tensor."
            )


def _what(job: str, side: str) -> str:
    if job == "delete_layer":
        return "deleting a layer (its consumers read its input)"
    return "inserting before a layer" if side == "inputs" else "inserting after a layer"


def _names(tensors: list) -> list:
    from graph_editor.surgeon import _keras as kx

    out = []
    for t in tensors:
        layer = kx.producer(t)
        name = getattr(layer, "name", None) or getattr(t, "name", "?")
        out.append(f"{name}{tuple(getattr(t, 'shape', ()))}")
    return out

"""``Surgeon``: many layer edits of one Keras model, applied in one rebuild."""

from __future__ import annotations

from typing import Any

from graph_editor import util
from graph_editor.errors import GraphEditTypeError, GraphEditValueError
from graph_editor.surgeon._channels import Flow
from graph_editor.surgeon._index import ModelIndex, check_model
from graph_editor.surgeon._plan import Plan
from graph_editor.surgeon._rebuild import rebuild
from graph_editor.surgeon.channels import check_deletion, target_deletion

__all__ = ["Surgeon", "JOBS"]

JOBS = ("delete_layer", "insert_layer", "replace_layer", "delete_channels")


class Surgeon:
    """Collect layer edits of a Keras model, then rebuild it once with all of them.

    Each :meth:`add_job` is checked at once (the layer exists, the job fits its call sites,
    it does not conflict with an earlier job); :meth:`operate` returns a new Keras model.
    The source model is never changed.

    Args:
        model: a built Sequential or functional Keras 3 model.
        copy: True (default): every layer of the result is a new object holding a copy of
            the source weights, so training the result leaves the source alone. False: the
            result shares every untouched layer (and its weights) with the source.

    Example:
        >>> model = keras.Sequential([
        ...     keras.Input((4,)), keras.layers.Dense(8, name="fc1"), keras.layers.ReLU(name="act"),
        ...     keras.layers.Dropout(0.5, name="dropout"), keras.layers.Dense(2, name="fc2")])
        >>> surgeon = Surgeon(model)
        >>> surgeon.add_job("delete_layer", "dropout")
        >>> surgeon.add_job("insert_layer", "fc2", after=True,
        ...                 new_layer=keras.layers.GaussianNoise(0.1, name="noise"))
        >>> new_model = surgeon.operate()
        >>> [layer.name for layer in new_model.layers]
        ['fc1', 'act', 'fc2', 'noise']
    """

    def __init__(self, model: Any, *, copy: bool = True) -> None:
        check_model(model, "Surgeon")
        self.model = model
        self.copy = bool(copy)
        self._index = ModelIndex(model)
        self._plan = Plan(self._index)
        self._done = False
        self._flow: Flow | None = None
        self._deleted: dict[int, set] = {}

    def add_job(self, job: str, *args: Any, new_layer: Any = None, channels: Any = None,
                after: bool = False, expand: bool = True) -> None:
        """Add one edit: ``add_job(job, layer, ...)`` (or keras-surgeon's
        ``add_job(job, model, layer, ...)``).

        Args:
            job: ``"delete_layer"``, ``"insert_layer"``, ``"replace_layer"`` or
                ``"delete_channels"``.
            *args: the layer (object, name or ``"inner_model/layer"`` path), optionally
                preceded by this surgeon's model.
            new_layer: the layer to insert or to replace with.
            channels: the channels to delete (``"delete_channels"``).
            after: for ``"insert_layer"``: on the layer's output instead of its input.
            expand: for ``"delete_channels"``: delete from the whole coupled group (True)
                or raise ``ChannelGroupError`` (False); see ``delete_channels``.

        Raises:
            GraphEditKeyError: no such layer (closest names listed).
            GraphEditValueError: the job does not fit the layer, or conflicts with another.

        Example:
            >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="fc1"),
            ...     keras.layers.ReLU(name="act"), keras.layers.Dense(2, name="fc2")])
            >>> surgeon = Surgeon(model)
            >>> surgeon.add_job("replace_layer", "act", new_layer=keras.layers.ReLU(max_value=6.0))
        """
        if self._done:
            raise GraphEditValueError("This Surgeon has already operated; make a new one.")
        layer = self._layer_arg(job, args)
        if job not in JOBS:
            raise GraphEditValueError(f"Unknown job {job!r}; expected one of {list(JOBS)}.")
        info = self._index.resolve(layer)
        if job != "insert_layer" and after:
            raise GraphEditValueError(f"after=True is for insert_layer jobs, not {job}.")
        if job != "delete_channels" and channels is not None:
            raise GraphEditValueError(f"channels= is for delete_channels jobs, not {job}.")
        if job == "delete_layer":
            if new_layer is not None:
                raise GraphEditValueError("delete_layer takes no new_layer.")
            self._plan.delete(info)
        elif job == "insert_layer":
            self._plan.insert(info, _required(new_layer, job, info.path), bool(after))
        elif job == "replace_layer":
            self._plan.replace(info, _required(new_layer, job, info.path))
        else:
            self._add_channels(info, channels, expand)

    def _add_channels(self, info: Any, channels: Any, expand: bool) -> None:
        if channels is None:
            raise GraphEditValueError(
                f"delete_channels on '{info.path}' needs channels=<list of indices>."
            )
        edit = self._plan.edits.get(id(info.layer))
        if edit is not None and edit.main_job() not in (None, "delete_channels"):
            raise GraphEditValueError(
                f"Layer '{info.path}' already has a {edit.main_job()} job; a delete_channels "
                "job on the same layer conflicts with it."
            )
        if self._flow is None:
            self._flow = Flow(self._index)
        deletion = target_deletion(self._flow, info.layer, channels)
        check_deletion(self._flow, deletion, info.layer, expand)
        for root, gone in deletion.items():
            self._deleted.setdefault(root, set()).update(gone)

    def _layer_arg(self, job: str, args: tuple) -> Any:
        if not isinstance(job, str):
            raise GraphEditTypeError(f"job must be a string such as 'delete_layer', got "
                                     f"{util._describe(job)}.")
        if len(args) == 2:
            model, layer = args
            if model is not self.model:
                raise GraphEditValueError(
                    f"add_job({job!r}, model, layer): the model is not this Surgeon's model "
                    f"'{self.model.name}'. Use one Surgeon per model."
                )
            return layer
        if len(args) == 1:
            if args[0] is self.model:
                raise GraphEditValueError(
                    f"add_job({job!r}, model): name the layer to edit, e.g. "
                    f"add_job({job!r}, 'fc2') or add_job({job!r}, model, 'fc2')."
                )
            return args[0]
        raise GraphEditTypeError(
            f"add_job({job!r}, ...) takes the layer (or the model and the layer); got "
            f"{len(args)} positional arguments."
        )

    def operate(self) -> Any:
        """Apply every job in one rebuild and return the new model.

        Raises:
            GraphEditValueError: the edited model cannot be built (e.g. a consumer does not
                accept the new shapes); the message names the layers and the shapes.

        Example:
            >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="fc1"),
            ...     keras.layers.ReLU(name="act"), keras.layers.Dense(2, name="fc2")])
            >>> surgeon = Surgeon(model)
            >>> surgeon.add_job("delete_layer", "act")
            >>> new_model = surgeon.operate()
            >>> [layer.name for layer in new_model.layers]
            ['fc1', 'fc2']
        """
        if self._done:
            raise GraphEditValueError("This Surgeon has already operated; make a new one.")
        if self._deleted:
            self._plan_channels()
        new = rebuild(self._plan, self.copy)
        self._done = True
        return new


    def _plan_channels(self) -> None:
        flow = self._flow
        assert flow is not None, "delete_channels made the flow before recording a deletion"
        for root, gone in self._deleted.items():
            g = flow.groups.group(root)
            if len(gone) >= g.n:
                raise GraphEditValueError(
                    f"The delete_channels jobs together delete all {g.n} channels of group "
                    f"{[p.name for p in g.producers]}; keep at least one."
                )
        specs = flow.specs({r: sorted(g) for r, g in self._deleted.items()})
        for layer, spec in specs.values():
            self._plan.channels(self._index.resolve(layer), spec)


def _required(new_layer: Any, job: str, path: str) -> Any:
    if new_layer is None:
        raise GraphEditValueError(f"{job} on '{path}' needs new_layer=<a keras layer>.")
    return new_layer

"""Keras 3 layer surgery: delete, insert and replace layers, returning Keras models.

keras-surgeon's verbs for Keras 3, on public Keras APIs (``clone_model``,
``get_config``/``from_config``, ``get_weights``/``set_weights``)::

    from graph_editor import surgeon

    model2 = surgeon.delete_layer(model, "dropout")
    model3 = surgeon.insert_layer(model, "fc2", keras.layers.GaussianNoise(0.1), after=True)
    s = surgeon.Surgeon(model)
    s.add_job("replace_layer", "act", new_layer=keras.layers.ReLU(6.0))
    model4 = s.operate()

Layers are named by object, name or path (``"inner_model/layer"`` inside a nested model).
The source model is never changed; see ``docs/surgeon.md``.
"""

from graph_editor.surgeon.channels import ChannelGroup, channel_groups, delete_channels
from graph_editor.surgeon.layers import delete_layer, insert_layer, replace_layer
from graph_editor.surgeon.pruning import importance, prune
from graph_editor.surgeon.surgeon import Surgeon

__all__ = [
    "delete_layer",
    "insert_layer",
    "replace_layer",
    "Surgeon",
    "delete_channels",
    "channel_groups",
    "ChannelGroup",
    "importance",
    "prune",
]

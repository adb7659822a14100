"""``python -m graph_editor``: the ``graph-editor`` command (see :mod:`graph_editor.cli`)."""

import sys

from graph_editor.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())

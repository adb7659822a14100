"""Compatibility package: ``graph_editor.tests.match`` is where TF 1.1-1.15 kept ``match``."""

__all__: list[str] = []

"""Small helpers for the notebook's widgets: a button with its action, showing and hiding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets


def button(label: str, css_class: str, on_click: Callable[[Any], None], **kwargs: Any) -> widgets.Button:
    """A button labelled ``label`` that calls ``on_click``; ``css_class`` names it for styles and tests."""
    found = widgets.Button(description=label, _dom_classes=[css_class], **kwargs)
    found.on_click(on_click)
    return found


def show(widget: widgets.DOMWidget, visible: bool) -> None:
    """Show or hide ``widget`` (hidden widgets take no room)."""
    widget.layout.display = None if visible else "none"

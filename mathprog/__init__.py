"""mathprog: the executable companion to "Mathematics for Programming 101, Part 3:
Calculus and Optimization".

One module per section of the article; import the one you need, e.g.
``from mathprog import derivatives`` or ``from mathprog.optim import Adam``.
Submodules are loaded on first use so that ``import mathprog`` stays fast (matplotlib and
ipywidgets are only imported by ``mathprog.plotting`` and ``mathprog.widgets``).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "autodiff",
    "data",
    "derivatives",
    "diagnostics",
    "functions",
    "gradcheck",
    "nn",
    "optim",
    "planted",
    "plotting",
    "regression",
    "training",
    "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

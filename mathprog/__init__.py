"""mathprog: the executable companion to "Mathematics for Programming 101, Part 3:
Calculus and Optimization".

One module per section of the article, e.g. ``from mathprog import derivatives``; each is
loaded on first use, so ``import mathprog`` stays fast.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "autodiff", "data", "derivatives", "diagnostics", "exercises",
           "explorer", "functions", "gradcheck", "integrals", "nn", "ode", "optim", "planted",
           "plotting", "regression", "training", "widgets"]


def __getattr__(name: str) -> Any:
    if name in __all__:  # a submodule (__version__ is defined above)
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

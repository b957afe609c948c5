"""The machinery behind :func:`mathprog.exercises.check`: results, the registry, safe calls.

A check function receives the reader's answer and either returns the success message or
raises :class:`Fail` with the diagnosis. Everything the reader's code does is run through
:func:`call`, so an exception in it becomes a message, never a traceback from mathprog.
"""

from __future__ import annotations

import ast
import html
import inspect
import math
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

NOT_YET = "not yet: fill in the stub (replace the `...` with your code), then run this cell again"


class Fail(Exception):
    """Raised by a check with the message the reader sees."""


@dataclass(frozen=True)
class Result:
    """The verdict of :func:`check`: ``passed`` and a one-line ``message``."""

    exercise: str
    passed: bool
    message: str

    def __str__(self) -> str:
        return f"{'✓' if self.passed else '✗'} {self.exercise}: {self.message}"

    __repr__ = __str__

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.passed else "#b35900"
        return (f'<div class="mathprog-check" style="font-family: monospace; color: {color}">'
                f"{html.escape(str(self))}</div>")


@dataclass(frozen=True)
class Exercise:
    id: str
    run: Callable[[Any], str]


REGISTRY: dict[str, Exercise] = {}


def exercise(exercise_id: str) -> Callable:
    """Register ``fn(answer) -> success message`` under ``exercise_id``."""

    def register(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        if exercise_id in REGISTRY:
            raise RuntimeError(f"exercise {exercise_id!r} registered twice")
        REGISTRY[exercise_id] = Exercise(exercise_id, fn)
        return fn

    return register


# --------------------------------------------------------------------------- stubs


def _empty(*args: Any, **kwargs: Any) -> None: ...


def _body_is_ellipsis(fn: Any) -> bool:
    """True for ``def f(...): ...`` (an optional docstring, then only ``...``).

    Read from the source where Python has it (files, IPython cells); otherwise a function
    whose bytecode is that of an empty body (``...``, ``pass``, ``return None``) counts.
    """
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        code = getattr(fn, "__code__", None)
        return code is not None and code.co_code == _empty.__code__.co_code \
            and not code.co_names
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    return len(body) == 1 and isinstance(body[0], ast.Expr) \
        and isinstance(body[0].value, ast.Constant) and body[0].value.value is Ellipsis


def is_stub(answer: Any) -> bool:
    """``...`` itself, a container holding it, a function (or a class method) whose body is
    ``...``."""
    if answer is Ellipsis:
        return True
    if isinstance(answer, (tuple, list)):
        return any(is_stub(a) for a in answer)
    if isinstance(answer, dict):
        return any(is_stub(a) for a in answer.values())
    if inspect.isclass(answer):
        own = [v for k, v in vars(answer).items() if inspect.isfunction(v)]
        return any(_body_is_ellipsis(v) for v in own)
    if inspect.isfunction(answer) or inspect.ismethod(answer):
        return _body_is_ellipsis(answer)
    return False


# --------------------------------------------------------------------------- safe calls


def call(fn: Any, *args: Any, what: str = "your function") -> Any:
    """Call the reader's ``fn``; its exceptions and a ``None`` result become :class:`Fail`."""
    if not callable(fn):
        raise Fail(f"expected a function, got {type(fn).__name__}")
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args)
    except Exception as err:  # the reader's bug, reported as a message
        raise Fail(f"{what} raised {type(err).__name__}: {err}") from None
    if out is Ellipsis:
        raise Fail(NOT_YET)
    if out is None:
        raise Fail(f"{what} returned None: did you forget `return`?")
    return out


def number(x: Any, what: str = "your answer") -> float:
    """A finite real number, else :class:`Fail`."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        if isinstance(x, np.ndarray) and x.shape in ((), (1,)):
            x = x.reshape(())[()]
            return number(x, what)
        raise Fail(f"{what} should be a number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise Fail(f"{what} is {x}, not a finite number")
    return x


def array(x: Any, shape: tuple[int, ...], what: str = "your answer") -> np.ndarray:
    """A finite float array of ``shape``, else :class:`Fail` (naming the shape found)."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise Fail(f"{what} should be an array of numbers, got {type(x).__name__}") from None
    if a.shape != shape:
        raise Fail(f"{what} has shape {a.shape}, expected {shape}")
    if not np.all(np.isfinite(a)):
        raise Fail(f"{what} contains nan or inf")
    return a


def close(a: Any, b: Any, rtol: float = 1e-6) -> bool:
    """``|a - b| <= rtol * max(|b|, 1e-12)`` in the 2-norm (arrays or numbers)."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape or not np.all(np.isfinite(a)):
        return False
    return bool(np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-12))


# --------------------------------------------------------------------------- diagnoses


def _factor_words(s: float, n: int | None) -> str:
    """Name a factor the way notebook 08's ``scale`` column is read."""
    for value, words in (
        (0.0, "zero: never computed"),
        (-1.0, "off by a factor −1: a sign"),
        (2.0, "off by a factor 2"),
        (0.5, "off by a factor 1/2"),
    ):
        if abs(s - value) < 1e-6:
            return words
    if n is not None and abs(s - n) < 1e-6 * n:
        return f"off by a factor N = {n}: a missing 1/N (the mean)"
    if n is not None and abs(s - 1 / n) < 1e-6:
        return f"off by a factor 1/N = 1/{n}: divided by N once too often"
    return f"off by a factor {s:.3g}"


def compare_gradient(name: str, got: Any, ref: np.ndarray, n: int | None = None,
                     rtol: float = 1e-6) -> None:
    """Raise :class:`Fail` naming ``name`` and what is wrong with it, unless it matches."""
    ref = np.asarray(ref, dtype=float)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Fail(f"{name} should be an array of numbers, got {type(got).__name__}") from None
    if g.shape != ref.shape:
        if g.shape == ref.T.shape and ref.ndim == 2 and close(g, ref.T, rtol):
            raise Fail(f"{name} is transposed: shape {g.shape}, expected {ref.shape}")
        raise Fail(f"{name} has shape {g.shape}, expected {ref.shape}")
    if not np.all(np.isfinite(g)):
        raise Fail(f"{name} contains nan or inf")
    if close(g, ref, rtol):
        return
    if ref.ndim == 2 and ref.shape[0] == ref.shape[1] and close(g, ref.T, rtol):
        raise Fail(f"{name} is transposed (a square matrix hides it: the shape is right)")
    denom = float(np.vdot(ref, ref))
    if denom > 0:
        s = float(np.vdot(g, ref)) / denom  # least squares: got ≈ s · ref
        if close(g, s * ref, 1e-6) or (abs(s) < 1e-9 and np.linalg.norm(g) < 1e-9):
            raise Fail(f"{name} is {_factor_words(s, n)}")
    rel = np.linalg.norm(g - ref) / max(np.linalg.norm(ref), 1e-300)
    raise Fail(f"{name} is wrong: relative error {rel:.1e} (tolerance {rtol:g})")


def match_mistakes(got: Any, mistakes: dict[str, Any], rtol: float = 1e-6) -> None:
    """Raise :class:`Fail` with the message of the first known mistake ``got`` equals."""
    for message, value in mistakes.items():
        try:
            if np.shape(got) == np.shape(value) and close(got, value, rtol):
                raise Fail(message)
        except (TypeError, ValueError):
            continue


ORDER_WORDS = {1: "h", 2: "h²", 3: "h³", 4: "h⁴"}


def measured_order(hs: list[float], errors: list[float]) -> float:
    """Slope of log(error) against log(h): the order of the error, measured."""
    e = np.maximum(np.asarray(errors, dtype=float), 1e-300)
    return float(np.polyfit(np.log(hs), np.log(e), 1)[0])


def order_verdict(p: float, expected: int, var: str = "h") -> None:
    """Fail unless the measured order ``p`` rounds to ``expected``."""
    words = {k: w.replace("h", var) for k, w in ORDER_WORDS.items()}
    shown = round(p, 1) + 0.0  # displayed without "-0.0"
    k = int(round(p))
    if abs(p - expected) < 0.4:
        return
    if k < 0.6:
        raise Fail(f"the error does not fall as {var} shrinks (measured order {shown:.1f}): "
                   "it does not converge to the right value")
    got = words.get(k, f"{var}^{k}")
    raise Fail(f"the error falls like {got}, not {words[expected]} (measured order {shown:.1f})")

"""Argument checks for all of mathprog, with one rule.

A value of the wrong *type* raises TypeError, a value of the right type but out of range (or
NaN, inf, an empty or mis-shaped array) raises ValueError; either message starts with the
parameter's name. Each check returns the value converted (``float``, ``int``, ndarray).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_REAL = (int, float, np.integer, np.floating)


def number(value: Any, name: str, *, lo: float = -math.inf, lo_open: bool = False,
           hi: float = math.inf, hi_open: bool = False) -> float:
    """A finite real number (not a bool) in ``[lo, hi]`` (open ends on request)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _REAL):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and (v > lo if lo_open else v >= lo) and
            (v < hi if hi_open else v <= hi)):
        left = "(" if lo_open or lo == -math.inf else "["
        right = ")" if hi_open or hi == math.inf else "]"
        raise ValueError(f"{name} must be a finite number in {left}{lo:g}, {hi:g}{right}, got "
                         f"{value!r}")
    return v


def positive(value: Any, name: str) -> float:
    """A finite number > 0."""
    return number(value, name, lo=0.0, lo_open=True)


def integer(value: Any, name: str, minimum: int = 0, maximum: float = math.inf) -> int:
    """An int (not a bool, not a float such as 1.0 or 1.5) in ``[minimum, maximum]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        top = "" if maximum == math.inf else f" and <= {maximum:g}"
        raise ValueError(f"{name} must be >= {minimum}{top}, got {value}")
    return int(value)


def optional(check: Any, value: Any, name: str, **kw: Any) -> Any:
    """``None`` or whatever ``check`` accepts."""
    return None if value is None else check(value, name, **kw)


def choice(value: Any, name: str, options: tuple[str, ...]) -> str:
    """One of ``options`` (strings)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {options}, got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def array(value: Any, name: str, *, ndim: int | None = None, dtype: Any = np.float64,
          finite: bool = True, empty: bool = False) -> np.ndarray:
    """A real array (bools and numbers, not objects or strings) converted to ``dtype``.

    ``dtype=None`` keeps float32/float64 and turns other real dtypes into float64.
    """
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists
        raise ValueError(f"{name} must be a rectangular array of numbers") from None
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not empty and a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    if dtype is None:
        dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float64
    a = a.astype(dtype, copy=False)
    if finite and a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return a


def float_dtype(value: Any, name: str = "dtype") -> np.dtype:
    """np.float32 or np.float64 (the dtypes the models compute in)."""
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"{name} must be np.float32 or np.float64, got {value!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be np.float32 or np.float64, got {dt}")
    return dt


def generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """None (fresh entropy), an int seed >= 0, or a numpy Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(optional(integer, rng, name))


def has(obj: Any, name: str, *attrs: str) -> Any:
    """``obj`` if it has every attribute in ``attrs`` (duck typing), else TypeError."""
    if missing := [a for a in attrs if not hasattr(obj, a)]:
        raise TypeError(f"{name} must have {', '.join(attrs)}; {type(obj).__name__} lacks "
                        f"{', '.join(missing)}")
    return obj


def function(fn: Any, name: str) -> Any:
    """``fn`` if it is callable, else TypeError."""
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    return fn


def interval(value: Any, name: str, positive: bool = False) -> tuple[float, float]:
    """A pair of finite numbers ``lo < hi`` (and ``0 < lo`` if ``positive``), as floats."""
    if not isinstance(value, (Sequence, np.ndarray)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (lo, hi), got {value!r}")
    lo, hi = number(value[0], f"{name}[0]"), number(value[1], f"{name}[1]")
    if not (lo < hi and (lo > 0 or not positive)):
        raise ValueError(f"{name} must satisfy {'0 < ' if positive else ''}lo < hi, got {value!r}")
    return lo, hi


def increasing(value: Any, name: str) -> np.ndarray:
    """A non-empty, finite, strictly increasing 1-D float64 array (times, sample points)."""
    a = array(value, name, ndim=1)
    if (bad := np.flatnonzero(np.diff(a) <= 0)).size:
        k = int(bad[0]) + 1
        raise ValueError(f"{name} must be strictly increasing, got {name}[{k}] = {a[k]!r} "
                         f"after {name}[{k - 1}] = {a[k - 1]!r}")
    return a

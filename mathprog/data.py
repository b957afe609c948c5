"""Datasets: digits and diabetes (shipped, sha256-checked; see ``data/README.md``), the Mauna
Loa CO2 record, two moons, and a seeded train/test split. Used from notebook 05 on.
"""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path

import numpy as np

from mathprog import _checks as check

__all__ = ["DIABETES_FEATURES", "ChecksumError", "load_co2", "load_diabetes", "load_digits",
           "make_linear", "make_moons", "make_spirals", "train_test_split"]

DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
"""Column names of ``load_diabetes()[0]``; ``DIABETES_FEATURES.index("bmi") == 2``."""

_SHA256 = {
    "digits.npz": "dff739c317c3d7a561cd1d11ae22ab4ac7f0557489c9e3935e97bec510d05737",
    "diabetes.npz": "a5f3c443fd4d5934db6a20d37527191f8338cc165b23f3a1b7c72a30c30588bb",
    "co2.npz": "fb3be6d928a20715b8d83578a949fe1390e58151b1f67569a7e47538b19719ed",
}

# Where the .npz files are looked for, in order: inside the installed package (a wheel maps
# the repository's data/ to mathprog/_data/), then the repository's data/ (editable install).
_HERE = Path(__file__).resolve().parent
_DATA_DIRS = (_HERE / "_data", _HERE.parent / "data")


class ChecksumError(RuntimeError):
    """A shipped data file does not have the sha256 recorded in ``mathprog.data``."""


def _load_npz(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``name`` from the first of ``_DATA_DIRS`` that has it, sha256-checked."""
    path = next((folder / name for folder in _DATA_DIRS if (folder / name).is_file()), None)
    if path is None:
        searched = ", ".join(str(folder) for folder in _DATA_DIRS)
        raise FileNotFoundError(f"data file {name!r} not found; searched: {searched}")
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != _SHA256[name]:
        raise ChecksumError(f"checksum mismatch for {path}: expected sha256 {_SHA256[name]}, "
                            f"got {actual}; restore the file from the repository")
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        return dict(npz)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits of UCI optdigits (pixel counts 0..16).

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
        Row-major pixels; ``X[i].reshape(8, 8)`` is image ``i``.
    y : ndarray of int64, shape (1797,)
        The digit, 0..9.
    """
    arrays = _load_npz("digits.npz")
    return arrays["X"].astype(np.float64), arrays["y"].astype(np.int64)


def load_diabetes() -> tuple[np.ndarray, np.ndarray]:
    """The diabetes set of Efron et al. (2004), raw features in ``DIABETES_FEATURES`` order.

    Their scales differ by two orders of magnitude: why scaling matters for gradient descent.

    Returns
    -------
    X : ndarray of float64, shape (442, 10)
    y : ndarray of float64, shape (442,)
        A quantitative measure of disease progression one year after baseline (25..346).
    """
    arrays = _load_npz("diabetes.npz")
    return arrays["X"].astype(np.float64), arrays["y"].astype(np.float64)


def make_linear(n_samples: int, n_features: int = 1, noise: float = 0.1, seed: int | None = 0,
                *, return_params: bool = False) -> tuple[np.ndarray, ...]:
    """``y = X @ w + b + noise * e`` with ``X``, ``e`` standard normal, each ``|w_j|`` in [1, 3)
    with a random sign and ``b`` in [-1, 1].

    Returns ``X`` (n_samples, n_features) and ``y`` (n_samples,), float64; with
    ``return_params=True`` also the true ``w`` and ``b``, to compare a fit against.
    """
    n_samples = check.integer(n_samples, "n_samples", 1)
    n_features = check.integer(n_features, "n_features", 1)
    noise = check.number(noise, "noise", lo=0.0)
    rng = check.generator(seed, "seed")
    w = rng.uniform(1.0, 3.0, n_features) * rng.choice([-1.0, 1.0], n_features)
    b = float(rng.uniform(-1.0, 1.0))
    X = rng.standard_normal((n_samples, n_features))
    y = X @ w + b + noise * rng.standard_normal(n_samples)
    return (X, y, w, b) if return_params else (X, y)


def make_moons(n_samples: int, noise: float = 0.1,
               seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles plus Gaussian ``noise``, rows shuffled.

    Returns ``X`` (float64, shape ``(n_samples, 2)``) and the class ``y`` (int64): class 0
    is ``(cos t, sin t)``, class 1 ``(1 - cos t, 0.5 - sin t)``, t in [0, pi].
    """
    n_samples = check.integer(n_samples, "n_samples", 2)
    noise = check.number(noise, "noise", lo=0.0)
    rng = check.generator(seed, "seed")
    n0 = n_samples // 2
    t = np.concatenate([np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n_samples - n0)])
    X = np.column_stack([np.cos(t), np.sin(t)])
    X[n0:] = [1.0, 0.5] - X[n0:]
    y = (np.arange(n_samples) >= n0).astype(np.int64)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_spirals(n_samples: int, n_classes: int = 3, noise: float = 0.2,
                 seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's interleaved spiral arms, one per class, rows shuffled.

    Arm k: radius r from 0 to 1, angle ``4 (r + k)`` plus Gaussian ``noise`` (radians), the point
    ``r (sin angle, cos angle)``. Returns ``X`` (float64, (n_samples, 2)) and ``y`` (int64).
    """
    n_classes = check.integer(n_classes, "n_classes", 2)
    n_samples = check.integer(n_samples, "n_samples", n_classes)
    noise = check.number(noise, "noise", lo=0.0)
    rng = check.generator(seed, "seed")
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    y = np.repeat(np.arange(n_classes, dtype=np.int64), sizes)
    r = np.concatenate([np.linspace(0.0, 1.0, size) for size in sizes])  # 0 centre, 1 tip
    angle = 4.0 * (r + y) + noise * rng.standard_normal(n_samples)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def train_test_split(X: np.ndarray, y: np.ndarray, test_size: float = 0.2,
                     seed: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows and split off ``ceil(test_size * n)`` of them as the test part.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays
        Rows of ``X`` and ``y`` (same dtypes), paired as in the input.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"X and y must have one row per sample, as many in each, got shapes "
                         f"{X.shape} and {y.shape}")
    check.number(test_size, "test_size", lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    n = len(X)
    n_test = math.ceil(test_size * n)
    if n_test >= n:  # also when n < 2
        raise ValueError(f"test_size={test_size} leaves no training rows out of {n}; "
                         "need more samples")
    order = check.generator(seed, "seed").permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def load_co2() -> tuple[np.ndarray, np.ndarray]:
    """Weekly CO2 at Mauna Loa, March 1958 to December 2001 (Keeling and Whorf).

    Returns
    -------
    year : ndarray of float64, shape (2284,)
        Each week's date as a decimal year (1958-03-29 is 1958.2384).
    co2 : ndarray of float64, shape (2284,)
        Mole fraction in ppm; NaN for the 59 weeks without data.
    """
    arrays = _load_npz("co2.npz")
    date, year = arrays["date"], arrays["date"].astype("datetime64[Y]")
    start = year.astype("datetime64[D]")
    end = (year + np.timedelta64(1, "Y")).astype("datetime64[D]")
    fraction = (date - start) / (end - start)
    return year.astype(np.int64) + 1970 + fraction, arrays["co2"].astype(np.float64)

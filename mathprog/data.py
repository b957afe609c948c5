"""Datasets: two small real ones shipped with the package, three generators, and a split.

Real data (files in ``data/``, provenance, license and checksums in ``data/README.md``):

- ``load_digits()``: 1,797 handwritten digits as 8x8 images of pixel counts 0..16
  (UCI "Optical Recognition of Handwritten Digits", CC BY 4.0).
- ``load_diabetes()``: 442 patients, 10 raw baseline features, and disease progression one
  year later (Efron, Hastie, Johnstone and Tibshirani 2004, "Least Angle Regression").

Each file's sha256 is checked on every load, so a damaged or swapped file fails loudly instead
of quietly changing every result downstream. Generators (``make_linear``, ``make_moons``,
``make_spirals``) and ``train_test_split`` are deterministic for a given ``seed``.
"""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path

import numpy as np

from mathprog import _checks as check

__all__ = [
    "DIABETES_FEATURES",
    "DIGITS_SHAPE",
    "ChecksumError",
    "load_diabetes",
    "load_digits",
    "make_linear",
    "make_moons",
    "make_spirals",
    "train_test_split",
]

DIGITS_SHAPE = (8, 8)
"""Shape of one digit image: ``X[i].reshape(DIGITS_SHAPE)``."""

DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
"""Column names of ``load_diabetes()[0]``; ``DIABETES_FEATURES.index("bmi") == 2``."""

_SHA256 = {
    "digits.npz": "dff739c317c3d7a561cd1d11ae22ab4ac7f0557489c9e3935e97bec510d05737",
    "diabetes.npz": "a5f3c443fd4d5934db6a20d37527191f8338cc165b23f3a1b7c72a30c30588bb",
}

# Where the .npz files are looked for, in order: inside the installed package (a wheel maps
# the repository's data/ to mathprog/_data/), then the repository's data/ (editable install).
_DATA_DIRS = (
    Path(__file__).resolve().parent / "_data",
    Path(__file__).resolve().parent.parent / "data",
)


class ChecksumError(RuntimeError):
    """A shipped data file does not have the sha256 recorded in ``mathprog.data``."""


def _data_path(name: str) -> Path:
    for folder in _DATA_DIRS:
        if (folder / name).is_file():
            return folder / name
    searched = ", ".join(str(folder) for folder in _DATA_DIRS)
    raise FileNotFoundError(f"data file {name!r} not found; searched: {searched}")


def _load_npz(name: str) -> dict[str, np.ndarray]:
    """Read a shipped file once, verify its sha256, and return its arrays (no pickles)."""
    path = _data_path(name)
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != _SHA256[name]:
        raise ChecksumError(
            f"checksum mismatch for data file {path}: expected sha256 {_SHA256[name]}, "
            f"got {actual}. The file is damaged or was replaced; restore it from the repository."
        )
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits of the UCI optdigits test set.

    Each 32x32 binary scan was divided into 4x4 blocks and the "on" pixels counted, giving
    an 8x8 image of integers 0..16. Roughly 180 images per class.

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
        Pixel counts 0..16, row-major; ``X[i].reshape(DIGITS_SHAPE)`` is image ``i``.
    y : ndarray of int64, shape (1797,)
        The digit, 0..9.
    """
    arrays = _load_npz("digits.npz")
    return arrays["X"].astype(np.float64), arrays["y"].astype(np.int64)


def load_diabetes() -> tuple[np.ndarray, np.ndarray]:
    """The diabetes regression set of Efron et al. (2004), raw (unscaled) features.

    Columns, in ``DIABETES_FEATURES`` order: age (years), sex (coded 1 or 2), bmi (body mass
    index, kg/m^2), bp (average blood pressure), and six blood serum measurements s1..s6
    (tc total cholesterol, ldl, hdl, tch = total/HDL cholesterol, ltg = log of triglycerides,
    glu blood sugar). The scales differ by two orders of magnitude, which is exactly why
    feature scaling matters for gradient descent.

    Returns
    -------
    X : ndarray of float64, shape (442, 10)
    y : ndarray of float64, shape (442,)
        A quantitative measure of disease progression one year after baseline (25..346).
    """
    arrays = _load_npz("diabetes.npz")
    return arrays["X"].astype(np.float64), arrays["y"].astype(np.float64)


# --- generators -------------------------------------------------------------------------------


def make_linear(
    n_samples: int,
    n_features: int = 1,
    noise: float = 0.1,
    seed: int | None = 0,
    *,
    return_params: bool = False,
) -> tuple[np.ndarray, ...]:
    """Points from a random linear model plus Gaussian noise: ``y = X @ w + b + noise * e``.

    ``X`` and ``e`` are standard normal; each true weight has a random sign and a magnitude
    uniform in [1, 3) (a clearly visible slope); the bias ``b`` is uniform in [-1, 1]. All
    are drawn from ``np.random.defaultcheck.generator(seed, "seed")``.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, n_features)
    y : ndarray of float64, shape (n_samples,)
    w : ndarray of float64, shape (n_features,)
        Only with ``return_params=True``: the true weights, to compare a fit against.
    b : float
        Only with ``return_params=True``: the true bias.
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


def make_moons(
    n_samples: int, noise: float = 0.1, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, a classic non-linearly-separable 2-D set.

    Class 0 is the upper arc ``(cos t, sin t)``, class 1 the lower arc
    ``(1 - cos t, 0.5 - sin t)``, ``t`` evenly spaced in [0, pi]; Gaussian noise of standard
    deviation ``noise`` is added to both coordinates and the rows are shuffled. Class sizes
    differ by at most one.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,), values 0 and 1
    """
    n_samples = check.integer(n_samples, "n_samples", 2)
    noise = check.number(noise, "noise", lo=0.0)
    rng = check.generator(seed, "seed")
    n0 = n_samples // 2
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n_samples - n0)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n_samples - n0, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_spirals(
    n_samples: int, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n spiral set).

    Arm ``k`` has radius ``r`` from 0 to 1 and angle ``4 r + 4 k`` radians plus Gaussian noise
    of standard deviation ``noise`` (radians); a point is ``r * (sin angle, cos angle)``.
    ``n_samples`` is split as evenly as possible between classes; rows are shuffled.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 2), inside the unit disc
    y : ndarray of int64, shape (n_samples,), values 0..n_classes-1
    """
    n_classes = check.integer(n_classes, "n_classes", 2)
    n_samples = check.integer(n_samples, "n_samples", n_classes)
    noise = check.number(noise, "noise", lo=0.0)
    rng = check.generator(seed, "seed")
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    y = np.repeat(np.arange(n_classes, dtype=np.int64), sizes)
    # Position along its own arm: 0 at the centre, 1 at the tip.
    r = np.concatenate([np.linspace(0.0, 1.0, size) for size in sizes])
    angle = 4.0 * (r + y) + noise * rng.standard_normal(n_samples)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_size: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows and split them into a training and a test part.

    The test part has ``ceil(test_size * n)`` rows; both parts get at least one. The same
    ``seed`` always gives the same split.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays
        Rows of ``X`` and ``y`` (same dtypes), paired as in the input.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must have at least one dimension (one row per sample)")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows, got {len(X)} and {len(y)}")
    check.number(test_size, "test_size", lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    n = len(X)
    if n < 2:
        raise ValueError(f"X and y need at least 2 rows to split, got {n}")
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(
            f"test_size={test_size} leaves no training rows out of {n}; need more samples"
        )
    order = check.generator(seed, "seed").permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]

"""Test objectives (notebooks 03, 04, 07): a quadratic, a ravine, Rosenbrock, Himmelblau, Beale.

``f(x)`` and ``f.grad(x)`` take a point ``(n,)`` or a stacked grid ``(n, *grid)`` (contours need
no loop), real or complex (the complex step: the formulas are polynomials).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mathprog import _checks as check

__all__ = ["Objective", "Quadratic", "Ravine", "Rosenbrock", "Himmelblau", "Beale"]


class Objective:
    """Input checks; a subclass sets ``_f``, ``_grad``, ``minimizer``, ``x0``, ``window``."""

    name: str = "objective"
    dim: int = 2
    minimum: float = 0.0

    def __call__(self, x: Any) -> Any:
        value = self._f(self._check(x))
        return value if isinstance(value, np.ndarray) and value.ndim else value.item()

    def grad(self, x: Any) -> np.ndarray:
        """Gradient at ``x`` (shape ``(n,)``, or ``(n, *grid)`` for a stacked grid)."""
        return self._grad(self._check(x))

    def hessian(self, x: Any) -> np.ndarray:
        """Hessian ``(n, n)`` at a single real point ``x`` of shape ``(n,)``."""
        return self._hessian(check.array(self._check(x), "x", ndim=1))

    def _hessian(self, x: np.ndarray) -> np.ndarray:  # complex step of the polynomial grad: exact
        H = np.array([self._grad(x + 1e-30j * e).imag / 1e-30 for e in np.eye(self.dim)])
        return (H + H.T) / 2

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _check(self, x: Any) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "biufc":
            raise TypeError(f"x must be numeric, got dtype {x.dtype}")
        if x.dtype.kind in "biu":
            x = x.astype(np.float64)
        if x.ndim == 0 and self.dim == 1:
            x = x.reshape(1)  # a plain number is a point of a 1-D objective
        if x.ndim == 0 or x.shape[0] != self.dim:
            raise ValueError(f"x must have shape ({self.dim},) or ({self.dim}, *grid) "
                             f"for {self.name}, got shape {x.shape}")
        return x


class Quadratic(Objective):
    """``f(x) = 1/2 x^T A x - b^T x`` for a symmetric positive definite ``A``.

    Gradient ``A x - b``, Hessian ``A``, minimiser ``A^{-1} b``; ``L``, ``mu`` are the largest
    and smallest eigenvalues of ``A`` and ``condition_number = L / mu``.

    Parameters
    ----------
    A : array (n, n)
        Symmetric positive definite; ``(1, 1)`` gives a 1-D quadratic.
    b : array (n,), optional
        Linear term (default zero).
    """

    def __init__(self, A: Any, b: Any = None) -> None:
        A = check.array(A, "A", ndim=2).copy()
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square (n, n) matrix, got shape {A.shape}")
        if not np.allclose(A, A.T, rtol=0.0, atol=1e-12 * max(1.0, np.abs(A).max())):
            raise ValueError("A must be symmetric (A == A.T), it is not")
        eigenvalues = np.linalg.eigvalsh(A)
        if eigenvalues[0] <= 0:
            raise ValueError(f"A must be positive definite; its smallest eigenvalue is "
                             f"{eigenvalues[0]:.3g}")
        n = A.shape[0]
        b = np.zeros(n) if b is None else check.array(b, "b", ndim=1).copy()
        if b.shape != (n,):
            raise ValueError(f"b must have shape ({n},) to match A, got shape {b.shape}")
        self.A, self.b, self.dim = A, b, n
        self.L, self.mu = float(eigenvalues[-1]), float(eigenvalues[0])
        self.condition_number = self.L / self.mu
        self.minimizer = np.linalg.solve(A, b)
        self.minimum = float(-0.5 * b @ self.minimizer)
        self.window = tuple((float(c) - 3.0, float(c) + 3.0) for c in self.minimizer)
        self.x0 = self.minimizer + 2.0 * (-1.0) ** np.arange(1, n + 1)  # (-2, 2, -2, ...)
        self.name = "quadratic" if n > 1 else "1-D quadratic"

    def __repr__(self) -> str:
        return f"Quadratic(A={self.A.tolist()}, b={self.b.tolist()})"

    def _f(self, x: np.ndarray) -> Any:
        if x.ndim == 1:  # a single point: plain products are several times faster
            return 0.5 * (x @ (self.A @ x)) - self.b @ x
        Ax = np.tensordot(self.A, x, axes=(1, 0))
        return 0.5 * np.sum(x * Ax, axis=0) - np.tensordot(self.b, x, axes=(0, 0))

    def _grad(self, x: np.ndarray) -> np.ndarray:
        if x.ndim == 1:
            return self.A @ x - self.b
        b = self.b.reshape(self.b.shape + (1,) * (x.ndim - 1))
        return np.tensordot(self.A, x, axes=(1, 0)) - b

    def _hessian(self, x: np.ndarray) -> np.ndarray:
        return self.A.copy()


class Ravine(Quadratic):
    """A narrow quadratic valley through the origin, tilted by 30°: gradient descent zig-zags.

    Curvature ``L = 1`` across the valley, ``mu = 1 / condition_number`` along its floor.
    """

    angle = 30.0  # the direction of the valley floor, in degrees

    def __init__(self, condition_number: float = 50.0) -> None:
        kappa = check.number(condition_number, "condition_number", lo=1.0)
        t = np.deg2rad(self.angle)
        along, across = np.array([np.cos(t), np.sin(t)]), np.array([-np.sin(t), np.cos(t)])
        super().__init__(np.outer(across, across) + 1.0 / kappa * np.outer(along, along))
        self.minimizer = np.zeros(2)  # the solve's is (-0.0, 0.0)
        self.x0 = -2.5 * along + 0.5 * across
        self.name = f"ravine (condition number {kappa:g})"

    def __repr__(self) -> str:
        return f"Ravine(condition_number={self.condition_number:g})"


class Rosenbrock(Objective):
    """``f(x, y) = (a - x)^2 + b (y - x^2)^2``: a curved, flat-bottomed banana valley.

    Minimum 0 at ``(a, a^2)``. The valley floor is easy to reach and slow to follow.
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = check.number(a, "a"), check.positive(b, "b")
        self.minimizer = np.array([self.a, self.a**2])
        s = max(1.0, abs(self.a))
        self.window = ((-2.0 * s, 2.0 * s), (-1.0 * s, s * s + 2.0 * s))
        self.x0 = np.array([-1.2 * s, 1.0 * s])
        self.name = "Rosenbrock"

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"

    def _f(self, x: np.ndarray) -> Any:
        return (self.a - x[0]) ** 2 + self.b * (x[1] - x[0] ** 2) ** 2

    def _grad(self, x: np.ndarray) -> np.ndarray:
        r = x[1] - x[0] ** 2
        return np.array([-2.0 * (self.a - x[0]) - 4.0 * self.b * x[0] * r, 2.0 * self.b * r])


class Himmelblau(Objective):
    """``f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2``: four minima, all with value 0.

    ``minimizer`` is the one at ``(3, 2)``; the others are near ``(-2.805, 3.131)``,
    ``(-3.779, -3.283)`` and ``(3.584, -1.848)``. Which one an optimizer finds depends on where
    it starts.
    """

    def __init__(self) -> None:
        self.minimizer = np.array([3.0, 2.0])
        self.window = ((-5.0, 5.0), (-5.0, 5.0))
        self.x0 = np.array([0.0, 0.0])
        self.name = "Himmelblau"

    def _f(self, x: np.ndarray) -> Any:
        return (x[0] ** 2 + x[1] - 11.0) ** 2 + (x[0] + x[1] ** 2 - 7.0) ** 2

    def _grad(self, x: np.ndarray) -> np.ndarray:
        u, v = x[0] ** 2 + x[1] - 11.0, x[0] + x[1] ** 2 - 7.0
        return np.array([4.0 * x[0] * u + 2.0 * v, 2.0 * u + 4.0 * x[1] * v])


class Beale(Objective):
    """``f(x, y) = sum_i (c_i - x + x y^i)^2``, i = 1, 2, 3, c = (1.5, 2.25, 2.625).

    Minimum 0 at ``(3, 0.5)``, in a narrow curved valley; the function rises steeply (like
    ``x^2 y^6``) at the edges of its window, so contours are best drawn on a log scale.
    """

    _c = (1.5, 2.25, 2.625)

    def __init__(self) -> None:
        self.minimizer = np.array([3.0, 0.5])
        self.window = ((-4.5, 4.5), (-4.5, 4.5))
        self.x0 = np.array([1.0, 1.5])
        self.name = "Beale"

    def _f(self, x: np.ndarray) -> Any:
        return sum((c - x[0] + x[0] * x[1] ** i) ** 2 for i, c in enumerate(self._c, 1))

    def _grad(self, x: np.ndarray) -> np.ndarray:
        gx = gy = 0  # the sums of 2 r_i times the partials of the residual r_i
        for i, c in enumerate(self._c, 1):
            r2 = 2.0 * (c - x[0] + x[0] * x[1] ** i)
            gx = gx + r2 * (x[1] ** i - 1.0)
            gy = gy + r2 * (i * x[0] * x[1] ** (i - 1))
        return np.array([gx, gy])

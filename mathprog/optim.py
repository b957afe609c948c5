"""Optimizers with ``torch.optim``'s semantics (to 1e-12 over 100 steps), and ``minimize``.

``opt.step(params, grads)`` updates a list of arrays in place, keeping state per array (in its
dtype; ``opt.reset()`` forgets it). Every rule is elementwise, so ``opt.lr`` may be a row of
learning rates over stacked starting points (notebook 07).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mathprog import _checks as check

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam",
           "OPTIMIZERS", "make_optimizer", "minimize", "Trajectory"]


def _decay(value: Any, name: str) -> float:
    return check.number(value, name, lo=0.0, hi=1.0, hi_open=True)


def _real_like(g: Any, like: np.ndarray, name: str, like_name: str) -> np.ndarray:
    g = g if type(g) is np.ndarray else np.asarray(g)
    if g.shape != like.shape or g.dtype.kind not in "biuf":
        raise (ValueError if g.dtype.kind in "biuf" else TypeError)(
            f"{name} must be real numbers shaped like {like_name} {like.shape}, got {g.dtype} "
            f"{g.shape}")
    return g


def _check_new(params: Sequence[Any]) -> None:
    for i, p in enumerate(params):
        if not (isinstance(p, np.ndarray) and p.dtype.kind == "f"):
            raise TypeError(f"params[{i}] must be a float numpy array (it is updated in place), "
                            f"got {getattr(p, 'dtype', type(p).__name__)}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError("params lists the same array twice: it would be updated twice")


class Optimizer:
    """Base class: ``step`` checks its arguments; subclasses write ``_update(p, g, state)``.

    ``state``: per array, a dict of the zero-initialised ``_buffers``; ``t`` counts the steps.
    """

    _buffers: tuple[str, ...] = ()

    def __init__(self, lr: float) -> None:
        self.lr = check.positive(lr, "lr")
        self.reset()

    def reset(self) -> None:
        """Forget all state (step count, velocities, moment estimates)."""
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = []
        self._params: list[np.ndarray] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[Any]) -> None:
        """Update every array in ``params`` in place, using the matching entry of ``grads``."""
        if isinstance(params, np.ndarray) or isinstance(grads, np.ndarray):
            raise TypeError("params and grads must be lists of arrays; for a single array x "
                            "use step([x], [g])")
        if len(params) != len(grads):
            raise ValueError(f"params and grads must have the same length, got {len(params)} "
                             f"params and {len(grads)} grads")
        if self._params is None:
            _check_new(params)
        elif list(map(id, params)) != list(map(id, self._params)):
            raise ValueError("params are not the arrays of the previous steps (the optimizer's "
                             "state belongs to those); call reset() to optimize new ones")
        grads = [_real_like(g, p, f"grads[{i}]", f"params[{i}]")
                 for i, (p, g) in enumerate(zip(params, grads, strict=True))]
        if self._params is None:  # the state belongs to these arrays until reset()
            self._params = list(params)  # kept alive, so their ids are not reused
            self.state = [{k: np.zeros_like(p) for k in self._buffers} for p in params]
        self.t += 1
        for p, g, state in zip(params, grads, self.state, strict=True):
            self._update(p, g, state)


class SGD(Optimizer):
    """Plain gradient descent: ``p <- p - lr * g``."""

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        p -= self.lr * g


class Momentum(Optimizer):
    """Heavy-ball momentum (``torch.optim.SGD(lr, momentum=beta)``).

    ``v <- beta * v + g`` from ``v = 0`` (so ``v = g`` on the first step, as in torch);
    ``p <- p - lr * v``.
    """

    _buffers = ("v",)
    nesterov = False

    def __init__(self, lr: float, beta: float = 0.9) -> None:
        super().__init__(lr)
        self.beta = _decay(beta, "beta")

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        v = state["v"]
        v *= self.beta
        v += g
        p -= self.lr * (g + self.beta * v if self.nesterov else v)


class Nesterov(Momentum):
    """Nesterov momentum: as :class:`Momentum`, but ``p <- p - lr * (g + beta * v)``."""

    nesterov = True


class AdaGrad(Optimizer):
    """AdaGrad: ``s <- s + g^2``; ``p <- p - lr * g / (sqrt(s) + eps)``."""

    _buffers = ("s",)

    def __init__(self, lr: float, eps: float = 1e-10) -> None:
        super().__init__(lr)
        self.eps = check.positive(eps, "eps")

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        s = state["s"]
        s += g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class RMSProp(Optimizer):
    """RMSProp: ``s <- alpha * s + (1 - alpha) * g^2``; ``p <- p - lr * g / (sqrt(s) + eps)``."""

    _buffers = ("s",)

    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.alpha = _decay(alpha, "alpha")
        self.eps = check.positive(eps, "eps")

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        s = state["s"]
        s *= self.alpha
        s += (1.0 - self.alpha) * g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam (``torch.optim.Adam(lr, betas=(beta1, beta2), eps=eps)``).

    ``m <- beta1 m + (1 - beta1) g``, ``v <- beta2 v + (1 - beta2) g^2``;
    ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1^t)``,
    ``v_hat = v / (1 - beta2^t)``.
    """

    _buffers = ("m", "v")

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.beta1, self.beta2 = _decay(beta1, "beta1"), _decay(beta2, "beta2")
        self.eps = check.positive(eps, "eps")

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        m, v = state["m"], state["v"]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        # torch's order: sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t), and lr / (1 - beta1^t) first
        denom = np.sqrt(v) / math.sqrt(1.0 - self.beta2**self.t) + self.eps
        p -= self.lr / (1.0 - self.beta1**self.t) * m / denom


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam)}


def make_optimizer(name: str, lr: float, beta: float | None = None) -> Optimizer:
    """``OPTIMIZERS[name](lr)``; ``beta``: momentum's, nesterov's, or adam's ``beta1``."""
    cls = OPTIMIZERS[check.choice(name, "name", tuple(OPTIMIZERS))]
    if beta is None:
        return cls(lr)
    if cls not in (Momentum, Nesterov, Adam):
        raise ValueError(f"beta applies only to momentum, nesterov and adam, not to {name!r}")
    return cls(lr, beta)  # their second parameter: beta, beta, beta1


@dataclass(repr=False)
class Trajectory:
    """The path of ``minimize``: ``xs`` (k+1, n), ``losses``, ``grad_norms`` (k+1,); row 0 = x0.

    ``diverged_at`` and ``diverged_value`` are the step and loss a divergence stopped at (a
    non-finite step is not recorded), ``converged_at`` the step whose gradient norm is ``<= tol``.
    """

    xs: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    diverged: bool
    diverged_at: int | None
    diverged_value: float | None
    converged_at: int | None
    message: str

    @property
    def steps(self) -> int:
        """``len(xs) - 1``."""
        return len(self.xs) - 1

    def __repr__(self) -> str:
        return f"Trajectory(steps={self.steps}, final loss={self.losses[-1]:.4g}: {self.message})"


def minimize(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray],
             x0: Any, optimizer: Optimizer, steps: int = 100, tol: float | None = None,
             blowup: float | None = 1e6) -> Trajectory:
    """Run ``optimizer`` (reset first) on ``f`` from ``x0`` for up to ``steps`` steps.

    Stops on divergence (a non-finite iterate, loss or gradient, or, unless ``blowup`` is None,
    ``|f(x_k)| > blowup * max(1, |f(x0)|)``) or convergence (``||grad(x_k)|| <= tol``).

    Parameters
    ----------
    f, grad : callables
        ``f(x) -> float`` and ``grad(x) -> array shaped like x``.
    x0 : array (n,)
        Start; float32 stays float32, anything else becomes float64.
    optimizer : Optimizer
        Or anything with ``reset()`` and ``step(params, grads)``.
    steps : int
        Maximum number of steps (>= 0).
    tol, blowup : float, optional
        Gradient-norm tolerance; blow-up factor of the divergence rule (None disables it).
    """
    x = _start(x0, f)
    check.has(optimizer, "optimizer", "reset", "step")
    steps = check.integer(steps, "steps")
    tol = check.optional(check.positive, tol, "tol")
    blowup = check.optional(check.positive, blowup, "blowup")
    stop = -1.0 if tol is None else tol  # converged once the gradient norm is <= stop
    optimizer.reset()
    with np.errstate(all="ignore"):  # overflow is detected and reported below, not warned
        loss, g = float(f(x)), _real_like(grad(x), x, "grad(x0)", "x0")
        if not (math.isfinite(loss) and np.isfinite(g).all()):
            raise ValueError(f"f or grad is not finite at x0 (f(x0) = {loss})")
        limit = math.inf if blowup is None else blowup * max(1.0, abs(loss))
        xs, losses, norms, diverged_at = [x.copy()], [loss], [math.hypot(*g)], None
        while len(xs) <= steps and norms[-1] > stop:
            optimizer.step([x], [g])
            loss, g = float(f(x)), _real_like(grad(x), x, "grad(x)", "x")
            norm = math.hypot(*g)  # no overflow of g @ g
            if not (math.isfinite(loss) and math.isfinite(norm) and np.isfinite(x).all()):
                diverged_at = len(xs)  # the non-finite step is not recorded
                reason = (f"loss = {loss}" if not math.isfinite(loss) else
                          "the iterate became non-finite" if not np.isfinite(x).all() else
                          f"the gradient became non-finite; loss = {loss:.3g}")
                break
            xs.append(x.copy())
            losses.append(loss)
            norms.append(norm)
            if abs(loss) > limit:
                diverged_at = len(xs) - 1
                reason = f"loss = {loss:.3g}, beyond the blow-up limit {limit:.3g}"
                break

    k, diverged = len(xs) - 1, diverged_at is not None
    converged = not diverged and norms[k] <= stop
    if diverged:
        message = f"diverged at step {diverged_at} ({reason})"
    elif converged:
        message = f"converged at step {k} (gradient norm {norms[k]:.3g} <= tol {tol:g})"
    else:
        message = (f"stopped after {k} steps {'without reaching tol' if tol else '(no tol)'}: "
                   f"loss {losses[k]:.4g}, gradient norm {norms[k]:.3g}")
    return Trajectory(xs=np.array(xs), losses=np.array(losses), grad_norms=np.array(norms),
                      diverged=diverged, diverged_at=diverged_at,
                      diverged_value=loss if diverged else None,
                      converged_at=k if converged else None, message=message)


def _start(x0: Any, f: Any) -> np.ndarray:
    x = np.array(check.array(x0, "x0", dtype=None), ndmin=1)  # a copy: updated in place
    if x.ndim != 1:
        raise ValueError(f"x0 must be a point of shape (n,), got shape {x.shape}")
    dim = getattr(f, "dim", None)
    if isinstance(dim, int) and x.shape != (dim,):
        raise ValueError(f"x0 must have shape ({dim},) for {getattr(f, 'name', 'f')}, "
                         f"got shape {x.shape}")
    return x

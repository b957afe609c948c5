# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` says in one line what is right (✓) or what is
# wrong (✗) — a numerical gradient, for instance, by the measured order of its error. It
# never raises for a wrong answer, and before you fill the stub it says "not yet".

# %%
import numpy as np

from mathprog import nn
from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · The relative error
#
# Write `relative_error(a, b)`, entry by entry, $|a - b| / (|a| + |b|)$, with two exact
# zeros giving 0 (not `nan`).

# %%
def relative_error(a, b):
    ...


# %%
check("08.relative_error", relative_error)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def relative_error(a, b):
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), np.finfo(float).tiny)


# %%
check("08.relative_error", relative_error)

# %% [markdown]
# ### Exercise 2 · A numerical gradient
#
# Write `numerical_gradient(f, x, h)`: central differences of a scalar `f` with respect
# to every entry of the array `x` (any shape), returning an array of `x`'s shape and
# leaving `x` as it was.

# %%
def numerical_gradient(f, x, h):
    ...


# %%
check("08.numerical_gradient", numerical_gradient)

# %% [markdown]
# <details><summary>Hint</summary>
#
# `np.ndindex(x.shape)` visits every index; perturb `x[i]` by $\pm h$, evaluate, and put
# the old value back.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def numerical_gradient(f, x, h):
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


# %%
check("08.numerical_gradient", numerical_gradient)

# %% [markdown]
# ### Exercise 3 · Read the diagnosis
#
# Four gradient-check reports of the 64-16-16-10 network of section 6, each with one
# planted bug, $N = 3$ samples (rows that fail shown; `scale` is the least-squares factor
# in analytic ≈ scale × numeric):
#
# | report | rows that fail | scale | relative error |
# |---|---|---|---|
# | A | every row, the loss's included | −1.000 | 1.000 |
# | B | only `2.b` | 0.000 | 1.000 |
# | C | every row | 3.000 | 0.500 |
# | D | `0.W`, `0.b`, the input; `2.W`, `2.b`, `4.W`, `4.b` pass | varies, not −1, 0 or 3 | large |
#
# Name each bug: `"sign"`, `"mean"` (a missing $1/N$), `"zero"` (never computed) or
# `"transpose"`.

# %%
diagnosis = {"A": ..., "B": ..., "C": ..., "D": ...}

# %%
check("08.read_the_diagnosis", diagnosis)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
diagnosis = {"A": "sign", "B": "zero", "C": "mean", "D": "transpose"}

# %%
check("08.read_the_diagnosis", diagnosis)

# %% [markdown]
# ### Exercise 4 (stretch) · Linear's backward, found by a gradient check
#
# Subclass `nn.Linear` and write its `backward(grad_out)`: `forward` keeps its input in
# `self.x`; write $\partial \ell/\partial W$ into `self.dW` and $\partial \ell/\partial b$ into
# `self.db`, and return $\partial \ell/\partial x$. The check builds `MyLinear(4, 4, rng=0)`
# (a square $W$, like section 6's middle layer), runs a gradient check on `W`, `b` and the
# input, and names the one that fails and the factor it is off by. Plant one of section
# 6's bugs in your solution and read what the check says.

# %%
class MyLinear(nn.Linear):
    def backward(self, grad_out):
        ...


# %%
check("08.linear_layer", MyLinear)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
class MyLinear(nn.Linear):
    def backward(self, grad_out):
        self.dW[...] = self.x.T @ grad_out  # dL/dW = xᵀ g
        self.db[...] = grad_out.sum(axis=0)  # dL/db: the sum over the batch
        return grad_out @ self.W.T  # dL/dx = g Wᵀ


# %%
check("08.linear_layer", MyLinear)

# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` compares each gradient with the reference and names
# the one that is off and by what factor (−1: a sign, N: a missing mean, 0: never
# computed) or whether it is transposed. It never raises for a wrong answer, and before
# you fill the stub it says "not yet".

# %%
import numpy as np

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · ReLU's backward
#
# Write `relu_backward(z, grad_out)`: $\partial \ell/\partial z$ given the pre-activation `z`
# and $\partial \ell/\partial\,\mathrm{relu}(z)$ = `grad_out` (use 0 at $z = 0$).

# %%
def relu_backward(z, grad_out):
    ...


# %%
check("06.relu_backward", relu_backward)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def relu_backward(z, grad_out):
    return grad_out * (z > 0)


# %%
check("06.relu_backward", relu_backward)

# %% [markdown]
# ### Exercise 2 · Softmax and cross-entropy
#
# Write `softmax_ce_grad(logits, y)`: $\partial \ell/\partial z$ for
# $\ell = \frac1N \sum_i -\log p_{i, y_i}$, $p = \mathrm{softmax}(z)$ row by row, for
# `logits` of shape (N, classes) and integer labels `y`.

# %%
def softmax_ce_grad(logits, y):
    ...


# %%
check("06.softmax_ce_grad", softmax_ce_grad)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def softmax_ce_grad(logits, y):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


# %%
check("06.softmax_ce_grad", softmax_ce_grad)

# %% [markdown]
# ### Exercise 3 (stretch) · Linear's backward
#
# For $y = xW + b$ with `x` of shape (N, n_in) and `g` $= \partial \ell/\partial y$, write
# `linear_backward(x, W, b, g)` returning `(dW, db, dx)`. The check uses a square `W`, so
# a missing transpose does not raise a shape error: it has to be found.

# %%
def linear_backward(x, W, b, g):
    ...


# %%
check("06.linear_backward", linear_backward)

# %% [markdown]
# <details><summary>Hint</summary>
#
# Each gradient has the shape of what it is the gradient of; the batch is summed over.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def linear_backward(x, W, b, g):
    return x.T @ g, g.sum(axis=0), g @ W.T


# %%
check("06.linear_backward", linear_backward)

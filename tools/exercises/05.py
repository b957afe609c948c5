# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` compares your gradient with the reference and, when
# it is off, names the part and the factor (a sign, a missing $1/n$, a missing 2). It
# never raises for a wrong answer, and before you fill the stub it says "not yet".

# %%
import numpy as np

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · The loss
#
# Write `mse(X, y, w, b)`: the mean squared error $\frac1n \sum_i (x_i \cdot w + b - y_i)^2$
# of the linear model, for `X` of shape (n, d).

# %%
def mse(X, y, w, b):
    ...


# %%
check("05.mse", mse)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def mse(X, y, w, b):
    r = X @ w + b - y
    return np.mean(r**2)


# %%
check("05.mse", mse)

# %% [markdown]
# ### Exercise 2 · Its gradient
#
# Write `mse_grad(X, y, w, b)` returning `(dL/dw, dL/db)`: an array of shape (d,) and a
# number.

# %%
def mse_grad(X, y, w, b):
    ...


# %%
check("05.mse_gradient", mse_grad)

# %% [markdown]
# <details><summary>Hint</summary>
#
# The outer function is the square (derivative $2r$), the inner one the residual
# (derivative $x_i$ for $w$, 1 for $b$), and the mean contributes $1/n$.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def mse_grad(X, y, w, b):
    r = X @ w + b - y
    n = len(y)
    return 2 / n * X.T @ r, 2 / n * r.sum()


# %%
check("05.mse_gradient", mse_grad)

# %% [markdown]
# ### Exercise 3 (stretch) · Predict the limit after scaling
#
# One standardised feature (mean 0, standard deviation 1) and a bias: what is the largest
# stable learning rate $2/L$ for the MSE? Set `lr_max` (tolerance 1%).

# %%
lr_max = ...

# %%
check("05.lr_limit_standardized", lr_max)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
# H = (2/n) AᵀA with A = [z, 1]: (2/n)·[[Σz², Σz], [Σz, n]] = [[2, 0], [0, 2]], so L = 2.
lr_max = 2 / 2

# %%
check("05.lr_limit_standardized", lr_max)

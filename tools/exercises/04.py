# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` says in one line what is right (✓) or what is
# wrong (✗); predictions are checked against the stated tolerance. It never raises for a
# wrong answer, and before you fill the stub it says "not yet".

# %%
import math

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · One step
#
# Write `step(x, grad, lr)`: one step of gradient descent from the point `x` (an array),
# where `grad(x)` returns $\nabla f(x)$ and `lr` is $\eta$. Return the new point.

# %%
def step(x, grad, lr):
    ...


# %%
check("04.gd_step", step)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def step(x, grad, lr):
    return x - lr * grad(x)


# %%
check("04.gd_step", step)

# %% [markdown]
# ### Exercise 2 · Predict, then run: the largest stable step
#
# $f(x) = \tfrac12 x^\top A x$ with $A = \operatorname{diag}(4, 25)$. Above which learning
# rate does gradient descent diverge? Set `lr_max` (tolerance 1%), then try a value just
# above it with `optim.minimize` and watch the run report the divergence.

# %%
lr_max = ...

# %%
check("04.stability_limit", lr_max)

# %% [markdown]
# <details><summary>Hint</summary>
#
# Along each eigenvector the error is multiplied by $1 - \eta\lambda$ per step; which
# $\lambda$ leaves $(-1, 1)$ first?
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
lr_max = 2 / 25  # 2/L, L the largest eigenvalue

# %%
check("04.stability_limit", lr_max)

# %% [markdown]
# ### Exercise 3 (stretch) · Predict the number of steps
#
# On $f(x) = 5x^2$ from $x_0 = 2$ with $\eta = 0.02$: after how many steps is
# $|x_k| < 10^{-6}$ for the first time? Set `steps` to a whole number (tolerance ±1),
# computed from the factor per step, not by running the loop.

# %%
steps = ...

# %%
check("04.steps_to_converge", steps)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
factor = 1 - 0.02 * 10  # L = f'' = 10
steps = math.ceil(math.log(1e-6 / 2) / math.log(factor))

# %%
check("04.steps_to_converge", steps)

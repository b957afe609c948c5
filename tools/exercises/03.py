# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` says in one line what is right (✓) or which partial
# is wrong (✗). It never raises for a wrong answer, and before you fill the stub it says
# "not yet".

# %%
import numpy as np

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · A gradient by partials
#
# $f(x, y) = x^2 y + \sin y$. Write `grad_f(p)` returning $\nabla f$ at `p = [x, y]` as an
# array of shape (2,).

# %%
def grad_f(p):
    ...


# %%
check("03.partials", grad_f)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def grad_f(p):
    x, y = p
    return np.array([2 * x * y, x**2 + np.cos(y)])


# %%
check("03.partials", grad_f)

# %% [markdown]
# ### Exercise 2 · The directional derivative
#
# Write `D(g, u)`: the rate of change of $f$ along the direction `u` (any length, not
# necessarily a unit vector), given the gradient `g` at the point.

# %%
def D(g, u):
    ...


# %%
check("03.directional_derivative", D)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def D(g, u):
    return g @ u / np.linalg.norm(u)


# %%
check("03.directional_derivative", D)

# %% [markdown]
# ### Exercise 3 · The steepest way down
#
# Write `steepest(grad, p)`: the *unit* vector along which $f$ falls fastest at `p`, given
# a function `grad` for $\nabla f$. (The check uses Himmelblau's function.)

# %%
def steepest(grad, p):
    ...


# %%
check("03.steepest_descent", steepest)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def steepest(grad, p):
    g = grad(p)
    return -g / np.linalg.norm(g)


# %%
check("03.steepest_descent", steepest)

# %% [markdown]
# ### Exercise 4 (stretch) · The Hessian
#
# Write `hess_f(p)`: the 2×2 matrix of second partials of the same
# $f(x, y) = x^2 y + \sin y$.

# %%
def hess_f(p):
    ...


# %%
check("03.hessian", hess_f)

# %% [markdown]
# <details><summary>Hint</summary>
#
# Differentiate each entry of $\nabla f = (2xy,\; x^2 + \cos y)$ again, by $x$ and by $y$.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def hess_f(p):
    x, y = p
    return np.array([[2 * y, 2 * x], [2 * x, -np.sin(y)]])


# %%
check("03.hessian", hess_f)

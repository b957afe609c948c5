# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` says in one line what is right (✓) or which local
# derivative is wrong (✗). It never raises for a wrong answer, and before you fill the
# stub it says "not yet".

# %%
import math

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · A composition by hand
#
# $h(x) = \sin(x^2)$. Write `dh(x)`, its derivative, with the chain rule (use `math`).

# %%
def dh(x):
    ...


# %%
check("02.chain_rule", dh)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def dh(x):
    return math.cos(x**2) * 2 * x  # outer derivative at the inner value, times inner


# %%
check("02.chain_rule", dh)

# %% [markdown]
# ### Exercise 2 · The local derivatives of a product
#
# `Value.__mul__` stores, beside the forward value $a \cdot b$, one local derivative per
# input. Write `mul_local(a, b)` returning the pair $(\partial(ab)/\partial a,\;
# \partial(ab)/\partial b)$.

# %%
def mul_local(a, b):
    ...


# %%
check("02.mul_local", mul_local)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def mul_local(a, b):
    return b, a


# %%
check("02.mul_local", mul_local)

# %% [markdown]
# ### Exercise 3 · tanh from exp
#
# Write `tanh(v)` for a `Value` `v` using only `v.exp()` and arithmetic, so that
# `backward()` finds $1 - \tanh^2$ by itself: $\tanh v = \frac{e^{2v} - 1}{e^{2v} + 1}$.

# %%
def tanh(v):
    ...


# %%
check("02.tanh_from_exp", tanh)

# %% [markdown]
# <details><summary>Hint</summary>
#
# `math.exp(v.data)` gives the right number but cuts the graph: `backward()` can only
# follow `Value` operations.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def tanh(v):
    e = (2 * v).exp()
    return (e - 1) / (e + 1)


# %%
check("02.tanh_from_exp", tanh)

# %% [markdown]
# ### Exercise 4 (stretch) · Predict, then run: thirty layers
#
# Suppose a mildly mis-scaled initialisation makes $\partial \ell/\partial h$ grow by a
# factor 1.14 per layer. By how much does it grow across 30 layers? Set `growth` to a number
# (tolerance 1%).

# %%
growth = ...

# %%
check("02.depth_product", growth)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
growth = 1.14**30  # the chain rule multiplies one factor per layer

# %%
check("02.depth_product", growth)

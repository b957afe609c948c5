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

import numpy as np

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · He's standard deviation
#
# What standard deviation does He's initialisation give the weights of a ReLU layer with
# 64 inputs? Set `std` (tolerance 0.1%).

# %%
std = ...

# %%
check("09.he_std", std)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
std = math.sqrt(2 / 64)

# %%
check("09.he_std", std)

# %% [markdown]
# ### Exercise 2 · Predict, then run: growth per layer
#
# The reader's network draws weights with the standard deviation $\sqrt{6/n_\text{in}}$
# (the uniform bound used as a normal std), 64 inputs per ReLU layer. By what factor does
# the RMS activation grow per layer? Set `growth` (tolerance 0.5%), then compare with
# section 3's profile.

# %%
growth = ...

# %%
check("09.rms_growth", growth)

# %% [markdown]
# <details><summary>Hint</summary>
#
# $\mathrm{Var}(z) = n\sigma^2\,\mathbb{E}[h^2]$, and a ReLU keeps half of the second
# moment; the RMS is a square root.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
growth = math.sqrt(64 * (6 / 64) / 2)

# %%
check("09.rms_growth", growth)

# %% [markdown]
# ### Exercise 3 (stretch) · Clipping by global norm
#
# Write `clip(grads, max_norm)` with the semantics of PyTorch's `clip_grad_norm_`: one
# norm over all the arrays in `grads` together; if `max_norm / (norm + 1e-6)` is below 1,
# multiply every array by it. Return the list of (clipped) arrays.

# %%
def clip(grads, max_norm):
    ...


# %%
check("09.clip_global_norm", clip)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def clip(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    scale = max_norm / (total + 1e-6)
    return [g * scale for g in grads] if scale < 1 else list(grads)


# %%
check("09.clip_global_norm", clip)

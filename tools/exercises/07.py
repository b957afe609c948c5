# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` runs your step a few times on a small quadratic
# against PyTorch's rule and, when they differ, names the missing piece. It never raises
# for a wrong answer, and before you fill the stub it says "not yet".

# %%
import numpy as np

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · Momentum, PyTorch's way
#
# Write `momentum_step(p, g, buf, lr, mu)` returning the new `(p, buf)`. `buf` is `None`
# on the first step. PyTorch's `SGD(momentum=mu)`: on the first step the buffer is the
# gradient itself; afterwards $\text{buf} \leftarrow \mu\,\text{buf} + g$; then
# $p \leftarrow p - \eta\,\text{buf}$.

# %%
def momentum_step(p, g, buf, lr, mu):
    ...


# %%
check("07.momentum_step", momentum_step)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def momentum_step(p, g, buf, lr, mu):
    buf = g.copy() if buf is None else mu * buf + g
    return p - lr * buf, buf


# %%
check("07.momentum_step", momentum_step)

# %% [markdown]
# ### Exercise 2 · Adam
#
# Write `adam_step(p, g, m, v, t, lr, beta1, beta2, eps)` returning the new `(p, m, v)`;
# `t` counts steps from 1 and `m`, `v` start at zero. (The check passes a large
# `eps = 1e-3`, so where you put it shows.)

# %%
def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):
    ...


# %%
check("07.adam_step", adam_step)

# %% [markdown]
# <details><summary>Hint</summary>
#
# $m \leftarrow \beta_1 m + (1-\beta_1) g$, $v \leftarrow \beta_2 v + (1-\beta_2) g^2$,
# then divide each by $1 - \beta^t$ before the step
# $p \leftarrow p - \eta\,\hat m / (\sqrt{\hat v} + \varepsilon)$.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# %%
check("07.adam_step", adam_step)

# %% [markdown]
# ### Exercise 3 · The bias correction, as a number
#
# With $\beta_1 = 0.9$, by what factor does the bias correction multiply $m$ at step
# $t = 10$? Set `factor` (tolerance 0.1%).

# %%
factor = ...

# %%
check("07.bias_correction", factor)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
factor = 1 / (1 - 0.9**10)

# %%
check("07.bias_correction", factor)

# %% [markdown]
# ### Exercise 4 (stretch) · Predict, then run: momentum's limit
#
# On $f(x) = 5x^2$ ($L = 10$), PyTorch-style momentum with $\mu = 0.9$: above which
# learning rate does it diverge? Set `lr_max` (tolerance 1%). Then run
# `optim.minimize(f, f.grad, [2.0], optim.Momentum(lr, beta=0.9))` just below and just
# above it.

# %%
lr_max = ...

# %%
check("07.momentum_limit", lr_max)

# %% [markdown]
# <details><summary>Hint</summary>
#
# Eliminate the buffer: $x_{k+1} = (1 + \mu - \eta L)\,x_k - \mu\,x_{k-1}$. Where does a
# root of $r^2 - (1 + \mu - \eta L) r + \mu = 0$ reach $-1$?
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
lr_max = 2 * (1 + 0.9) / 10

# %%
check("07.momentum_limit", lr_max)

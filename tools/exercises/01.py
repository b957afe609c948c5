# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` measures your answer the way this notebook measures
# things and says in one line what is right (✓) or what is wrong (✗) — here, by the
# *order* of the error as $h$ shrinks. It never raises for a wrong answer, and before you
# fill the stub it says "not yet".

# %%
import numpy as np

from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · The central difference
#
# Write `central(f, x, h)`, the slope of the secant through $x - h$ and $x + h$. The check
# runs it on $f(x) = e^{\sin x}$ at $x = 1$ for $h$ from 0.1 to 0.003 and measures how
# fast the error falls.

# %%
def central(f, x, h):
    ...


# %%
check("01.central_difference", central)

# %% [markdown]
# <details><summary>Hint</summary>
#
# The secant is $2h$ wide. A forward difference would pass the value test at small $h$
# but not the order test: its error falls like $h$, not $h^2$.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


# %%
check("01.central_difference", central)

# %% [markdown]
# ### Exercise 2 · Predict the best step
#
# Before measuring: which $h$ minimises the total error of the central difference in
# float64? Truncation falls like $h^2$, round-off grows like $\varepsilon/h$. Set `h_best`
# to a number (accepted: within a factor 10 of the optimum), then compare with the U above.

# %%
h_best = ...

# %%
check("01.optimal_h", h_best)

# %% [markdown]
# <details><summary>Hint</summary>
#
# Minimise $\frac{h^2}{6}|f'''| + \frac{\varepsilon |f|}{h}$ with the constants set to 1.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
h_best = np.finfo(float).eps ** (1 / 3)

# %%
check("01.optimal_h", h_best)

# %% [markdown]
# ### Exercise 3 (stretch) · The complex step
#
# Write `complex_step(f, x, h)`: $f'(x) \approx \operatorname{Im} f(x + ih)/h$. The check
# uses $h = 10^{-20}$, far below the point where every real difference quotient is
# destroyed by round-off, and asks for an error below $10^{-12}$ (relative).

# %%
def complex_step(f, x, h):
    ...


# %%
check("01.complex_step", complex_step)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def complex_step(f, x, h):
    return f(complex(x, h)).imag / h


# %%
check("01.complex_step", complex_step)

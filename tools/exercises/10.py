# %% [markdown]
# ## Exercises
#
# Each exercise has a stub for you to fill in (replace the `...`), a cell that calls
# `check`, an optional hint, and a hidden solution (click its `•••` to open it; try first).
# `check` measures the *order* of your rule: how fast its
# error falls as the step shrinks. It never raises for a wrong answer, and before you fill
# the stub it says "not yet".

# %%


from mathprog.exercises import check

# %% [markdown]
# ### Exercise 1 (warm-up) · The trapezoid rule
#
# Write `trapezoid(f, a, b, n)`: $\int_a^b f$ with $n$ panels of width $h = (b - a)/n$.
# The check integrates $e^x$ over $[0, 1]$ with $n = 4 \ldots 32$.

# %%
def trapezoid(f, a, b, n):
    ...


# %%
check("10.trapezoid", trapezoid)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def trapezoid(f, a, b, n):
    h = (b - a) / n
    ys = [f(a + k * h) for k in range(n + 1)]
    return h * (sum(ys) - (ys[0] + ys[-1]) / 2)


# %%
check("10.trapezoid", trapezoid)

# %% [markdown]
# ### Exercise 2 · Simpson's rule and its order
#
# Write `simpson(f, a, b, n)` for an even $n$ (raise `ValueError` for an odd one): weights
# $\frac h3 (1, 4, 2, 4, \ldots, 2, 4, 1)$. Predict first: how fast should its error fall?

# %%
def simpson(f, a, b, n):
    ...


# %%
check("10.simpson", simpson)

# %% [markdown]
# <details><summary>Hint</summary>
#
# A parabola through each pair of panels integrates cubics exactly, so the error falls
# like $h^4$, two orders better than the trapezoid.
# </details>

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def simpson(f, a, b, n):
    if n % 2:
        raise ValueError(f"n must be even, got {n}")
    h = (b - a) / n
    ys = [f(a + k * h) for k in range(n + 1)]
    return h / 3 * (ys[0] + ys[-1] + 4 * sum(ys[1:-1:2]) + 2 * sum(ys[2:-1:2]))


# %%
check("10.simpson", simpson)

# %% [markdown]
# ### Exercise 3 · One Runge–Kutta step
#
# Write `rk4_step(f, t, y, dt)` for $y' = f(t, y)$: the classical fourth-order step. The
# check solves $y' = y\cos t$, $y(0) = 1$ (solution $e^{\sin t}$, notebook 01's $f$) up to
# $t = 2$ and measures the global error's order in $dt$.

# %%
def rk4_step(f, t, y, dt):
    ...


# %%
check("10.rk4_step", rk4_step)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def rk4_step(f, t, y, dt):
    k1 = f(t, y)
    k2 = f(t + dt / 2, y + dt / 2 * k1)
    k3 = f(t + dt / 2, y + dt / 2 * k2)
    k4 = f(t + dt, y + dt * k3)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


# %%
check("10.rk4_step", rk4_step)

# %% [markdown]
# ### Exercise 4 (stretch) · A step that keeps the energy
#
# The spring $q' = p$, $p' = -q$. Write `step(q, p, dt)` returning the new `(q, p)` by
# symplectic Euler: update one variable, then the other *with the new value*. The check
# takes 2000 steps of $dt = 0.1$ and watches the energy $\tfrac12(q^2 + p^2)$, which
# explicit Euler multiplies by $1 + dt^2$ every step.

# %%
def step(q, p, dt):
    ...


# %%
check("10.symplectic_euler", step)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution (collapsed: try first)
def step(q, p, dt):
    p = p - dt * q
    q = q + dt * p
    return q, p


# %%
check("10.symplectic_euler", step)

"""mathprog against PyTorch reference data (tests/fixtures/, written by make_fixtures.py).

torch is not needed here: the fixtures hold torch 2.13's float64 results. Tolerance: 1e-12
relative. For trajectories that is ||x_k - x_k(torch)|| / ||x_k(torch)|| at every step k of
100 (a vector norm: a coordinate crossing zero has no meaningful elementwise relative error);
for Value, each value and gradient.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mathprog.autodiff import Value
from mathprog.functions import Beale, Quadratic, Rosenbrock
from mathprog.optim import OPTIMIZERS, minimize

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RTOL = 1e-12

with np.load(FIXTURES / "torch_optim.npz", allow_pickle=False) as _npz:
    OPTIM = {k: _npz[k] for k in _npz.files}
META = json.loads(str(OPTIM.pop("meta")))
VALUE = json.loads((FIXTURES / "torch_value_grads.json").read_text())


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max over rows k of ||actual_k - expected_k|| / ||expected_k|| (scalars: one row)."""
    actual, expected = np.atleast_2d(actual), np.atleast_2d(expected)
    diff = np.linalg.norm(actual - expected, axis=1)
    scale = np.linalg.norm(expected, axis=1)
    return float(np.max(np.where(diff == 0, 0.0, diff / np.where(scale == 0, 1.0, scale))))


def make(config: str, lr: float):
    spec = META["configs"][config]
    return OPTIMIZERS[spec["name"]](lr, **spec["kwargs"])


def objective(problem: str):
    if problem == "quadratic":
        return Quadratic(META["quadratic"]["A"], META["quadratic"]["b"])
    return {"rosenbrock": Rosenbrock(), "beale": Beale()}[problem]


def test_fixtures_come_from_torch_2_13_and_cover_every_optimizer():
    assert META["torch_version"].split("+")[0] == "2.13.0"
    assert VALUE["torch_version"].split("+")[0] == "2.13.0"
    assert {c["name"] for c in META["configs"].values()} == set(OPTIMIZERS)
    assert {r["problem"] for r in META["runs"]} == {"quadratic", "rosenbrock", "beale", "multi"}


RUNS = [r for r in META["runs"] if r["problem"] != "multi"]


@pytest.mark.parametrize("run", RUNS, ids=[f"{r['config']}-{r['problem']}" for r in RUNS])
def test_minimize_matches_torch_trajectory(run):
    expected = OPTIM[f"{run['config']}/{run['problem']}"]
    f = objective(run["problem"])
    traj = minimize(f, f.grad, META["starts"][run["problem"]], make(run["config"], run["lr"]),
                    steps=META["steps"], blowup=None)
    assert not traj.diverged
    assert traj.xs.shape == expected.shape == (META["steps"] + 1, 2)
    assert relative_error(traj.xs, expected) <= RTOL


MULTI = [r for r in META["runs"] if r["problem"] == "multi"]


@pytest.mark.parametrize("run", MULTI, ids=[r["config"] for r in MULTI])
def test_step_on_several_arrays_matches_torch(run):
    """Four arrays of different shapes (one 0-d): state must be kept per position."""
    consts = {k[len("multi/"):]: v for k, v in OPTIM.items() if k.startswith("multi/")}
    params = [consts[f"p{k}"].copy() for k in range(4)]
    opt = make(run["config"], run["lr"])
    rows = [np.concatenate([p.ravel() for p in params])]
    for _ in range(META["steps"]):
        grads = [consts[f"c{k}"] * (p - consts[f"t{k}"]) + consts[f"d{k}"] * (p * p * p)
                 for k, p in enumerate(params)]
        opt.step(params, grads)
        rows.append(np.concatenate([p.ravel() for p in params]))
    assert relative_error(np.array(rows), OPTIM[f"{run['config']}/multi"]) <= RTOL


CASES = VALUE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['name']}-{i}" for i, c in enumerate(CASES)])
def test_value_gradients_match_torch_autograd(case):
    inputs = {k: Value(v) for k, v in case["inputs"].items()}
    scope = dict(inputs)
    exec(case["code"], {}, scope)
    out = scope["out"]
    out.backward()
    assert math.isclose(out.data, case["value"], rel_tol=RTOL)
    for k, v in inputs.items():
        assert relative_error(v.grad, case["grads"][k]) <= RTOL, k

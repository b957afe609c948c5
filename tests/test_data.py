"""Tests for mathprog.data: shipped datasets, checksums, generators, the split, bad input."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mathprog import data

ROOT = Path(__file__).resolve().parent.parent

# --- shipped datasets ---------------------------------------------------------------------------


def test_digits_shapes_dtypes_and_values():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))
    # Class counts of the UCI optdigits test set, as published on the UCI page.
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_diabetes_shapes_dtypes_and_statistics():
    X, y = data.load_diabetes()
    assert X.shape == (442, 10) and X.dtype == np.float64
    assert y.shape == (442,) and y.dtype == np.float64
    assert y.mean() == pytest.approx(152.13348416289594, rel=1e-12)
    assert (y.min(), y.max()) == (25.0, 346.0)
    # Raw, unscaled units: BMI in kg/m^2, age in years, sex coded 1/2.
    assert data.DIABETES_FEATURES.index("bmi") == 2 and len(data.DIABETES_FEATURES) == 10
    assert 18.0 <= X[:, 2].min() and X[:, 2].max() <= 42.2
    assert (X[:, 0].min(), X[:, 0].max()) == (19.0, 79.0)
    assert set(np.unique(X[:, 1])) == {1.0, 2.0}


def test_diabetes_file_names_match_the_constant():
    with np.load(ROOT / "data" / "diabetes.npz", allow_pickle=False) as npz:
        assert tuple(npz["feature_names"].tolist()) == data.DIABETES_FEATURES


def test_loaders_return_fresh_arrays():
    X, _ = data.load_digits()
    X[:] = -1
    assert data.load_digits()[0].min() == 0


@pytest.mark.parametrize("name", ["digits.npz", "diabetes.npz"])
def test_checksums_match_files_and_readme(name):
    digest = hashlib.sha256((ROOT / "data" / name).read_bytes()).hexdigest()
    assert digest == data._SHA256[name]
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`{re.escape(name)}` \| `{digest}`", readme)


@pytest.mark.parametrize("name", ["digits.npz", "diabetes.npz"])
def test_files_hold_no_object_arrays(name):
    with np.load(ROOT / "data" / name, allow_pickle=False) as npz:
        assert all(npz[key].dtype != object for key in npz.files)


@pytest.mark.parametrize(
    ("loader", "name"), [(data.load_digits, "digits.npz"), (data.load_diabetes, "diabetes.npz")]
)
def test_corrupted_file_raises_checksum_error(tmp_path, monkeypatch, loader, name):
    raw = bytearray((ROOT / "data" / name).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(raw))
    monkeypatch.setattr(data, "_DATA_DIRS", (tmp_path,))
    with pytest.raises(data.ChecksumError) as info:
        loader()
    message = str(info.value)
    assert str(tmp_path / name) in message
    assert data._SHA256[name] in message
    assert hashlib.sha256(bytes(raw)).hexdigest() in message


def test_package_copy_is_preferred_over_repository_copy(tmp_path, monkeypatch):
    inside, repo = tmp_path / "inside", tmp_path / "repo"
    inside.mkdir()
    repo.mkdir()
    (inside / "digits.npz").write_bytes(b"not the digits")
    shutil.copy(ROOT / "data" / "digits.npz", repo / "digits.npz")
    monkeypatch.setattr(data, "_DATA_DIRS", (inside, repo))
    with pytest.raises(data.ChecksumError, match="inside"):
        data.load_digits()
    monkeypatch.setattr(data, "_DATA_DIRS", (tmp_path / "absent", repo))
    assert data.load_digits()[0].shape == (1797, 64)


def test_missing_file_names_the_folders_searched(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_DATA_DIRS", (tmp_path,))
    with pytest.raises(FileNotFoundError, match=r"diabetes\.npz.*searched"):
        data.load_diabetes()


# --- generators ---------------------------------------------------------------------------------


def test_make_moons_shapes_balance_and_geometry():
    X, y = data.make_moons(101, noise=0.0, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1} and abs(np.sum(y == 0) - np.sum(y == 1)) <= 1
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)  # upper arc: unit circle
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)
    assert not np.array_equal(y, np.sort(y))  # rows are shuffled


def test_make_linear_shapes_and_true_parameters():
    X, y, w, b = data.make_linear(200, n_features=3, noise=0.0, seed=4, return_params=True)
    assert X.shape == (200, 3) and y.shape == (200,) and w.shape == (3,)
    assert X.dtype == y.dtype == np.float64 and isinstance(b, float)
    np.testing.assert_allclose(y, X @ w + b, rtol=1e-14, atol=1e-14)
    assert np.all((1 <= np.abs(w)) & (np.abs(w) < 3)) and -1 <= b <= 1
    X2, y2 = data.make_linear(200, n_features=3, noise=0.0, seed=4)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_make_linear_noise_has_the_requested_scale():
    X, y, w, b = data.make_linear(20_000, noise=0.5, seed=1, return_params=True)
    assert np.std(y - (X @ w + b)) == pytest.approx(0.5, rel=0.03)


def test_make_spirals_shapes_classes_and_arms():
    X, y = data.make_spirals(301, n_classes=4, noise=0.0, seed=2)
    assert X.shape == (301, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert sorted(np.bincount(y).tolist()) == [75, 75, 75, 76]
    r = np.hypot(*X.T)
    assert np.all(r <= 1.0 + 1e-12)
    angle = np.arctan2(X[:, 0], X[:, 1])  # noise 0: on arm k the angle is 4 (r + k), mod 2 pi
    np.testing.assert_allclose(np.cos(angle - 4 * (r + y))[r > 1e-9], 1.0, atol=1e-9)
    assert not np.array_equal(y, np.sort(y))


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: data.make_linear(50, 2, seed=seed),
        lambda seed: data.make_moons(50, seed=seed),
        lambda seed: data.make_spirals(50, seed=seed),
    ],
    ids=["linear", "moons", "spirals"],
)
def test_generators_are_deterministic_per_seed(make):
    a, b, c = make(0), make(0), make(1)
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[0], c[0])


# --- train_test_split ---------------------------------------------------------------------------


def test_split_sizes_disjoint_pairs_kept_and_deterministic():
    X = np.arange(100.0).reshape(50, 2)
    y = np.arange(50)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.3, seed=5)
    assert (len(X_tr), len(X_te), len(y_tr), len(y_te)) == (35, 15, 35, 15)
    assert set(y_tr).isdisjoint(y_te) and set(y_tr) | set(y_te) == set(range(50))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired with labels
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    assert not np.array_equal(y_te, np.sort(y_te))  # shuffled
    again = data.train_test_split(X, y, test_size=0.3, seed=5)
    np.testing.assert_array_equal(again[3], y_te)
    other = data.train_test_split(X, y, test_size=0.3, seed=6)
    assert not np.array_equal(other[3], y_te)


def test_split_rounds_test_size_up_and_keeps_dtypes():
    X, y = data.load_digits()
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y)
    assert len(X_te) == 360 and len(X_tr) == 1437  # ceil(0.2 * 1797)
    assert X_tr.dtype == np.float64 and y_te.dtype == np.int64


# --- bad input: each error names the parameter --------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: data.make_linear(0), ValueError, "n_samples"),
        (lambda: data.make_linear(10.0), TypeError, "n_samples"),
        (lambda: data.make_linear(10, n_features=0), ValueError, "n_features"),
        (lambda: data.make_linear(10, noise=float("nan")), ValueError, "noise"),
        (lambda: data.make_linear(10, noise="0.1"), TypeError, "noise"),
        (lambda: data.make_linear(10, seed=1.5), TypeError, "seed"),
        (lambda: data.make_spirals(2, n_classes=3), ValueError, "n_samples"),
        (lambda: data.make_spirals(10, n_classes=1), ValueError, "n_classes"),
        (lambda: data.make_spirals(10, n_classes=2.0), TypeError, "n_classes"),
        (lambda: data.make_spirals(10, noise=-0.5), ValueError, "noise"),
        (lambda: data.make_moons(1), ValueError, "n_samples"),
        (lambda: data.make_moons(-1), ValueError, "n_samples"),
        (lambda: data.make_moons(10, noise=-1), ValueError, "noise"),
        (lambda: data.train_test_split(np.zeros((5, 2)), np.zeros(4)), ValueError, "X and y"),
        (lambda: data.train_test_split(np.zeros(5), np.zeros(5), 0.0), ValueError, "test_size"),
        (lambda: data.train_test_split(np.zeros(5), np.zeros(5), 1.0), ValueError, "test_size"),
        (lambda: data.train_test_split(np.zeros(5), np.zeros(5), -0.2), ValueError, "test_size"),
        (lambda: data.train_test_split(np.zeros(5), np.zeros(5), "0.2"), TypeError, "test_size"),
        (lambda: data.train_test_split(np.zeros(5), np.zeros(5), 0.9), ValueError, "test_size"),
        (lambda: data.train_test_split(np.zeros(1), np.zeros(1)), ValueError, "no training rows"),
        (lambda: data.train_test_split(np.zeros(0), np.zeros(0)), ValueError, "no training rows"),
        (lambda: data.train_test_split(np.float64(1), np.zeros(1)), ValueError, "X and y"),
    ],
)
def test_bad_input_is_rejected_with_the_parameter_named(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# --- the built wheel carries the data -----------------------------------------------------------


@pytest.mark.slow
def test_wheel_ships_the_data_and_loads_it_outside_the_repository(tmp_path):
    """Build a wheel offline, install it into a fresh venv, load both sets from another cwd.

    No network: the wheel is built with this interpreter's setuptools (no build isolation)
    and installed with ``--no-index --no-deps``; the fresh venv sees numpy through a ``.pth``
    line naming this environment's site-packages (a plain path: the ``.pth`` files there, such
    as the editable-install hook, are not run), so ``mathprog`` can only come from the wheel.
    """
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("mathprog", "data"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)

    def run(*args, **kwargs):
        done = subprocess.run(args, capture_output=True, text=True, **kwargs)
        assert done.returncode == 0, f"{args[:5]} failed:\n{done.stdout}\n{done.stderr}"
        return done

    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    run(*pip, "wheel", str(src), "--no-deps", "--no-build-isolation", "--no-index",
        "-w", str(tmp_path / "dist"))  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("mathprog-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("digits.npz", "diabetes.npz", "README.md"):
        assert f"mathprog/_data/{name}" in names, (
            f"{wheel.name} lacks mathprog/_data/{name}: pyproject.toml must map data/ to the "
            "package mathprog._data ([tool.setuptools] packages and package-dir, package-data)"
        )

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    run(*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel))
    purelib = run(str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    numpy_home = Path(np.__file__).resolve().parent.parent
    (Path(purelib.stdout.strip()) / "_mathprog_test_numpy.pth").write_text(f"{numpy_home}\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import json, mathprog.data as d\n"
        "X, y = d.load_digits(); A, b = d.load_diabetes()\n"
        "found = [str(p) for p in d._DATA_DIRS if (p / 'digits.npz').is_file()]\n"
        "print(json.dumps({'module': d.__file__, 'found': found,\n"
        "    'digits': [X.shape, str(X.dtype), int(y.sum())], 'diabetes': [A.shape, b.mean()]}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    out = json.loads(run(str(python), "-c", script, cwd=elsewhere, env=env).stdout)
    assert Path(out["module"]).is_relative_to(venv)
    (found,) = out["found"]  # the wheel's copy is the only one the loaders can find
    assert Path(found).is_relative_to(venv) and Path(found).name == "_data"
    X, y = data.load_digits()
    assert out["digits"] == [[1797, 64], "float64", int(y.sum())]
    assert out["diabetes"] == [[442, 10], pytest.approx(152.13348416289594, rel=1e-12)]

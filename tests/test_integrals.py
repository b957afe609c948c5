"""mathprog.integrals against closed forms, including each rule's measured order."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from mathprog import data, integrals
from mathprog.integrals import cumulative_trapezoid, riemann_sum, simpson, trapezoid

EXACT = np.e - 1.0  # the integral of exp over [0, 1]


def order(errors, ns):
    """Slope of log(error) against log(h), h = 1/n: the measured order."""
    return float(np.polyfit(np.log(1.0 / np.asarray(ns)), np.log(errors), 1)[0])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (lambda n: riemann_sum(np.exp, 0.0, 1.0, n, rule="left"), 1.0),
        (lambda n: riemann_sum(np.exp, 0.0, 1.0, n, rule="right"), 1.0),
        (lambda n: riemann_sum(np.exp, 0.0, 1.0, n), 2.0),
        (lambda n: trapezoid(np.exp, 0.0, 1.0, n), 2.0),
        (lambda n: simpson(np.exp, 0.0, 1.0, n), 4.0),
    ],
    ids=["left", "right", "midpoint", "trapezoid", "simpson"],
)
def test_measured_order(rule, expected):
    ns = [8, 16, 32, 64, 128]  # well above Simpson's round-off floor (~ n = 1000 here)
    errors = [abs(rule(n) - EXACT) for n in ns]
    assert order(errors, ns) == pytest.approx(expected, abs=0.05)


def test_leading_error_terms():
    # Euler-Maclaurin: left sum -h (f(b) - f(a)) / 2; trapezoid +h^2 (f'(b) - f'(a)) / 12;
    # midpoint -h^2 (f'(b) - f'(a)) / 24; Simpson +h^4 (f'''(b) - f'''(a)) / 180. For exp on
    # [0, 1] every difference is e - 1.
    n = 200
    h = 1.0 / n
    assert riemann_sum(np.exp, 0, 1, n, "left") - EXACT == pytest.approx(-h * EXACT / 2, rel=1e-2)
    assert trapezoid(np.exp, 0, 1, n) - EXACT == pytest.approx(h**2 * EXACT / 12, rel=1e-3)
    assert riemann_sum(np.exp, 0, 1, n) - EXACT == pytest.approx(-(h**2) * EXACT / 24, rel=1e-3)
    n = 20
    h = 1.0 / n
    assert simpson(np.exp, 0, 1, n) - EXACT == pytest.approx(h**4 * EXACT / 180, rel=1e-2)


def test_exactness():
    # Midpoint and trapezoid are exact for lines, Simpson for cubics.
    line = lambda x: 3 * x - 1  # noqa: E731
    cubic = lambda x: x**3 - 2 * x**2 + 5  # noqa: E731
    cubic_integral = 2**4 / 4 - 2 * 2**3 / 3 + 10  # over [0, 2]
    assert riemann_sum(line, 0, 2, 3) == pytest.approx(4.0, abs=1e-14)
    assert trapezoid(line, 0, 2, 3) == pytest.approx(4.0, abs=1e-14)
    assert simpson(cubic, 0, 2, 2) == pytest.approx(cubic_integral, abs=1e-13)
    assert trapezoid(cubic, 0, 2, 2) != pytest.approx(cubic_integral, abs=1e-3)


def test_reversed_limits_flip_the_sign_and_constants_broadcast():
    assert simpson(np.sin, np.pi, 0.0, 64) == pytest.approx(-2.0, rel=1e-7)
    assert riemann_sum(lambda x: 2.5, 1.0, 3.0, 7, rule="left") == pytest.approx(5.0)
    assert trapezoid(np.exp, 0.5, 0.5, 4) == 0.0


def test_rules_agree_with_each_other_on_a_smooth_rate():
    f = lambda x: 1.0 / (1.0 + x**2)  # noqa: E731, integral over [0, 1] is pi/4
    assert simpson(f, 0, 1, 100) == pytest.approx(np.pi / 4, abs=1e-12)
    # Simpson is the weighted mean of trapezoid and midpoint: S_2n = (2 M_n + T_n) / 3.
    m, t = riemann_sum(f, 0, 1, 50), trapezoid(f, 0, 1, 50)
    assert simpson(f, 0, 1, 100) == pytest.approx((2 * m + t) / 3, abs=1e-15)


def test_cumulative_trapezoid():
    x = np.linspace(0.0, 2.0, 2001)
    out = cumulative_trapezoid(np.cos(x), x)
    assert out.shape == x.shape and out[0] == 0.0
    np.testing.assert_allclose(out, np.sin(x), atol=1e-6)
    # exact for a straight line, uneven spacing
    x = np.array([0.0, 0.1, 0.5, 0.7, 2.0])
    np.testing.assert_allclose(cumulative_trapezoid(2 * x + 1, x), x**2 + x, atol=1e-14)
    assert cumulative_trapezoid([3.0], [1.0]).tolist() == [0.0]


def test_cumulative_trapezoid_order():
    errors = []
    ns = [10, 20, 40, 80]
    for n in ns:
        x = np.linspace(0.0, 1.0, n + 1)
        errors.append(np.max(np.abs(cumulative_trapezoid(np.exp(x), x) - (np.exp(x) - 1))))
    assert order(errors, ns) == pytest.approx(2.0, abs=0.05)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: riemann_sum(np.exp, 0, 1, 0), ValueError, "n must be >= 1"),
        (lambda: riemann_sum(np.exp, 0, 1, -3), ValueError, "n must be >= 1"),
        (lambda: trapezoid(np.exp, 0, 1, 2.0), TypeError, "n must be an int"),
        (lambda: trapezoid(np.exp, 0, 1, True), TypeError, "n must be an int"),
        (lambda: simpson(np.exp, 0, 1, 7), ValueError, "n must be even"),
        (lambda: simpson(np.exp, 0, 1, 0), ValueError, "n must be >= 1"),
        (lambda: riemann_sum(np.exp, 0, 1, 4, rule="centre"), ValueError, "rule must be one of"),
        (lambda: trapezoid(np.exp, np.nan, 1, 4), ValueError, "a must be a finite"),
        (lambda: trapezoid(np.exp, 0, np.inf, 4), ValueError, "b must be a finite"),
        (lambda: trapezoid(np.exp, "0", 1, 4), TypeError, "a must be a real number"),
        (lambda: simpson(None, 0, 1, 4), TypeError, "f must be callable"),
        (lambda: simpson(np.log, -1, 1, 4), ValueError, "f returned a non-finite value"),
        (lambda: trapezoid(lambda x: [1.0, 2.0], 0, 1, 4), ValueError, "one value per point"),
        (lambda: trapezoid(lambda x: x.astype(str), 0, 1, 4), TypeError, "real numbers"),
        (lambda: cumulative_trapezoid([1, 2], [0, 1, 2]), ValueError, "same length"),
        (lambda: cumulative_trapezoid([1, 2, 3], [0, 2, 1]), ValueError, "x must be strictly"),
        (lambda: cumulative_trapezoid([1, np.nan], [0, 1]), ValueError, "y must be finite"),
        (lambda: cumulative_trapezoid([[1.0]], [0.0]), ValueError, "y must be 1-D"),
        (lambda: cumulative_trapezoid([], []), ValueError, "y is empty"),
        (lambda: cumulative_trapezoid(["a"], [0.0]), TypeError, "y must hold real numbers"),
    ],
)
def test_bad_input_names_the_parameter(call, error, message):
    with (
        np.errstate(divide="ignore", invalid="ignore"),
        pytest.raises(error, match=message),
    ):
        call()


def test_rules_are_documented():
    assert set(integrals.RULES) == {"left", "midpoint", "right"}


# --- the data notebook 10 differentiates and integrates: mathprog.data.load_co2 -----------------


def test_load_co2_shapes_dates_and_values():
    year, co2 = data.load_co2()
    assert year.shape == co2.shape == (2284,) and year.dtype == co2.dtype == np.float64
    assert year[0] == pytest.approx(1958 + 87 / 365) and year[-1] == pytest.approx(2001 + 362 / 365)
    assert np.all(np.abs(np.diff(year) - 7 / 365.25) < 2e-4)  # weekly
    assert int(np.isnan(co2).sum()) == 59
    assert (np.nanmin(co2), np.nanmax(co2), co2[0]) == (313.0, 373.9, 316.1)


def test_co2_checksum_matches_file_and_readme(tmp_path, monkeypatch):
    folder = Path(__file__).resolve().parent.parent / "data"
    raw = (folder / "co2.npz").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    assert digest == data._SHA256["co2.npz"]
    assert re.search(rf"`co2\.npz` \| `{digest}`", (folder / "README.md").read_text("utf-8"))
    with np.load(folder / "co2.npz", allow_pickle=False) as npz:
        assert all(npz[key].dtype != object for key in npz.files)
    damaged = bytearray(raw)
    damaged[len(raw) // 2] ^= 0xFF
    (tmp_path / "co2.npz").write_bytes(bytes(damaged))
    monkeypatch.setattr(data, "_DATA_DIRS", (tmp_path,))
    with pytest.raises(data.ChecksumError, match="co2.npz"):
        data.load_co2()

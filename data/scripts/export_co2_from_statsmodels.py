"""Provenance: how data/co2.npz was made (run once, by hand, in a throwaway venv).

    python -m venv /tmp/export && /tmp/export/bin/pip install statsmodels
    /tmp/export/bin/python data/scripts/export_co2_from_statsmodels.py

Exports the weekly Mauna Loa CO2 record bundled with statsmodels (0.15.0 at export time,
``statsmodels.datasets.co2``, its file ``co2.csv``); statsmodels is not a dependency of
mathprog. The sample dates are taken from the file's own ``date`` column (YYYYMMDD) and
checked to be exactly seven days apart; weeks with no measurement stay as NaN. Re-running
rewrites the file with new zip timestamps, so its sha256 changes: update data/README.md and
``mathprog.data._SHA256`` if you do.
"""

import hashlib
from pathlib import Path

import numpy as np
import statsmodels
from statsmodels.datasets import co2

HERE = Path(__file__).resolve().parent.parent  # the data/ folder


def main() -> None:
    raw = co2.data._get_data()  # the bundled co2.csv as read by statsmodels: date, co2
    text = raw["date"].astype(int).astype(str)
    date = np.array([f"{s[:4]}-{s[4:6]}-{s[6:]}" for s in text], dtype="datetime64[D]")
    ppm = raw["co2"].to_numpy(dtype=np.float64)
    assert date.shape == ppm.shape == (2284,)
    assert np.all(np.diff(date) == np.timedelta64(7, "D"))
    # the same values statsmodels' own loader returns
    frame = co2.load_pandas().data
    assert np.array_equal(frame.index.values.astype("datetime64[D]"), date)
    assert np.array_equal(frame["co2"].to_numpy(), ppm, equal_nan=True)
    np.savez_compressed(HERE / "co2.npz", date=date, co2=ppm)
    print(f"statsmodels {statsmodels.__version__}: {len(date)} weeks {date[0]} .. {date[-1]}, "
          f"{int(np.isnan(ppm).sum())} missing")
    print("co2.npz", hashlib.sha256((HERE / "co2.npz").read_bytes()).hexdigest())


if __name__ == "__main__":
    main()

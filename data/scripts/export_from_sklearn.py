"""Provenance: how data/digits.npz and data/diabetes.npz were made (run once, by hand).

    .venv/bin/python data/scripts/export_from_sklearn.py

Exports scikit-learn's bundled copies (scikit-learn 1.9.1 at export time); scikit-learn is not
a dependency of mathprog. Pixels are stored as uint8 and labels as uint8 to keep the files
small; ``mathprog.data`` converts them to float64/int64 on load. Re-running rewrites the files
with new zip timestamps, so their sha256 changes: update data/README.md and
``mathprog.data._SHA256`` if you do.
"""

import hashlib
from pathlib import Path

import numpy as np
from sklearn import datasets

HERE = Path(__file__).resolve().parent.parent  # the data/ folder


def main() -> None:
    digits = datasets.load_digits()
    X = digits.data
    assert X.shape == (1797, 64) and np.array_equal(X, np.round(X)) and X.min() == 0
    assert X.max() == 16
    np.savez_compressed(HERE / "digits.npz", X=X.astype(np.uint8), y=digits.target.astype(np.uint8))

    diabetes = datasets.load_diabetes(scaled=False)
    assert diabetes.data.shape == (442, 10)
    np.savez_compressed(
        HERE / "diabetes.npz",
        X=diabetes.data.astype(np.float64),
        y=diabetes.target.astype(np.float64),
        feature_names=np.array(diabetes.feature_names, dtype="U3"),
    )

    for name in ("digits.npz", "diabetes.npz"):
        print(name, hashlib.sha256((HERE / name).read_bytes()).hexdigest())


if __name__ == "__main__":
    main()

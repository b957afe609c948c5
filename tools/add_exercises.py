"""Insert each notebook's "Exercises" section from tools/exercises/NN.py (jupytext percent).

    python tools/add_exercises.py notebooks/*.ipynb

For ``notebooks/NN_name.ipynb`` the section ``tools/exercises/NN.py`` is read, every one of
its cells is marked (tag ``exercise`` and metadata ``"mathprog": {"exercises": "NN"}``),
cells tagged ``solution`` are collapsed the way JupyterLab stores it
(``"jupyter": {"source_hidden": true}``), and the section is inserted just before the
notebook's last cell (the link to the next notebook). A section inserted earlier is
removed first, so running the tool again replaces it: the result is the same file.
Nothing else in the notebook changes, and nothing is executed: re-execute the notebook
afterwards (``make notebooks``) so the stored outputs show each stub's "not yet" and each
solution's ✓.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import jupytext
import nbformat

SECTIONS = Path(__file__).resolve().parent / "exercises"
TAG = "exercise"
# jupytext's own layout hints: meaningless inside an .ipynb.
_JUPYTEXT_KEYS = ("lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker")


def is_exercise_cell(cell: dict) -> bool:
    """A cell this tool inserted (by its metadata or its tag)."""
    meta = cell.get("metadata", {})
    return "exercises" in meta.get("mathprog", {}) or TAG in meta.get("tags", [])


def section_cells(number: str, source: Path) -> list:
    """The section's cells, marked, with solutions hidden and no outputs."""
    cells = []
    for i, cell in enumerate(jupytext.read(source).cells):
        meta = {k: v for k, v in copy.deepcopy(dict(cell.metadata)).items()
                if k not in _JUPYTEXT_KEYS}
        tags = [t for t in meta.get("tags", []) if t != TAG] + [TAG]
        meta["tags"] = tags
        meta["mathprog"] = {"exercises": number}
        if "solution" in tags:
            meta.setdefault("jupyter", {})["source_hidden"] = True
        make = nbformat.v4.new_code_cell if cell.cell_type == "code" else \
            nbformat.v4.new_markdown_cell
        new = make(source=cell.source, metadata=meta)
        new["id"] = f"exercise-{number}-{i:02d}"
        cells.append(new)
    return cells


def add_exercises(path: Path, sections: Path = SECTIONS) -> str:
    """Insert (or replace) the section in the notebook at ``path``; returns what it did."""
    number = path.name[:2]
    source = sections / f"{number}.py"
    if not (number.isdigit() and source.exists()):
        return f"{path}: skipped (no {source})"
    nb = nbformat.read(path, as_version=4)
    kept = [c for c in nb.cells if not is_exercise_cell(c)]
    removed = len(nb.cells) - len(kept)
    new = section_cells(number, source)
    at = max(len(kept) - 1, 0)  # before the last cell, the link to the next notebook
    nb.cells = kept[:at] + new + kept[at:]
    nbformat.validate(nb)
    nbformat.write(nb, path)
    verb = "replaced" if removed else "inserted"
    return (f"{path}: {verb} {len(new)} cells "
            f"({sum('solution' in c.metadata['tags'] for c in new)} solutions) "
            f"before cell {at}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--sections", type=Path, default=SECTIONS,
                        help="folder of NN.py sections (default: tools/exercises)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        print(add_exercises(path, args.sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())

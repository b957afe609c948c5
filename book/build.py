"""Build the static book: every notebook from its stored outputs, offline, into _build/book/.

Run by ``make book`` with the book's own venv (.venv-book: Jupyter Book 1 and mathprog).

1. The table of contents comes from ``notebooks/NN_*.ipynb`` and ``SECTIONS`` (which of the
   article's sections each notebook covers); a notebook missing there fails the build.
2. Each notebook is *copied* into a staging folder (``_build/book-src``) and each explorer
   output in the copy is replaced by its kernel-free form (``book/kernel_free.py``), rebuilt
   by mathprog from ``book/explorers.py``; an explorer without a registry entry, or an entry
   without an explorer, fails the build. Nothing is executed: every other output is the
   stored one. The notebooks in ``notebooks/`` are never written.
3. MathJax, require.js and the widget manager come from ``book/node_modules`` (``npm ci``
   from the committed package.json and package-lock.json), copied into the staging folder's
   ``vendor_static/``, so no page loads anything from another host.
4. ``jupyter-book build`` renders the staging folder; the HTML lands in ``_build/book/`` and
   the build fails if a page (HTML + images it loads) exceeds 3 MB or the book 40 MB.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
sys.path.insert(0, str(BOOK))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from explorers import REGISTRY  # noqa: E402
from kernel_free import render  # noqa: E402

# Which of the article's sections each notebook covers, in the article's words.
SECTIONS: dict[str, list[str]] = {
    "01_derivatives": ["Derivatives: Measuring Change"],
    "02_chain_rule": ["Chain Rule: The Key to Deep Learning"],
    "03_gradients": ["Partial Derivatives and Gradients"],
    "04_gradient_descent": ["Gradient Descent: Optimizing Functions",
                            "Multidimensional Gradient Descent"],
    "05_linear_regression": ["Real Example: Linear Regression from Scratch"],
    "06_backpropagation": ["Backpropagation: Chain Rule in Action"],
    "07_optimizers": ["Optimization Algorithms (Momentum, Adam Optimizer)"],
    "08_gradient_checking": ["Debugging with Calculus: Gradient Checking"],
    "09_diagnosing_training": ["The Debugging Session That Taught Me Calculus",
                               "Diagnosing Training Issues"],
    "10_integrals": ["What is Calculus in Programming?"],
}

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
KIND = re.compile(r"^(\w+_explorer):")
FACTORY_CALL = re.compile(r"\b(\w+_explorer)\s*\(")
PAGE_LIMIT = 3_000_000
BOOK_LIMIT = 40_000_000

# What the pages load, from book/node_modules (paths inside each package).
VENDOR = {
    "mathjax/es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js",
    "mathjax/es5/output/chtml/fonts/woff-v2": "mathjax/output/chtml/fonts/woff-v2",
    "mathjax/es5/input/tex/extensions": "mathjax/input/tex/extensions",
    "mathjax/es5/a11y": "mathjax/a11y",
    "mathjax/es5/ui": "mathjax/ui",
    "mathjax/es5/sre": "mathjax/sre",
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist/embed-amd.js": "embed-amd.js",
}


class BuildError(RuntimeError):
    pass


def notebooks() -> list[Path]:
    return sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def explorer_outputs(nb: dict) -> list[tuple[dict, dict, str]]:
    """(cell, output, kind) of every explorer output, in order. An explorer output is one
    whose text/plain starts with the factory's kind ("lr_explorer: ...", with a widget view
    or a static PNG beside it), or a widget view from a cell that calls exactly one factory
    (``explorer.widget`` stores "VBox(...)")."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            m = KIND.match("".join(data.get("text/plain", "")))
            calls = set(FACTORY_CALL.findall("".join(cell["source"])))
            if m:
                found.append((cell, out, m.group(1)))
            elif WIDGET_VIEW in data and len(calls) == 1:
                found.append((cell, out, calls.pop()))
    return found


def transform(path: Path, dest: Path) -> list[dict]:
    """Copy a notebook to ``dest`` with its explorers replaced by kernel-free forms."""
    nb = json.loads(path.read_text())
    stem = path.stem
    outputs = explorer_outputs(nb)
    registered = sorted(k for s, k in REGISTRY if s == stem)
    if registered != list(range(len(outputs))):
        raise BuildError(
            f"{path.name} shows {len(outputs)} explorer(s) "
            f"({', '.join(k for _, _, k in outputs) or 'none'}), but book/explorers.py "
            f"registers ordinals {registered} for it: add or remove REGISTRY entries")
    stats = []
    for ordinal, (_cell, out, kind) in enumerate(outputs):
        entry = REGISTRY[(stem, ordinal)]
        if entry.kind != kind:
            raise BuildError(f"{path.name}: explorer {ordinal} is a {kind}, "
                             f"the registry builds a {entry.kind}")
        t0 = time.perf_counter()
        explorer = entry.make()
        stored = "".join(out["data"].get("text/plain", ""))
        if stored.startswith(f"{kind}: ") and stored != f"{kind}: {explorer.readout}":
            raise BuildError(f"{path.name}: explorer {ordinal} rebuilt by the registry reads "
                             f"{explorer.readout!r}, the notebook stored {stored!r}")
        markup, info = render(explorer, entry, f"{stem}-explorer-{ordinal}")
        out.clear()
        out.update(output_type="display_data", metadata={},
                   data={"text/html": markup, "text/plain": stored})
        info.update(notebook=stem, ordinal=ordinal, kind=kind,
                    seconds=round(time.perf_counter() - t0, 2))
        stats.append(info)
    # Widget state (saved explorers as of their last update) is useless without a kernel
    # and heavy: drop it when no widget view is left.
    if not any(WIDGET_VIEW in o.get("data", {}) for c in nb["cells"]
               for o in c.get("outputs", [])):
        nb.get("metadata", {}).get("widgets", {}).pop(WIDGET_STATE, None)
        if not nb.get("metadata", {}).get("widgets", True):
            nb["metadata"].pop("widgets")
    # A notebook's link to the README (the series' index on a code host) is the book's front page.
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            c["source"] = "".join(c["source"]).replace("](../README.md)", "](../intro.md)")
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False))
    return stats


def toc(paths: list[Path]) -> str:
    missing = [p.name for p in paths if p.stem not in SECTIONS]
    if missing:
        raise BuildError(f"no article section mapped for {', '.join(missing)}: "
                         "add it to SECTIONS in book/build.py")
    lines = ["# Generated by book/build.py from notebooks/ and its SECTIONS mapping.",
             "format: jb-book", "root: intro", "chapters:"]
    for p in paths:
        title = "; ".join(SECTIONS[p.stem])
        lines += [f"- file: notebooks/{p.stem}", f"  title: {json.dumps(title)}"]
    return "\n".join(lines) + "\n"


def intro(paths: list[Path]) -> str:
    """The README's introduction (its title and the text before the first ``##``)."""
    readme = (REPO / "README.md").read_text()
    head = readme.split("\n## ", 1)[0].strip()
    rows = ["", "## Contents", "",
            "Each chapter is one notebook, rendered from its stored outputs; the sliders "
            "of its explorers move figures that mathprog computed when the book was built.",
            ""]
    for p in paths:
        rows.append(f"- [{'; '.join(SECTIONS[p.stem])}](notebooks/{p.stem}.ipynb) "
                    f"(`{p.name}`)")
    return head + "\n" + "\n".join(rows) + "\n"


def vendor(dest: Path) -> None:
    modules = BOOK / "node_modules"
    if not (modules / ".package-lock.json").exists():
        raise BuildError("book/node_modules is missing: run `npm ci` in book/ (make book does)")
    for src, target in VENDOR.items():
        s, d = modules / src, dest / "vendor" / target
        if not s.exists():
            raise BuildError(f"{s} is missing from the npm packages")
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d)
        else:
            shutil.copy2(s, d)
    fonts = modules / "@jupyter-widgets/html-manager/dist"
    for font in fonts.glob("*.woff2"):  # the widget manager's icon fonts, beside embed-amd.js
        shutil.copy2(font, dest / "vendor" / font.name)


def page_sizes(site: Path) -> dict[str, int]:
    """Bytes per HTML page, counting the local images it references (not shared assets)."""
    sizes = {}
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(errors="replace")
        total = page.stat().st_size
        for src in set(re.findall(r'<img[^>]+src="(?!data:)([^"#?]+)"', text)):
            f = (page.parent / src).resolve()
            if f.is_file():
                total += f.stat().st_size
        sizes[str(page.relative_to(site))] = total
    return sizes


def build(out: Path, stage: Path) -> dict:
    t0 = time.perf_counter()
    paths = notebooks()
    if not paths:
        raise BuildError("no notebooks/NN_*.ipynb found")
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "notebooks").mkdir(parents=True)
    shutil.copy2(BOOK / "_config.yml", stage / "_config.yml")
    shutil.copy2(BOOK / "mathprog_book_ext.py", stage / "mathprog_book_ext.py")
    (stage / "_toc.yml").write_text(toc(paths))
    (stage / "intro.md").write_text(intro(paths))
    shutil.copytree(BOOK / "static", stage / "mathprog_static")
    vendor(stage / "vendor_static")
    explorers = []
    unknown = {s for s, _ in REGISTRY} - {p.stem for p in paths}
    if unknown:
        raise BuildError(f"book/explorers.py has entries for {sorted(unknown)}, "
                         "which are not notebooks")
    for p in paths:
        explorers += transform(p, stage / "notebooks" / p.name)
    t_explorers = time.perf_counter() - t0
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", str(stage), "--path-output", str(stage),
                             "--builder", "html", "--keep-going", "-W", "-n"],
                            capture_output=True, text=True)
    log = result.stdout + result.stderr
    (stage / "build.log").write_text(log)
    if result.returncode != 0:
        raise BuildError(f"jupyter-book build failed (exit {result.returncode}); "
                         f"log in {stage / 'build.log'}:\n{log[-3000:]}")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(stage / "_build" / "html", out)
    sizes = page_sizes(out)
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    big = {p: s for p, s in sizes.items() if s > PAGE_LIMIT}
    if big:
        raise BuildError(f"pages over {PAGE_LIMIT / 1e6:g} MB: {big}")
    if total > BOOK_LIMIT:
        raise BuildError(f"the book is {total / 1e6:.1f} MB, over {BOOK_LIMIT / 1e6:g} MB")
    report = {"seconds": round(time.perf_counter() - t0, 1),
              "explorer_seconds": round(t_explorers, 1), "total_bytes": total,
              "pages": sizes, "explorers": explorers}
    (out / "_book_report.json").write_text(json.dumps(report, indent=1))
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "_build" / "book")
    ap.add_argument("--stage", type=Path, default=REPO / "_build" / "book-src")
    args = ap.parse_args()
    try:
        report = build(args.out.resolve(), args.stage.resolve())
    except BuildError as err:
        print(f"make book: FAILED: {err}", file=sys.stderr)
        return 1
    for e in report["explorers"]:
        print(f"  {e['notebook']} explorer {e['ordinal']} ({e['kind']}): {e['positions']} "
              f"positions, {e['overlays']} frames, {e['bytes'] / 1e6:.2f} MB, {e['seconds']} s")
    for page, size in report["pages"].items():
        if page.startswith("notebooks/") or page == "intro.html":
            print(f"  {page}: {size / 1e6:.2f} MB")
    print(f"book: {args.out} ({report['total_bytes'] / 1e6:.1f} MB, "
          f"{len(report['pages'])} pages) in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

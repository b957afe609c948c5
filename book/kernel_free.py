"""An explorer's kernel-free form: its controls over figures precomputed by mathprog.

For every position of the control grid (``book/explorers.py``) the real explorer is updated
and its PNG and readout recorded. The figures differ only where the moving artists are, so
the page carries one *base* image (the per-pixel median of the frames) and, per position, an
*overlay*: an RGBA PNG holding exactly the pixels where that frame differs from the base
(transparent elsewhere). Drawn over the base it reproduces the frame pixel for pixel (checked
here), at a few KB a frame instead of 50-150 KB. Identical overlays and readouts are stored
once. ``book/static/mathprog-explorer.js`` links the controls to the frames in the page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from typing import Any

import numpy as np
from explorers import ALL, Entry, label, positions  # book/ is on sys.path (build.py)
from PIL import Image

MEDIAN_SAMPLE = 48  # frames used to estimate the base image
GROW = 2  # pixels of margin around every difference (see _grow)


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _encode(img: np.ndarray, mode: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img, mode).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _grow(mask: np.ndarray, r: int = GROW) -> np.ndarray:
    """``mask`` widened by ``r`` pixels: a browser that scales the figure blends each overlay
    pixel with its neighbours, so a one-pixel-wide difference would let the base show through
    as a ghost (seen in Chromium at the book's width); a margin keeps the overlay opaque."""
    out = mask.copy()
    h, w = mask.shape
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] |= \
                mask[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def render(explorer: Any, entry: Entry, ident: str) -> tuple[str, dict[str, Any]]:
    """The HTML of the kernel-free explorer and figures about it (frame count, bytes)."""
    start = dict(explorer.values)
    controls = explorer.controls
    axes = []  # (name, values) for the controls that move in the book
    for name, widget in controls.items():
        if name in entry.grid:
            axes.append((name, positions(widget, entry.grid[name], start[name])))
    unknown = set(entry.grid) - set(controls)
    if unknown:
        raise ValueError(f"{ident}: grid names {sorted(unknown)}, but the explorer's controls "
                         f"are {list(controls)}")
    if not axes:
        raise ValueError(f"{ident}: the grid moves no control")

    frames, readouts = [], []
    for combo in itertools.product(*(values for _, values in axes)):
        explorer.update(**dict(zip((n for n, _ in axes), combo, strict=True)))
        frames.append(explorer.png())
        readouts.append(explorer.readout)
    explorer.update(**start)

    images = [_decode(p) for p in frames]
    sample = images[:: max(1, len(images) // MEDIAN_SAMPLE)]
    base = np.median(np.stack(sample), axis=0).astype(np.uint8)
    overlay_ids: dict[bytes, int] = {}
    overlays: list[str] = []
    frame_of = []
    for img in images:
        differs = _grow(np.any(img != base, axis=2))
        rgba = np.zeros(img.shape[:2] + (4,), np.uint8)
        rgba[differs, :3] = img[differs]
        rgba[differs, 3] = 255
        back = np.where(differs[..., None], img, base)  # what the browser will show
        assert np.array_equal(back, img), f"{ident}: overlay does not reproduce its frame"
        key = hashlib.sha1(rgba.tobytes()).digest()
        if key not in overlay_ids:
            overlay_ids[key] = len(overlays)
            overlays.append(_data_uri(_encode(rgba, "RGBA")))
        frame_of.append(overlay_ids[key])
    texts = sorted(set(readouts))
    text_of = [texts.index(r) for r in readouts]

    start_index = [values.index(start[name]) if start[name] in values else 0
                   for name, values in axes]
    data = {
        "controls": [{"name": n, "labels": [label(controls[n], v) for v in values],
                      "values": values, "start": i}
                     for (n, values), i in zip(axes, start_index, strict=True)],
        "overlays": overlays, "readouts": texts, "frame": frame_of, "readout": text_of,
    }
    flat = 0
    for (_, values), i in zip(axes, start_index, strict=True):
        flat = flat * len(values) + i

    rows = []
    for (name, values), i in zip(axes, start_index, strict=True):
        shown = html.escape(label(controls[name], values[i]))
        if isinstance(values[0], (str, bool)):  # a dropdown or a checkbox: a <select>
            opts = "".join(f'<option value="{k}"{" selected" if k == i else ""}>'
                           f"{html.escape(label(controls[name], v))}</option>"
                           for k, v in enumerate(values))
            widget = (f'<select class="mp-control" data-control="{name}" '
                      f'aria-label="{name}">{opts}</select>')
        else:
            widget = (f'<input type="range" class="mp-control" data-control="{name}" '
                      f'aria-label="{name}" min="0" max="{len(values) - 1}" step="1" '
                      f'value="{i}"><output class="mp-value">{shown}</output>')
        rows.append(f'<div class="mp-row"><label class="mp-name">{name}</label>{widget}</div>')
    fixed = [f"{n} = {label(controls[n], v)}" for n, v in start.items()
             if n not in dict(axes)]
    note = entry.note or ("fixed here: " + ", ".join(fixed) if fixed else "")
    if note:
        rows.append(f'<div class="mp-note">{html.escape(note)}</div>')
    base_png = _encode(base, "RGB")
    h, w = base.shape[:2]
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    markup = (
        f'<div class="mathprog-book-explorer mathprog-{entry.kind}" id="{ident}" '
        f'data-kind="{entry.kind}">'
        f'<div class="mp-controls">{"".join(rows)}</div>'
        f'<div class="mp-figure" style="max-width:{w}px">'
        f'<img class="mp-base" alt="{entry.kind} figure" width="{w}" height="{h}" '
        f'src="{_data_uri(base_png)}">'
        f'<img class="mp-overlay" alt="" width="{w}" height="{h}" '
        f'src="{overlays[frame_of[flat]]}"></div>'
        f'<div class="mathprog-readout">{html.escape(readouts[flat])}</div>'
        f'<script type="application/json" class="mp-data">{payload}</script></div>'
    )
    stats = {"positions": len(frames), "overlays": len(overlays), "readouts": len(texts),
             "bytes": len(markup)}
    return markup, stats


__all__ = ["render", "ALL"]

// Kernel-free explorers (see book/kernel_free.py): each control moves an index into the
// precomputed grid; the overlay image and the readout for that position are shown at once.
(function () {
  "use strict";
  function init(root) {
    const data = JSON.parse(root.querySelector("script.mp-data").textContent);
    const overlay = root.querySelector("img.mp-overlay");
    const readout = root.querySelector(".mathprog-readout");
    const state = data.controls.map((c) => c.start);
    const flatOf = (s) => s.reduce((acc, v, i) => acc * data.controls[i].labels.length + v, 0);
    // Frames one step away from the current position are decoded ahead of time, so the
    // next move only swaps a decoded image (a cold decode took up to 60 ms on a busy CPU).
    const warm = new Map();
    const prepare = () => {
      const keep = new Set();
      data.controls.forEach((c, i) => {
        for (const d of [-1, 1]) {
          const v = state[i] + d;
          if (v < 0 || v >= c.labels.length) { continue; }
          const next = state.slice();
          next[i] = v;
          keep.add(data.frame[flatOf(next)]);
        }
      });
      for (const f of keep) {
        if (!warm.has(f)) {
          const img = new Image();
          img.src = data.overlays[f];
          img.decode().catch(() => {});
          warm.set(f, img);
        }
      }
      for (const f of [...warm.keys()]) { if (!keep.has(f)) { warm.delete(f); } }
    };
    const show = () => {
      const flat = flatOf(state);
      overlay.src = data.overlays[data.frame[flat]];
      readout.textContent = data.readouts[data.readout[flat]];
      root.dataset.position = state.join(",");
      prepare();
    };
    data.controls.forEach((c, i) => {
      const el = root.querySelector(`[data-control="${c.name}"]`);
      const value = el.parentNode.querySelector("output.mp-value");
      el.addEventListener("input", () => {
        state[i] = Number(el.value);
        if (value) { value.textContent = c.labels[state[i]]; }
        show();
      });
    });
    show();
    root.classList.add("mp-ready");
  }
  const start = () => document.querySelectorAll(".mathprog-book-explorer").forEach(init);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// Kernel-free explorers (see book/kernel_free.py): each control moves an index into the
// precomputed grid; the overlay image and the readout for that position are shown at once.
(function () {
  "use strict";
  function init(root) {
    const data = JSON.parse(root.querySelector("script.mp-data").textContent);
    const overlay = root.querySelector("img.mp-overlay");
    const readout = root.querySelector(".mathprog-readout");
    const state = data.controls.map((c) => c.start);
    const show = () => {
      let flat = 0;
      data.controls.forEach((c, i) => { flat = flat * c.labels.length + state[i]; });
      overlay.src = data.overlays[data.frame[flat]];
      readout.textContent = data.readouts[data.readout[flat]];
      root.dataset.position = state.join(",");
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

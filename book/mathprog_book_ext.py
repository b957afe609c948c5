"""A local Sphinx extension for the book (listed in _config.yml under local_extensions).

Jupyter Book 1.0.4 with Sphinx 7.4 registers sphinx-thebe's inline script twice, so every
page declared ``const THEBE_JS_URL`` twice: a SyntaxError in the console. Each page's
script list is de-duplicated here (same file and same inline body: keep the first).
And sphinx-book-theme leaves pydata-sphinx-theme's ``default_mode`` empty, so a first visit
logged "Got invalid theme mode" as a console error: it is set to "auto" (follow the system).
"""

from __future__ import annotations

from typing import Any


def _dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict,
                    doctree: Any) -> None:
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        # the copy is registered once with filename None, once with "": the same script
        key = (getattr(js, "filename", None) or "",
               repr(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    scripts[:] = kept


def setup(app: Any) -> dict:
    app.connect("html-page-context", _dedupe_scripts, priority=1)  # before any handler
    # that returns a template name (emit_firstresult stops there)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

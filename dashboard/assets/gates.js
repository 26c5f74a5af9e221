/* Gates (dashboard/gates.py): a panel marked data-gate="NAME" tells the page, through
   its "seen-NAME" store, whether it is on screen or near it, so its server callback is asked
   only then. Panels appear after Dash renders them, so new ones are looked for on every change
   of the document. */
(function () {
    "use strict";
    var shown = {};
    var watched = typeof WeakSet === "function" ? new WeakSet() : null;
    if (typeof IntersectionObserver !== "function") {
        return;  // every browser the dashboard supports has it
    }
    var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
            var name = entry.target.getAttribute("data-gate");
            var visible = entry.isIntersecting;
            if (shown[name] === visible || !window.dash_clientside || !window.dash_clientside.set_props) {
                return;
            }
            shown[name] = visible;
            window.dash_clientside.set_props("seen-" + name, {data: visible});
        });
    }, {rootMargin: "400px 0px 400px 0px"});

    function watch() {
        var found = document.querySelectorAll("[data-gate]");
        for (var i = 0; i < found.length; i++) {
            if (watched && watched.has(found[i])) { continue; }
            if (watched) { watched.add(found[i]); }
            observer.observe(found[i]);
        }
    }
    new MutationObserver(watch).observe(document.documentElement, {childList: true, subtree: true});
    watch();

    // A section marked data-gate-open: Dash's html.Details keeps `open` as the layout set it
    // when a reader toggles it, so the page tells Dash (the OPEN gates read that prop).
    document.addEventListener("toggle", function (event) {
        var el = event.target;
        if (!el || !el.id || !el.hasAttribute || !el.hasAttribute("data-gate-open")) { return; }
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(el.id, {open: el.open});
        }
    }, true);
})();

/* Trygghetskarta: the page's layout is built for the page's address. dash-renderer asks for
 * `_dash-layout` without the address's query, so the server would build the default page
 * (Swedish, normal mode, default filters) and a first round-trip would then rewrite every text
 * and control for `?lang=en&present=1&…` — the page flickering from Swedish to English on the
 * way. Passing the query along lets dashboard/app.py build the layout in the asked language and
 * state from the start. It carries nothing the address bar does not already hold. */
(function () {
    "use strict";
    var realFetch = window.fetch.bind(window);

    window.fetch = function (input, init) {
        if (typeof input === "string" && /(^|\/)_dash-layout$/.test(input) && window.location.search) {
            input = input + window.location.search;
        }
        return realFetch(input, init);
    };
})();

/* Trygghetskarta: tell an open page that what it shows may be stale (see
 * dashboard/callbacks_session.py). It watches Dash's own requests and asks the server's status
 * every few seconds; when the server restarted, the session ended or the data changed it sets
 * data-tk-session on <html> and CSS shows the banner with the matching text (in the page's
 * language) and a reload button. The address bar holds the whole state, so a reload shows the
 * same view with fresh numbers. */
(function () {
    "use strict";
    var BOOT = "X-Trygghetskarta-Boot";
    var REVISION = "X-Trygghetskarta-Revision";
    var RANK = {changed: 1, expired: 2, restarted: 3};
    var page = {boot: null, revision: null, shown: null, asking: false};
    var realFetch = window.fetch.bind(window);

    function prefix() {
        try {
            var config = JSON.parse(document.getElementById("_dash-config").textContent);
            return config.requests_pathname_prefix || "/";
        } catch (e) {
            return "/";
        }
    }

    function banner() {
        return document.getElementById("session-banner");
    }

    function statusUrl() {
        var el = banner();
        return (el && el.getAttribute("data-status-url")) || prefix() + "_tk-session";
    }

    function show(kind) {
        if (page.shown && RANK[page.shown] >= RANK[kind]) {
            return;
        }
        page.shown = kind;
        document.documentElement.setAttribute("data-tk-session", kind);
    }

    function sameBoot(boot) {
        if (!boot) {
            return true;
        }
        if (page.boot === null) {
            page.boot = boot;
            return true;
        }
        return boot === page.boot;
    }

    function seen(response) {
        var boot = response.headers.get(BOOT);
        if (!sameBoot(boot)) {
            show("restarted");
            return;
        }
        if (response.status === 401) {
            show("expired");
        } else if (response.status === 403) {
            ask();  // the server no longer knows this page's CSRF token: ask why
        } else if (response.ok) {
            var revision = response.headers.get(REVISION);
            if (revision !== null) {
                page.revision = revision;  // what this page's latest numbers were computed from
                window.tkRevision = revision;  // the promise and effects gates (dashboard/gates.py)
            }
        }
    }

    function ask() {
        if (page.asking || page.shown === "restarted") {
            return;
        }
        page.asking = true;
        realFetch(statusUrl(), {credentials: "same-origin", cache: "no-store"}).then(function (response) {
            if (!response.ok) {
                throw new Error("status " + response.status);
            }
            return response.json();
        }).then(function (status) {
            if (!sameBoot(status.boot)) {
                show("restarted");
            } else if (status.session === "expired" || status.session === "none") {
                show("expired");
            } else if (status.revision !== undefined && page.revision !== null &&
                       String(status.revision) !== page.revision) {
                show("changed");
            }
        }).catch(function () {
            /* the server is down or restarting: the next poll asks again */
        }).then(function () {
            page.asking = false;
        });
    }

    window.fetch = function (input, init) {
        var url = typeof input === "string" ? input : (input && input.url) || "";
        var result = realFetch(input, init);
        if (url.indexOf("_dash-") < 0 || url.indexOf("_dash-component-suites") >= 0) {
            return result;
        }
        return result.then(function (response) {
            try {
                seen(response);
            } catch (e) { /* never break Dash's own request */ }
            return response;
        }, function (error) {
            ask();
            throw error;
        });
    };

    function pollMs() {
        var el = banner();
        var ms = el ? parseInt(el.getAttribute("data-poll-ms"), 10) : NaN;
        return ms > 0 ? ms : 15000;
    }

    function schedule() {
        window.setTimeout(function () {
            if (document.visibilityState !== "hidden") {
                ask();
            }
            schedule();
        }, pollMs());
    }

    document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") {
            ask();
        }
    });
    window.addEventListener("online", ask);
    document.addEventListener("click", function (event) {
        var target = event.target;
        if (target && target.closest && target.closest("#session-reload")) {
            window.location.reload();
        }
    });
    schedule();
}());

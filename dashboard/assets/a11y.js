/* Trygghetskarta: repairs the ARIA markup of Dash 4's option lists and date pickers, which
 * axe-core's WCAG 2.1 A/AA rules flag (tests/browser/test_accessibility_browser.py):
 *
 * - dcc.Checklist / dcc.RadioItems render `role=listbox` around `<label role=option
 *   aria-selected>` elements that each hold a native checkbox or radio. An option may not hold a
 *   focusable control (nested-interactive) and the listbox has no name (aria-input-field-name).
 *   The native inputs inside their labels already say everything a screen reader needs (role,
 *   name, checked state), and the page groups them in a fieldset or a labelled group
 *   (dashboard/a11y.py): the listbox roles go.
 * - dcc.DatePickerRange puts aria-haspopup/aria-expanded on a role-less div, labelled by ids
 *   of which two are "undefined" (aria-allowed-attr), and its clear control is an `<a>` without
 *   href carrying an English aria-label (aria-prohibited-attr, unreachable by keyboard): the div
 *   becomes a group labelled by its inputs, the clear control a keyboard button in the page's
 *   language.
 *
 * - the open calendar's year field has no name, its month buttons English names.
 * - dcc.Dropdown's tab stop is an aria-hidden input (aria-hidden-focus) and dcc.Upload's file
 *   input has no name (label).
 *
 * React sets these attributes when it mounts an element and again only when their value
 * changes (aria-selected on every selection), so a MutationObserver repairs each change as it
 * happens, before anyone (a screen reader, axe) reads the tree. */
(function () {
    "use strict";
    var CLEAR = {sv: "Rensa datum", en: "Clear dates"};
    var YEAR = {sv: "År", en: "Year"};
    var MONTH_NAV = {sv: ["Föregående månad", "Nästa månad"], en: ["Previous month", "Next month"]};

    function setLabel(element, label) {
        if (element.getAttribute("aria-label") !== label) {
            element.setAttribute("aria-label", label);
        }
    }

    function lang() {
        return document.documentElement.lang === "en" ? "en" : "sv";
    }

    function repairLists(root) {
        root.querySelectorAll(".dash-options-list[role=listbox]").forEach(function (list) {
            list.removeAttribute("role");
        });
        root.querySelectorAll(".dash-options-list-option[role], .dash-options-list-option[aria-selected]")
            .forEach(function (option) {
                option.removeAttribute("role");
                option.removeAttribute("aria-selected");
            });
    }

    function repairDatePickers(root) {
        root.querySelectorAll(".dash-datepicker-input-wrapper:not([role])").forEach(function (wrapper) {
            wrapper.setAttribute("role", "group");
        });
        root.querySelectorAll(".dash-datepicker-input-wrapper[aria-labelledby]").forEach(function (wrapper) {
            var ids = wrapper.getAttribute("aria-labelledby").split(/\s+/).filter(function (id) {
                return id && document.getElementById(id);
            }).join(" ");
            if (ids !== wrapper.getAttribute("aria-labelledby")) {
                if (ids) {
                    wrapper.setAttribute("aria-labelledby", ids);
                } else {
                    wrapper.removeAttribute("aria-labelledby");
                }
            }
        });
        var label = CLEAR[lang()];
        root.querySelectorAll("a.dash-datepicker-clear").forEach(function (clear) {
            if (clear.getAttribute("role") !== "button") {
                clear.setAttribute("role", "button");
                clear.setAttribute("tabindex", "0");
            }
            if (clear.getAttribute("aria-label") !== label) {
                clear.setAttribute("aria-label", label);
            }
        });
    }

    function repairDropdowns(root) {
        // dcc.Dropdown's tab stop is a hidden read-only input (aria-hidden, tabindex 0) that
        // passes focus on to the real button (tabindex -1): a focusable element hidden from
        // screen readers (aria-hidden-focus). The button, which names the choice and opens the
        // list from the keyboard, becomes the tab stop instead.
        root.querySelectorAll(".dash-dropdown-wrapper").forEach(function (wrapper) {
            var target = wrapper.querySelector(".dash-dropdown-focus-target");
            var button = wrapper.querySelector("button.dash-dropdown");
            if (!target || !button) {
                return;
            }
            if (target.getAttribute("tabindex") !== "-1") {
                target.setAttribute("tabindex", "-1");
            }
            var wanted = button.disabled ? "-1" : "0";
            if (button.getAttribute("tabindex") !== wanted) {
                button.setAttribute("tabindex", wanted);
            }
        });
    }

    function repairUploads(root) {
        // dcc.Upload's file input has no label: it is named by the drop zone's own text.
        root.querySelectorAll("input[type=file]").forEach(function (input) {
            var zone = input.parentElement;
            var text = zone ? zone.textContent.trim() : "";
            if (text && input.getAttribute("aria-label") !== text) {
                input.setAttribute("aria-label", text);
            }
        });
    }

    function repairCalendars(root) {
        // The open calendar's year field has no name, its month buttons English ones.
        var own = lang();
        root.querySelectorAll(".dash-datepicker-controls").forEach(function (controls) {
            controls.querySelectorAll("input[type=number]").forEach(function (year) {
                setLabel(year, YEAR[own]);
            });
            var nav = controls.querySelectorAll("button.dash-datepicker-month-nav");
            if (nav.length === 2) {
                setLabel(nav[0], MONTH_NAV[own][0]);
                setLabel(nav[1], MONTH_NAV[own][1]);
            }
        });
    }

    // Dash's date pickers take their month and weekday names from window.dateFns.locale
    // (assets/date-fns-sv.min.js registers Swedish), picking the browser's language or else the
    // first one registered: registering Swedish only while the page is Swedish makes the names
    // follow the page's language switch instead of the browser's.
    var swedish = null;

    function repairDateLocale() {
        var fns = window.dateFns;
        if (!fns || !fns.locale) {
            return;
        }
        swedish = swedish || fns.locale.sv || null;
        var want = lang() === "sv" && swedish ? {sv: swedish} : {};
        if (Object.keys(fns.locale).join() !== Object.keys(want).join()) {
            fns.locale = want;
        }
    }

    function repair() {
        repairDateLocale();
        repairCalendars(document);
        repairLists(document);
        repairDatePickers(document);
        repairDropdowns(document);
        repairUploads(document);
    }

    // The language callback (dashboard/a11y.py) calls this right after it sets <html lang>, so
    // the date pickers it re-renders already find the new language's names.
    window.trygghetskartaA11y = {repair: repair};

    // The clear control is an <a> without href: Enter and Space must do what a click does.
    document.addEventListener("keydown", function (event) {
        var target = event.target;
        if ((event.key === "Enter" || event.key === " ") && target.matches && target.matches("a.dash-datepicker-clear")) {
            event.preventDefault();
            target.click();
        }
    });

    function insideChart(record) {
        var node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        return !!(node && node.closest(".js-plotly-plot, .maplibregl-map"));
    }

    function start() {
        repair();
        // Plotly and MapLibre redraw their own subtrees often: those changes hold no controls.
        new MutationObserver(function (records) {
            if (!records.every(insideChart)) {
                repair();
            }
        }).observe(document.documentElement, {
            subtree: true, childList: true, attributes: true,
            attributeFilter: ["role", "aria-selected", "aria-labelledby", "aria-label", "lang", "tabindex", "disabled"],
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();

// Keyboard on the worklist: j / ArrowDown next item, k / ArrowUp previous, c complete (opens the item's form
// at its outcome), o / Enter open the account. The pages work without it; htmx swaps the body on navigation,
// so the handlers are bound once, on the document.
(function () {
  "use strict";
  function items() { return Array.prototype.slice.call(document.querySelectorAll(".worklist .item")); }
  function current() { return document.querySelector(".worklist .item.selected") || null; }
  function select(item) {
    items().forEach(function (other) { other.classList.remove("selected"); other.removeAttribute("aria-current"); });
    if (!item) { return; }
    item.classList.add("selected");
    item.setAttribute("aria-current", "true");
    item.focus();
  }
  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  }
  // Alt+C, Alt+U, Alt+R (the admin pages' Create, Update, Remove): the element with that access key, in every
  // browser alike (each browser has its own modifier for access keys).
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.key.length !== 1) { return; }
    var target = document.querySelector('[accesskey="' + event.key.toLowerCase() + '"]');
    if (target) { event.preventDefault(); target.click(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var list = items();
    if (!list.length) { return; }
    var at = list.indexOf(current());
    if (event.key === "j" || event.key === "ArrowDown") {
      select(list[Math.min(at + 1, list.length - 1)]);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      select(list[Math.max(at - 1, 0)]);
    } else if (event.key === "c") {
      var item = current() || list[0];
      select(item);
      var details = item.querySelector("details.complete");
      if (details) { details.open = true; details.querySelector("select").focus(); }
    } else if (event.key === "o" || (event.key === "Enter" && event.target.classList && event.target.classList.contains("item"))) {
      var open = current() || list[0];
      window.location.assign(open.getAttribute("data-account"));
    } else {
      return;
    }
    event.preventDefault();
  });
  // A form posted twice (a double click, Enter pressed again) would do its write twice: while a post of a form
  // is on its way (htmx's request, or the browser's own submission for a few seconds), another submit of that
  // form is dropped. Captured on the document, before htmx sees the submit.
  var SUBMIT_GUARD_MS = 5000;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || (form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    var since = Number(form.getAttribute("data-posted-at") || 0);
    if (since && Date.now() - since < SUBMIT_GUARD_MS) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    form.setAttribute("data-posted-at", String(Date.now()));
    form.setAttribute("aria-busy", "true");
  }, true);
  function releaseForms() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-posted-at]"), function (form) {
      form.removeAttribute("data-posted-at");
      form.removeAttribute("aria-busy");
    });
  }
  // the answer came (a form shown again, a preview beside it): the form may be sent again
  document.addEventListener("htmx:afterRequest", releaseForms);
  window.addEventListener("pageshow", releaseForms);
  document.addEventListener("focusin", function (event) {
    var item = event.target.closest && event.target.closest(".worklist .item");
    if (item && !item.classList.contains("selected")) {
      items().forEach(function (other) { other.classList.remove("selected"); other.removeAttribute("aria-current"); });
      item.classList.add("selected");
      item.setAttribute("aria-current", "true");
    }
  });
})();

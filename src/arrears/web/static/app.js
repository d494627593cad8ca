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
  document.addEventListener("focusin", function (event) {
    var item = event.target.closest && event.target.closest(".worklist .item");
    if (item && !item.classList.contains("selected")) {
      items().forEach(function (other) { other.classList.remove("selected"); other.removeAttribute("aria-current"); });
      item.classList.add("selected");
      item.setAttribute("aria-current", "true");
    }
  });
})();

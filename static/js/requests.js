// Inbox: a "select all" checkbox for bulk actions (progressive; the page works without it).
(function () {
  "use strict";
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    var name = box.getAttribute("data-check-all");
    var form = box.closest("form");
    var label = box.closest("label");
    if (label) label.hidden = false;
    box.addEventListener("change", function () {
      form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) { b.checked = box.checked; });
    });
  });
})();

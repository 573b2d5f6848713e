// Links pages: live snippet preview and present mode. Progressive only: every page works without it.
(function () {
  "use strict";

  function revealCopyButtons(root) {
    root.querySelectorAll("[data-copy][hidden]").forEach(function (b) { b.hidden = false; });
  }

  // Live snippets: re-render the snippet block as the options change, without leaving the page.
  var form = document.querySelector("[data-live-form]");
  var target = document.querySelector("[data-live-target]");
  if (form && target && window.fetch && window.DOMParser) {
    var timer = null;
    var refresh = function () {
      var url = form.action.split("#")[0] + "?" + new URLSearchParams(new FormData(form)).toString();
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-target]");
          if (!fresh) return;
          target.innerHTML = fresh.innerHTML;
          revealCopyButtons(target);
          history.replaceState(null, "", url + "#snippets-title");
        })
        .catch(function () { /* the Update button still works */ });
    };
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); refresh(); });
  }

  // Present mode: F toggles full screen, D toggles dark/light.
  if (document.body.hasAttribute("data-present")) {
    var fsButton = document.querySelector("[data-present-fullscreen]");
    var themeButton = document.querySelector("[data-present-theme]");
    var toggleFullscreen = function () {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else if (document.documentElement.requestFullscreen) {
        document.documentElement.requestFullscreen().catch(function () {});
      }
    };
    var toggleTheme = function () {
      var dark = document.body.classList.toggle("present-dark");
      if (themeButton) {
        themeButton.setAttribute("aria-pressed", dark ? "true" : "false");
        themeButton.textContent = dark ? "Light" : "Dark";
      }
    };
    if (fsButton && document.fullscreenEnabled) {
      fsButton.hidden = false;
      fsButton.addEventListener("click", toggleFullscreen);
    }
    if (themeButton) {
      themeButton.hidden = false;
      themeButton.addEventListener("click", toggleTheme);
    }
    document.addEventListener("fullscreenchange", function () {
      if (fsButton) fsButton.textContent = document.fullscreenElement ? "Leave full screen" : "Full screen";
    });
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea") return;
      if (event.key === "f" || event.key === "F") { event.preventDefault(); toggleFullscreen(); }
      if (event.key === "d" || event.key === "D") { event.preventDefault(); toggleTheme(); }
    });
  }
})();

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

  // The owner's time zone: remembered in a cookie (pages show times in it) and sent with the link form, whose
  // custom date and time it reads. Only while the custom field is empty, so a typed time keeps its zone.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  // Owner pages only: present mode is public (a visitor's browser keeps no cookie from it).
  if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) && !document.body.hasAttribute("data-present")) {
    if (document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
    var linkForm = document.querySelector("[data-link-form]");
    if (linkForm) {
      var tzField = linkForm.querySelector("input[name=tz]");
      var custom = linkForm.querySelector("input[name=expires_custom]");
      if (tzField && custom && !custom.value && tzField.value !== zone) {
        tzField.value = zone;
        var help = document.getElementById("expires_custom-help");
        if (help) help.textContent = "In your time zone (" + zone + "). Used with \u201cCustom date and time\u201d.";
      }
    }
  }

  // Link form: typing a custom date or number picks the matching choice; a preset clears the typed number.
  var linkFormEl = document.querySelector("[data-link-form]");
  if (linkFormEl) {
    var pick = function (selectName, value) {
      var select = linkFormEl.querySelector("select[name=" + selectName + "]");
      if (select) select.value = value;
    };
    var customInput = linkFormEl.querySelector("input[name=expires_custom]");
    if (customInput) customInput.addEventListener("input", function () { if (customInput.value) pick("expires_preset", "custom"); });
    var numberInput = linkFormEl.querySelector("input[name=max_requests]");
    if (numberInput) numberInput.addEventListener("input", function () { if (numberInput.value) pick("max_requests_preset", "custom"); });
    var limitSelect = linkFormEl.querySelector("select[name=max_requests_preset]");
    if (limitSelect && numberInput) {
      limitSelect.addEventListener("change", function () { if (limitSelect.value !== "custom") numberInput.value = ""; });
    }
    var expirySelect = linkFormEl.querySelector("select[name=expires_preset]");
    if (expirySelect && customInput) {
      expirySelect.addEventListener("change", function () { if (expirySelect.value !== "custom") customInput.value = ""; });
    }
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

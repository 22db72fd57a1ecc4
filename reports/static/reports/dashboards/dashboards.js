/* Dashboards: behaviour that must not be inline (the production CSP). */
(function () {
  "use strict";
  var toggle = document.getElementById("fullscreen-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { document.documentElement.requestFullscreen(); }
    });
  }
  // Client-side callbacks (functions, never inline code, for the CSP). Dash may define
  // window.dash_clientside before or after this file runs: add to it, read it at call time.
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.dashboards = {
    // The health page's title shows its worst state.
    titleSet: function (title) {
      if (title) { document.title = title; }
      return "";
    },
    // The live ranking polls again `delay` ms after the previous answer arrived, never sooner.
    pollAgain: function (polled, delay) {
      window.setTimeout(function () {
        window.dash_clientside.set_props("poll", {data: polled});
      }, delay || 300);
      return window.dash_clientside.no_update;
    }
  };
})();

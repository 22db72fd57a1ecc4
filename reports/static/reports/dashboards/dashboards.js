/* Dashboards: behaviour that must not be inline (the production CSP). */
(function () {
  "use strict";
  var toggle = document.getElementById("fullscreen-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { document.documentElement.requestFullscreen(); }
    });
  }
  // Client-side callbacks (functions, never inline code): the health page's title shows its worst state.
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    dashboards: {
      titleSet: function (title) {
        if (title) { document.title = title; }
        return "";
      }
    }
  });
})();

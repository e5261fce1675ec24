// Loads the real widget with the options the settings page passes in the URL fragment
// (only display options travel there: language, position and colours; never a token).
(function () {
  "use strict";
  var params = new URLSearchParams(location.hash.slice(1));
  var script = document.createElement("script");
  script.src = "/widget-loader.js";
  ["lang", "position", "primary", "accent"].forEach(function (key) {
    var value = params.get(key);
    if (value && /^[#\w-]{1,32}$/.test(value)) script.setAttribute("data-" + key, value);
  });
  script.setAttribute("data-auto-open", "true");
  document.body.appendChild(script);
})();

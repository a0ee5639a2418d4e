// Live progress (imports, bulk jobs): every element with data-poll-url re-fetches itself (as an
// htmx request) until the server answers 286.
(function () {
  "use strict";
  function poll(el) {
    var url = el.getAttribute("data-poll-url");
    if (!url) return;
    var delay = parseFloat(el.getAttribute("data-poll-seconds") || "1") * 1000;
    setTimeout(function () {
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (html) { return [response.status, html]; });
        })
        .then(function (result) {
          var holder = document.createElement("div");
          holder.innerHTML = result[1];
          var fresh = holder.firstElementChild;
          if (fresh) { el.replaceWith(fresh); el = fresh; }
          if (result[0] === 286 || result[0] >= 400) return; // done, failed or gone: stop
          poll(el);
        })
        .catch(function () { setTimeout(function () { poll(el); }, delay * 4); });
    }, delay);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  });
})();

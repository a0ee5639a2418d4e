// Operator dashboard: small progressive enhancements (every page works without JavaScript).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var toggle = event.target.closest("input[data-select-all]");
    if (!toggle) return;
    var form = toggle.form;
    form.querySelectorAll("input[type=checkbox][name=ids]").forEach(function (box) {
      box.checked = toggle.checked;
    });
  });
})();

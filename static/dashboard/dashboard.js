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
  // The ticked rows travel in one "ids" field, space separated: Django refuses a request with
  // more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields before the app could explain its own limit.
  document.addEventListener("formdata", function (event) {
    if (!event.target.hasAttribute("data-ids-in-one-field")) return;
    var ids = event.formData.getAll("ids");
    event.formData.delete("ids");
    if (ids.length) event.formData.append("ids", ids.join(" "));
  }, true);
})();

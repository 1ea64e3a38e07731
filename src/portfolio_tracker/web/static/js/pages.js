// Enhancements of the asset, transaction and import pages. Every page works without them.
"use strict";

// Delete links with data-confirm open one shared <dialog> (modal: focus stays inside, Escape
// closes it) holding the POST form, instead of following the link to a confirmation page.
function initConfirmDialog() {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const form = dialog.querySelector("form");
  const title = document.getElementById("confirm-dialog-title");
  const text = document.getElementById("confirm-dialog-text");
  const cancel = dialog.querySelector("[data-confirm-no]");
  let opener = null;
  document.querySelectorAll("a[data-confirm]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      opener = link;
      form.setAttribute("action", link.dataset.confirmAction);
      title.textContent = link.dataset.confirmTitle || "";
      text.textContent = link.dataset.confirm;
      dialog.showModal();
      cancel.focus(); // the safe choice is the default one
    });
  });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (opener) opener.focus();
  });
}

// The asset form: unit and purity are for metals only; hidden and not sent for other types.
function initMetalFields() {
  const type = document.getElementById("type");
  const fields = document.querySelector("[data-metal-fields]");
  if (!type || !fields) return;
  const sync = () => {
    const metal = type.value === "metal";
    fields.hidden = !metal;
    fields.querySelectorAll("select, input").forEach((control) => {
      control.disabled = !metal;
    });
  };
  type.addEventListener("change", sync);
  sync();
}

document.addEventListener("DOMContentLoaded", () => {
  initConfirmDialog();
  initMetalFields();
});

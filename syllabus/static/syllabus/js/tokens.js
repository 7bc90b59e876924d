// API tokens page: a "Copy token" button for the token shown once. Without JavaScript the
// button stays hidden and the read-only field can be selected and copied by hand. The
// status texts come translated from data-text-* on the status element (English if missing).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    const field = document.getElementById(button.dataset.copyTarget);
    const status = document.querySelector("[data-copy-status]");
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
      let copied = false;
      if (navigator.clipboard && window.isSecureContext) {
        try {
          await navigator.clipboard.writeText(field.value);
          copied = true;
        } catch (error) {
          copied = false;
        }
      }
      if (!copied) {
        // Plain HTTP or no permission: select the text so Ctrl+C / Cmd+C copies it.
        field.focus();
        field.select();
      }
      if (status) {
        status.textContent = copied
          ? status.dataset.textCopied || "Token copied to the clipboard."
          : status.dataset.textSelected || "Token selected: press Ctrl+C (or Cmd+C) to copy it.";
      }
    });
  });
});

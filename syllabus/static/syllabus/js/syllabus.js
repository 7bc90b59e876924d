// Syllabus page behaviour. Loaded as a file (no inline scripts) so the CSP needs no
// 'unsafe-inline'. Progressive enhancement only: every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the main landmark after an htmx swap of the whole content, so screen
  // reader users hear the new page.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.id === "main") {
      event.detail.target.focus();
    }
  });
});

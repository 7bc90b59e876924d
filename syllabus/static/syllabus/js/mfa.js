// Security keys and passkeys: allauth's webauthn.js reports a failed or cancelled
// ceremony as an "allauth.error" event; show it in the page (role="alert") instead of
// only in the console, so everyone learns what happened and can try again. The texts come
// translated from the region's data-text-* attributes (English if missing).
document.addEventListener("allauth.error", (event) => {
  const region = document.querySelector("[data-webauthn-error]");
  if (!region) return;
  event.preventDefault();
  const error = event.detail && event.detail.exception;
  const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
  region.textContent = cancelled
    ? region.dataset.textCancelled || "The security key was not used (cancelled or timed out). Try again."
    : region.dataset.textFailed || "Your browser or key could not complete this. Try again, or use another method.";
  region.hidden = false;
});

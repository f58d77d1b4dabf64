// The print button: shown only where scripts run. The CSP allows this file, never inline
// code; without scripts the browser's own print command still uses the print stylesheet.
document.querySelectorAll("button[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// The copy-link button: shown only where scripts run and the clipboard is available (the
// CSP allows this file, never inline code). Copies the readable link, not the encoded one.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(button.dataset.copy).then(() => {
      button.textContent = button.dataset.done;
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  });
});

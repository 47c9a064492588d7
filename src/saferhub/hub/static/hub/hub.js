// Start the design system's components, and again after htmx swaps in new content
// (initAll skips components that are already running).
function startComponents() {
  if (window.DS) {
    window.DS.initAll();
  }
}

startComponents();
document.addEventListener("htmx:after:swap", startComponents);

// The partnership switcher works as a plain form; with JavaScript it switches on choice.
const switcher = document.getElementById("switch-partnership");
if (switcher) {
  switcher.addEventListener("change", () => switcher.form.submit());
}

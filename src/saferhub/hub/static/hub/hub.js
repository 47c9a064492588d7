// Start the design system's components, and again after htmx swaps in new content
// (initAll skips components that are already running).
function startComponents() {
  if (window.DS) {
    window.DS.initAll();
  }
}

startComponents();
document.addEventListener("htmx:after:swap", startComponents);

// Draws the Vega-Lite charts of the Analysis pages from the specifications the page holds
// as JSON. The Content Security Policy forbids eval, so Vega runs its expressions with its
// interpreter, and vega-embed adds no style element (defaultStyle: false).
function drawCharts() {
  for (const element of document.querySelectorAll("[data-vega-spec]")) {
    if (element.dataset.drawn) continue;
    const spec = JSON.parse(document.getElementById(element.dataset.vegaSpec).textContent);
    vegaEmbed(element, spec, {
      actions: false,
      renderer: "canvas",
      ast: true,
      expr: vega.expressionInterpreter,
      defaultStyle: false,
      tooltip: false,
    })
      .then(() => {
        element.dataset.drawn = "true";
      })
      .catch((error) => {
        element.textContent = "The chart could not be drawn: the table gives the same figures.";
        console.warn(error);
      });
  }
}

document.addEventListener("DOMContentLoaded", drawCharts);

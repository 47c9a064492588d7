// Draws the hotspot map: data-zone polygons from the GeoJSON the page holds, coloured by
// their Gi* class. No tile layer: the map needs nothing from outside the hub.
function drawHotspotMap() {
  const element = document.getElementById("hotspot-map");
  if (!element || !window.L || element.dataset.drawn) return;
  const zones = JSON.parse(document.getElementById(element.dataset.geojson).textContent);
  const legend = JSON.parse(document.getElementById(element.dataset.legend).textContent);
  const map = L.map(element, { attributionControl: false, zoomSnap: 0.25 });
  const layer = L.geoJSON(zones, {
    style: (feature) => ({
      color: "#555555",
      weight: 0.5,
      fillColor: legend.spot[feature.properties.spot] || "#eeeeee",
      fillOpacity: 0.85,
    }),
    onEachFeature: (feature, shape) => {
      const p = feature.properties;
      // Text, not HTML: the tooltip shows names as they are.
      const label = document.createElement("span");
      label.textContent = `${p.name} (${p.code}): ${p.spot}; ${p.count} incidents; ${p.cluster}`;
      shape.bindTooltip(label, { sticky: true });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds());
  element.dataset.drawn = "true";
}

document.addEventListener("DOMContentLoaded", drawHotspotMap);

// Draws the places listed in a [data-app-map] element's JSON on a Leaflet map.
// The page already lists every place as text; the map is an extra. Markers are vector
// circles, so they show even when the tile server cannot be reached.
const L = window.L

function drawMap (element) {
  const source = element.querySelector('[data-map-points]')
  const points = JSON.parse(source ? source.textContent : '[]')
  if (!L || points.length === 0) return
  element.hidden = false
  const map = L.map(element, { scrollWheelZoom: false })
  L.tileLayer(element.dataset.tileUrl, {
    maxZoom: 18,
    attribution: element.dataset.tileAttribution
  }).addTo(map)
  const bounds = []
  for (const point of points) {
    const marker = L.circleMarker([point.lat, point.lon], {
      radius: 9, weight: 3, color: '#0b0c0c', fillColor: '#1d70b8', fillOpacity: 0.9
    }).addTo(map)
    marker.bindTooltip(point.label)
    marker.bindPopup(point.label + (point.address ? '<br>' + point.address : ''))
    bounds.push([point.lat, point.lon])
  }
  if (bounds.length === 1) {
    map.setView(bounds[0], 14)
  } else {
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 })
  }
}

document.querySelectorAll('[data-app-map]').forEach(drawMap)

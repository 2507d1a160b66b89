// Numbered map markers shared by the search and matches maps. Each marker carries the
// number of its entry in the list on the page, so nothing is only on the map. Markers
// that would overlap are grouped (Leaflet.markercluster): overlapping targets are hard to
// hit and fail WCAG 2.2's target size; a group says how many services it holds and zooms
// in when selected, by mouse or keyboard.
(function () {
  'use strict'
  if (typeof window.L === 'undefined') return
  var L = window.L

  function numberedIcon (number) {
    var span = document.createElement('span')
    span.textContent = number
    return L.divIcon({
      className: 'app-map-marker',
      html: span.outerHTML,
      iconSize: [28, 28],
      iconAnchor: [14, 14]
    })
  }

  function groupIcon (cluster) {
    var count = cluster.getChildCount()
    return L.divIcon({
      className: 'app-map-group',
      html: '<span>' + count + '</span><span class="govuk-visually-hidden"> services here: select to zoom in</span>',
      iconSize: [36, 36],
      iconAnchor: [18, 18]
    })
  }

  // entries: [{lat, lon, number, title, popup (a DOM node or HTML string)}]. Returns the
  // layer, to be added once the map has its view and a maxZoom (grouping needs both).
  window.PathwaysMap = {
    numberedMarkers: function (entries) {
      var layer = typeof L.markerClusterGroup === 'function'
        ? L.markerClusterGroup({
          iconCreateFunction: groupIcon,
          showCoverageOnHover: false,
          maxClusterRadius: 40,
          spiderfyOnMaxZoom: true
        })
        : L.layerGroup()
      entries.forEach(function (entry) {
        layer.addLayer(
          L.marker([entry.lat, entry.lon], {
            icon: numberedIcon(entry.number),
            title: entry.title,
            alt: entry.title,
            keyboard: true
          }).bindPopup(entry.popup)
        )
      })
      return layer
    },
    positions: function (entries) {
      return entries.map(function (entry) { return [entry.lat, entry.lon] })
    }
  }
})()

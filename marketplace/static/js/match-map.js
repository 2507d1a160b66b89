// The matches map: the same services as the list, numbered as in the list, so nothing is
// only on the map. Reads its markers from the JSON block the page renders.
(function () {
  'use strict'
  var holder = document.getElementById('match-map')
  var source = document.getElementById('match-map-data')
  if (!holder || !source || typeof window.L === 'undefined') return
  var data = JSON.parse(source.textContent)
  var map = window.L.map(holder, { scrollWheelZoom: false, maxZoom: 18 })
  if (data.tiles) {
    window.L.tileLayer(data.tiles, { maxZoom: 18, attribution: data.attribution }).addTo(map)
  }
  var entries = data.markers.map(function (marker) {
    var link = document.createElement('a')
    link.href = '#' + marker.anchor
    link.className = 'govuk-link'
    link.textContent = marker.number + '. ' + marker.name
    return {
      lat: marker.lat,
      lon: marker.lon,
      number: marker.number,
      title: marker.number + '. ' + marker.name,
      popup: link
    }
  })
  var bounds = window.PathwaysMap.positions(entries)
  if (data.person) {
    var home = window.L.divIcon({ className: 'app-map-person', iconSize: [16, 16], iconAnchor: [8, 8] })
    window.L.marker([data.person.lat, data.person.lon], { icon: home, title: 'Their postcode', keyboard: false }).addTo(map)
    bounds.push([data.person.lat, data.person.lon])
  }
  map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 })
  window.PathwaysMap.numberedMarkers(entries).addTo(map)
})()

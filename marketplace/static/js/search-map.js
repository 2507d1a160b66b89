// The map of search results. Everything on it is also listed in text under each result;
// without JavaScript the map is simply not shown. Leaflet (vendored) is the global L.
(function () {
  'use strict'
  var container = document.getElementById('results-map')
  var source = document.getElementById('results-map-data')
  if (!container || !source || typeof L === 'undefined') return

  var markers = JSON.parse(source.textContent)
  var map = L.map(container, { scrollWheelZoom: false, keyboard: true, maxZoom: 18 })
  L.tileLayer(container.dataset.tiles, {
    maxZoom: 18,
    attribution: container.dataset.attribution
  }).addTo(map)

  function text (value) {
    var span = document.createElement('span')
    span.textContent = value
    return span.innerHTML
  }

  var entries = markers.map(function (marker) {
    return {
      lat: marker.lat,
      lon: marker.lon,
      number: marker.number,
      title: marker.number + '. ' + marker.service + ' – ' + marker.location,
      popup: '<strong>' + text(marker.number + '. ') +
        (marker.url ? '<a href="' + text(marker.url) + '">' + text(marker.service) + '</a>' : text(marker.service)) +
        '</strong><br>' + text(marker.organisation) + '<br>' + text(marker.location + ', ' + marker.postcode)
    }
  })
  var bounds = window.PathwaysMap.positions(entries)

  if (container.dataset.centreLat) {
    var centre = [parseFloat(container.dataset.centreLat), parseFloat(container.dataset.centreLon)]
    L.circleMarker(centre, { radius: 8, color: '#0b0c0c', weight: 3, fillColor: '#ffdd00', fillOpacity: 1 })
      .bindTooltip('Search centre: ' + container.dataset.centreLabel)
      .addTo(map)
    bounds.push(centre)
  }
  if (bounds.length === 1) {
    map.setView(bounds[0], 13)
  } else {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14 })
  }
  window.PathwaysMap.numberedMarkers(entries).addTo(map)
})()

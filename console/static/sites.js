// The sites page reloads itself to follow the crawl. Without JavaScript a
// <noscript> meta refresh does it; with it, this script does, but never
// while the reader is typing in one of the page's forms (a site's
// contact), so nothing typed is lost.
(function () {
  'use strict';
  var table = document.getElementById('sites');
  if (!table) {
    return;
  }
  var seconds = parseInt(table.getAttribute('data-refresh'), 10) || 30;
  var typed = false;
  document.addEventListener('input', function () { typed = true; });
  setInterval(function () {
    var a = document.activeElement;
    if (typed || (a && (a.tagName === 'INPUT' || a.tagName === 'TEXTAREA' || a.tagName === 'SELECT'))) {
      return;
    }
    window.location.reload();
  }, seconds * 1000);
})();

// Live preview of notice templates: while a template is edited, the
// server's preview (the Preview button's answer, rendered with example
// data and saved nowhere) is fetched after a pause in typing and its
// preview section put under the form. Without JavaScript the Preview
// button does the same with a page load.
(function () {
  'use strict';
  var forms = document.querySelectorAll('form[data-preview]');
  Array.prototype.forEach.call(forms, function (form) {
    var area = form.querySelector('textarea[name="text"]');
    var timer = null;
    var asked = 0;
    if (!area) {
      return;
    }
    area.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var n = ++asked;
        var body = new URLSearchParams(new FormData(form));
        fetch(form.getAttribute('data-preview'), {method: 'POST', body: body, credentials: 'same-origin'})
          .then(function (resp) { return resp.text(); })
          .then(function (html) {
            if (n !== asked) {
              return; // a later edit's preview is on its way
            }
            var doc = new DOMParser().parseFromString(html, 'text/html');
            var lang = form.getAttribute('data-lang');
            var fresh = doc.querySelector('form[data-lang="' + lang + '"] section.live-preview');
            var old = form.querySelector('section.live-preview');
            if (fresh && old) {
              old.replaceWith(document.importNode(fresh, true));
            } else if (fresh) {
              form.appendChild(document.importNode(fresh, true));
            }
          })
          .catch(function () { /* the Preview button still works */ });
      }, 600);
    });
  });
})();

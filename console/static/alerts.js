// hashwatch: keyboard and select-all for the alert queue and the review
// page. Progressive enhancement only: every action here is a link or a
// form that works without this script, which only presses it for you.
(function () {
  "use strict";
  var $ = function (sel) { return document.querySelector(sel); };

  // Queue: a select-all box for the rows of the page (the no-script
  // "select all" link reloads the page with every row ticked).
  var all = $("#select-all");
  if (all) {
    all.hidden = false;
    var link = $(".select-all-link");
    if (link) { link.hidden = true; }
    all.addEventListener("change", function () {
      document.querySelectorAll('#queue input[name="id"]').forEach(function (b) { b.checked = all.checked; });
    });
  }

  var busy = false;
  function submit(form) {
    if (!form || busy) { return; }
    busy = true;
    form.submit();
  }
  function follow(a) {
    if (!a || busy) { return; }
    busy = true;
    window.location.assign(a.href);
  }

  // Dismissal: d shows the short list of reasons, 1–9 picks one and
  // dismisses, t types another, Esc cancels. A dismissal is never a
  // single key press.
  var picking = false;
  function showPicks(on) {
    picking = on;
    var picks = $("#reason-picks"), keys = $("#reason-keys");
    if (picks) { picks.hidden = !on; }
    if (keys) { keys.hidden = !on; }
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) { return; }
    var t = e.target, typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
    if (e.key === "Escape") {
      if (picking) { showPicks(false); e.preventDefault(); }
      if (typing) { t.blur(); }
      return;
    }
    if (typing) { return; }
    if (picking) {
      var n = parseInt(e.key, 10);
      var items = document.querySelectorAll("#reason-picks li");
      if (n >= 1 && n <= items.length) {
        $("#reason").value = items[n - 1].getAttribute("data-reason");
        e.preventDefault();
        submit($("#dismiss-form"));
      } else if (e.key === "t") {
        e.preventDefault();
        showPicks(false);
        $("#reason").focus();
      }
      return;
    }
    switch (e.key) {
      case "j": follow($("#review-next") || $("#start-review")); break;
      case "k": follow($("#review-prev")); break;
      case "q": follow($("#review-queue")); break;
      // r takes the next viewing step: the blurred preview, then clearer,
      // then the picture (each one recorded).
      case "r": submit($("#reveal-form") || $("#keyframes-form") || $("#clearer-form") || $("#full-form")); break;
      case "c": submit($("#confirm-form")); break;
      case "d": if ($("#dismiss-form")) { showPicks(true); } break;
      // u undoes the decision just made (the success message's Undo).
      case "u": submit($("#undo-form")); break;
      default: return;
    }
    e.preventDefault();
  });
})();

// The rep workspace: live countdowns, the tab title, polling that never steals focus, and
// one-click copy of library answers. A static file: the CSP refuses inline scripts.
(function () {
  "use strict";

  var SOON_MS = 15 * 60 * 1000; // amber in the last 15 minutes before respond-by

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function describe(ms) {
    var total = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var s = total % 60;
    if (h >= 24) {
      var d = Math.floor(h / 24);
      return d + (d === 1 ? " day" : " days");
    }
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.dataset.deadline) - now;
      var overdue = left <= 0;
      el.classList.toggle("overdue", overdue);
      el.classList.toggle("soon", !overdue && left <= SOON_MS);
      var time = el.querySelector("time");
      var text = overdue ? "overdue by " + describe(left) : describe(left) + " left";
      if (time) {
        time.textContent = text;
      } else {
        el.textContent = text;
      }
      if (time && el.firstChild && el.firstChild.nodeType === Node.TEXT_NODE) {
        el.firstChild.textContent = "";
      }
    });
  }

  function updateTitle() {
    var state = document.querySelector(".queue-state");
    if (!state) return;
    var waiting = parseInt(state.dataset.waiting, 10) || 0;
    document.title = (waiting ? "(" + waiting + ") " : "") + state.dataset.title;
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    updateTitle();
    setInterval(tick, 1000);
  });

  // A refresh swaps the rows: skip it while the keyboard focus is inside them, so a rep
  // tabbing to a button is not thrown back to the top.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var live = document.getElementById("queue-live");
    if (live && event.target === live && live.contains(document.activeElement)) {
      event.preventDefault();
    }
  });
  // A poll after the session ended is answered with the login page: go there instead of
  // swapping a whole page into the list.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var url = event.detail.xhr && event.detail.xhr.responseURL;
    if (url && url.indexOf("/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.assign(url);
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    tick();
    updateTitle();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
      setTimeout(function () {
        button.textContent = "Copy";
      }, 2000);
    });
  });
})();

// The teacher's dashboard: fetch the students' table every 5 seconds and put it in place (no reload).
// Without JavaScript the page refreshes itself every 15 seconds instead (see the noscript in its head).
(function () {
  var live = document.getElementById("live");
  if (!live || !window.fetch) return;
  function refresh() {
    fetch(live.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () {})
      .then(function () { setTimeout(refresh, 5000); });
  }
  setTimeout(refresh, 5000);
})();

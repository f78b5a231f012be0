/* werkmatch: actions on a card stay in place. Without JavaScript every form posts and the page comes back at
   the same card (#kaart-…); with it, the form is posted in the background, the card is replaced by its new
   state from the page the server answers with, and keyboard focus stays on the card. */
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser || !window.URLSearchParams) { return; }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var card = form.closest ? form.closest("[data-card]") : null;
    if (!card || !card.id || form.method.toLowerCase() !== "post" || form.dataset.busy) { return; }
    event.preventDefault();
    form.dataset.busy = "1";
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    fetch(form.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var alert = doc.querySelector("main .utrecht-alert");
        var fresh = doc.getElementById(card.id);
        if (!fresh) {
          fresh = document.createElement("section");
          fresh.className = "wm-card";
          fresh.id = card.id;
          fresh.setAttribute("data-card", "");
        }
        fresh.setAttribute("tabindex", "-1");
        var note = document.createElement("p");
        note.className = "utrecht-paragraph wm-card-note";
        note.setAttribute("role", "status");
        note.textContent = alert ? alert.textContent.trim() : "Bijgewerkt";
        fresh.insertBefore(note, fresh.firstChild);
        card.replaceWith(fresh);
        fresh.focus();
      })
      .catch(function () {
        delete form.dataset.busy;
        form.submit(); /* the server's own page, error page included */
      });
  });
})();
/* On a phone the explanation of each card starts folded (a page of 20 cards stays a few screens long). */
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 40rem)").matches) { return; }
  function fold() {
    document.querySelectorAll("details.wm-explain[open]").forEach(function (d) { d.removeAttribute("open"); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fold); } else { fold(); }
})();

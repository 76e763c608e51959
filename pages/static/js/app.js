// The pages' own script: served by the platform, no inline code (the CSP forbids it).
// htmx sends the session's CSRF token with every request it makes (ADR 23).
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) {
    event.detail.headers["X-CSRF-Token"] = token.getAttribute("content");
  }
});

/* Makker's own script: start Det Fælles Designsystem's components (menu drawer, error summary,
   accordions ...) once the page has loaded. Everything else is htmx attributes in the pages. */
document.addEventListener("DOMContentLoaded", function () {
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
});

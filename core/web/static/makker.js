/* Makker's own script: start Det Fælles Designsystem's components (menu drawer, error summary,
   accordions ...) once the page has loaded. Everything else is htmx attributes in the pages,
   and small progressive enhancements that the page works without. */
/* The Content-Security-Policy allows no inline style or script (core/web/edge.py): htmx must
   not add its indicator <style> element (makker.css has those rules) or evaluate code. This
   runs before htmx reads its configuration (on DOMContentLoaded; the scripts are deferred and
   htmx comes first). */
if (window.htmx) {
  window.htmx.config.includeIndicatorStyles = false;
  window.htmx.config.allowEval = false;
  window.htmx.config.allowScriptTags = false;
}

document.addEventListener("DOMContentLoaded", function () {
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
  initCopyButtons(document);
  initSelectOnFocus(document);
});

/* DKFDS's error summary takes focus when the page starts (DKFDS.init above). A form whose
   address ends in a fragment (the public application form's #ansoeg, Mit forløb's
   #tilgaengelighed) loads the refused page at that fragment, and the browser's scrolling to it
   moves focus back to the page. Once the page has loaded, the summary gets focus again if
   nothing else has it, so a screen reader reads the errors first. */
window.addEventListener("load", function () {
  var summary = document.querySelector('[data-module="error-summary"]');
  var active = document.activeElement;
  if (summary && (!active || active === document.body)) {
    summary.focus();
  }
});

/* A button with data-copy="<id of a field>" copies the field's value to the clipboard and says
   so in the element data-copy-status names (an aria-live region): data-copied on success,
   data-copy-failed otherwise. The button is hidden in the markup and shown only here, so
   without this script the page offers just the field, which can be selected and copied. */
function initCopyButtons(root) {
  root.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!field || !status) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(field).then(
        function () { announce(status, button.getAttribute("data-copied")); },
        function () {
          field.focus();
          field.select();
          announce(status, button.getAttribute("data-copy-failed"));
        }
      );
    });
  });
}

function copyText(field) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(field.value);
  }
  return new Promise(function (resolve, reject) {
    field.select();
    try {
      (document.execCommand("copy") ? resolve : reject)();
    } catch (e) {
      reject(e);
    }
  });
}

/* Empty the live region first, so the same message is announced again on a second copy. */
function announce(status, message) {
  status.textContent = "";
  window.setTimeout(function () { status.textContent = message; }, 50);
}

/* A read-only field with data-select-on-focus selects its whole value when it gets focus. */
function initSelectOnFocus(root) {
  root.querySelectorAll("input[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
}

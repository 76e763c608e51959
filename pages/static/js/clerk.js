// The clerk's entry form: keyboard first, every cell saved through htmx (no inline code: CSP).
// Enter moves on like Tab; after a save the row's state is announced in the live region, and
// focus goes where the row needs it (the value refused, the comment box of a flagged value).
(function () {
  "use strict";

  function cells() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-entry-cell]:not([readonly])"));
  }

  function nextCell(from) {
    var all = cells();
    var at = all.indexOf(from);
    return at >= 0 && at + 1 < all.length ? all[at + 1] : null;
  }

  function rowInput(row) {
    return row ? row.querySelector("input[data-entry-cell]") : null;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(target instanceof HTMLInputElement)) {
      return;
    }
    if (target.hasAttribute("data-entry-cell")) {
      event.preventDefault();
      var next = nextCell(target);
      if (next) {
        next.focus();
        next.select();
      } else {
        target.blur(); // the last cell: leaving it saves it
      }
    } else if (target.hasAttribute("data-entry-submit")) {
      event.preventDefault();
      var button = target.parentNode.querySelector("button");
      if (button) {
        button.click();
      }
    }
  });

  // A refused value (422) or a correction without its reason (409) is answered with its row:
  // swap it in like a success, so the message shows beside the cell.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if ((status === 409 || status === 413 || status === 422) && source && source.closest(".entry, .upload")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var row = document.querySelector("tr[data-announce]");
    if (!row) {
      return;
    }
    var status = document.getElementById("entry-status");
    if (status) {
      status.textContent = row.getAttribute("data-announce");
    }
    row.removeAttribute("data-announce");
    var focus = row.getAttribute("data-focus");
    row.removeAttribute("data-focus");
    var lost = !document.activeElement || document.activeElement === document.body;
    if (focus === "value") {
      var input = rowInput(row);
      input.focus();
      input.select();
    } else if (focus) {
      var box = row.querySelector("input[name='" + focus + "']");
      if (box) {
        box.focus();
      }
    } else if (lost) {
      // The row that held the focus (its confirm button) was replaced: carry on to the next cell.
      var next = nextCell(rowInput(row));
      (next || rowInput(row)).focus();
    }
  });
})();

// The review queue: each decision answers its row alone (htmx swaps the <tr>).
// A refused decision (422, 409) answers the row with its message beside the field; htmx 2 does
// not swap 4xx answers by default, so this lets a queue row's answer in.
var reviewFocus = null;
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var target = event.detail.target;
  if (!target || !target.classList.contains("queue__row")) {
    return;
  }
  if (status === 409 || status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
  reviewFocus = target.id;
});
// Then the keyboard focus goes to what the new row says: the field refused, or the notice.
document.addEventListener("htmx:afterSettle", function () {
  var row = reviewFocus ? document.getElementById(reviewFocus) : null;
  reviewFocus = null;
  if (!row) {
    return;
  }
  var focus = row.querySelector("[aria-invalid='true']") || row.querySelector(".row-notice");
  if (focus) {
    if (focus.tagName === "P") {
      focus.setAttribute("tabindex", "-1");
    }
    focus.focus();
  }
});

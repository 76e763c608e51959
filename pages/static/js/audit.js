// The centre's file picker: the browser's own button and "no file chosen" words follow the
// browser's language, so the page shows its own Chinese button and the chosen file's name.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches(".file-picker__input")) {
    return;
  }
  var shown = document.getElementById(input.id + "-name");
  if (shown) {
    shown.textContent = input.files && input.files.length ? input.files[0].name : "未选择文件";
  }
});

// The leader's pages: draws each [data-chart] with ECharts from the JSON option the server
// built (no chart code in the page: the CSP forbids inline script), labels the replay
// slider's steps, and leaves empty filters out of a form's URL so a shared link stays short.
(function () {
  "use strict";
  var charts = [];

  function draw(root) {
    if (typeof echarts === "undefined") {
      return;
    }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var rows = Number(element.getAttribute("data-rows") || 0);
      if (rows > 0) {
        element.style.height = Math.max(260, rows * 30 + 110) + "px";
      }
      var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: "svg" });
      chart.setOption(JSON.parse(element.getAttribute("data-chart")), true);
      charts.push(chart);
    });
  }

  function label(slider) {
    var labels = JSON.parse(slider.getAttribute("data-labels") || "[]");
    var text = labels[Number(slider.value)] || "";
    slider.setAttribute("aria-valuetext", text);
    var output = document.getElementById("replay-label");
    if (output) {
      output.textContent = text;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    draw(event.target);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-labels]")) {
      label(event.target);
    }
  });
  // 自动播放: one step forward every 1.5 s (each step an htmx read), until the end or pressed again.
  var playing = null;
  function stop(button) {
    window.clearInterval(playing);
    playing = null;
    button.setAttribute("aria-pressed", "false");
    button.textContent = "自动播放";
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-replay-play]");
    if (!button) {
      return;
    }
    var slider = document.getElementById(button.getAttribute("aria-controls"));
    if (playing !== null) {
      stop(button);
      return;
    }
    if (Number(slider.value) >= Number(slider.max)) {
      slider.value = slider.min;
      label(slider);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
    }
    button.setAttribute("aria-pressed", "true");
    button.textContent = "暂停";
    playing = window.setInterval(function () {
      if (Number(slider.value) >= Number(slider.max)) {
        stop(button);
        return;
      }
      slider.value = Number(slider.value) + 1;
      label(slider);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
    }, 1500);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-drop-empty")) {
      return;
    }
    form.querySelectorAll("input[name], select[name]").forEach(function (field) {
      if (field.value === "") {
        field.disabled = true; // not sent: the URL keeps only the filters chosen
      }
    });
    window.setTimeout(function () {
      form.querySelectorAll("[name]").forEach(function (field) {
        field.disabled = false;
      });
    }, 0);
  });
})();

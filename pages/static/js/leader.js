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
  // The daily replay has hundreds of steps: PageUp / PageDown jump to the same day of the month
  // before / after (the arrow keys still move one day).
  var DAY = /^(\d+)年(\d+)月(\d+)日$/;
  document.addEventListener("keydown", function (event) {
    var slider = event.target;
    if (!(slider.matches && slider.matches("input[data-labels]")) ||
        (event.key !== "PageUp" && event.key !== "PageDown")) {
      return;
    }
    var labels = JSON.parse(slider.getAttribute("data-labels") || "[]");
    var now = DAY.exec(labels[Number(slider.value)] || "");
    if (!now) {
      return; // month steps: the browser's own PageUp / PageDown
    }
    event.preventDefault();
    var year = Number(now[1]), month = Number(now[2]) - 1, day = Number(now[3]);
    var target = month + (event.key === "PageDown" ? 1 : -1);
    var last = new Date(Date.UTC(year, target + 1, 0)).getUTCDate();
    var days = (Date.UTC(year, target, Math.min(day, last)) - Date.UTC(year, month, day)) / 86400000;
    var next = Math.max(Number(slider.min), Math.min(Number(slider.max), Number(slider.value) + days));
    if (next !== Number(slider.value)) {
      slider.value = next;
      label(slider);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
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

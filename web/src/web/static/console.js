// Progressive enhancement only: every page works without this file.
// - [data-confirm] forms ask in a dialog before they post (the server asks on a page when there is no script);
// - .countdown[data-deadline] counts down to the close of a bidding window;
// - [data-refresh] reloads the page every N seconds while a status is expected to change;
// - [data-focus] takes the focus (the error summary after a refused post).
(function () {
  "use strict";

  function confirmDialog(form) {
    var dialog = document.createElement("dialog");
    dialog.setAttribute("aria-labelledby", "confirm-title");
    var title = document.createElement("h2");
    title.id = "confirm-title";
    title.textContent = form.getAttribute("data-confirm");
    var actions = document.createElement("div");
    actions.className = "actions";
    var ok = document.createElement("button");
    ok.type = "button"; ok.className = "button primary"; ok.textContent = "确认";
    var cancel = document.createElement("button");
    cancel.type = "button"; cancel.className = "button"; cancel.textContent = "取消";
    actions.appendChild(cancel); actions.appendChild(ok);
    dialog.appendChild(title); dialog.appendChild(actions);
    document.body.appendChild(dialog);
    cancel.addEventListener("click", function () { dialog.close(); dialog.remove(); });
    ok.addEventListener("click", function () {
      var flag = document.createElement("input");
      flag.type = "hidden"; flag.name = "confirmed"; flag.value = "yes";
      form.appendChild(flag);
      dialog.close(); dialog.remove();
      form.submit();
    });
    dialog.showModal();
    ok.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !form.querySelector("input[name=confirmed]")) {
      event.preventDefault();
      confirmDialog(form);
    }
  });

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var nodes = document.querySelectorAll(".countdown[data-deadline]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var left = Math.floor((Date.parse(node.getAttribute("data-deadline")) - Date.now()) / 1000);
      var label = node.getAttribute("data-label") || "剩余";
      if (isNaN(left)) { continue; }
      if (left <= 0) {
        node.textContent = label + "：已结束";
        if (!node.hasAttribute("data-ended")) {
          node.setAttribute("data-ended", "");
          setTimeout(function () { window.location.reload(); }, 1500);
        }
        continue;
      }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      node.textContent = label + "：" + (d ? d + " 天 " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector(".countdown[data-deadline]")) { tick(); setInterval(tick, 1000); }
    var refresh = document.querySelector("[data-refresh]");
    if (refresh) {
      var seconds = parseInt(refresh.getAttribute("data-refresh"), 10) || 3;
      setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
    var focus = document.querySelector("[data-focus]");
    if (focus) { focus.focus(); }
  });
})();

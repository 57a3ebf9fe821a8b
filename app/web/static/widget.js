(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__sourcedWidget) return;
  window.__sourcedWidget = true;
  var base = new URL(script.src, location.href);
  var app = base.origin + base.pathname.replace(/widget\.js$/, "");
  var d = script.dataset;
  var side = d.position === "left" ? "left" : "right";
  var title = (d.title || "Ask the archive").slice(0, 80);
  var label = (d.label || "Ask").slice(0, 40);
  var accent = /^#[0-9a-fA-F]{3,8}$/.test(d.color || "") ? d.color : "#2563eb";
  var z = "2147483000";

  function css(el, styles) { for (var k in styles) el.style.setProperty(k, styles[k]); return el; }

  var button = css(document.createElement("button"), {
    position: "fixed", bottom: "20px", [side]: "20px", "z-index": z, height: "52px", "min-width": "52px",
    padding: "0 20px 0 16px", "border-radius": "26px", border: "none", background: accent, color: "#fff",
    font: "600 15px/1 system-ui, -apple-system, 'Segoe UI', sans-serif", cursor: "pointer",
    "box-shadow": "0 6px 20px rgba(0,0,0,.22)", display: "flex", "align-items": "center", gap: "8px"
  });
  button.type = "button";
  button.setAttribute("data-sourced-launcher", "");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-label", title);
  var icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "\u275D";
  css(icon, {"font-size": "22px", "line-height": "1"});
  var text = document.createElement("span");
  text.textContent = label;
  button.appendChild(icon);
  button.appendChild(text);

  var panel = css(document.createElement("div"), {
    position: "fixed", bottom: "84px", [side]: "20px", "z-index": z, width: "min(420px, calc(100vw - 24px))",
    height: "min(660px, calc(100vh - 110px))", background: "#fff", "border-radius": "14px", overflow: "hidden",
    "box-shadow": "0 12px 40px rgba(0,0,0,.28)", display: "none", "flex-direction": "column"
  });
  panel.setAttribute("data-sourced-panel", "");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  var head = css(document.createElement("div"), {
    display: "flex", "align-items": "center", "justify-content": "space-between", padding: "10px 14px",
    background: accent, color: "#fff", font: "600 15px/1.2 system-ui, -apple-system, 'Segoe UI', sans-serif"
  });
  var name = document.createElement("span");
  name.textContent = title;
  var close = css(document.createElement("button"), {
    background: "transparent", border: "none", color: "#fff", "font-size": "22px", cursor: "pointer", padding: "0 4px"
  });
  close.type = "button";
  close.setAttribute("aria-label", "Close");
  close.textContent = "\u00D7";
  head.appendChild(name);
  head.appendChild(close);
  panel.appendChild(head);
  var frame = null;

  function small() { return window.matchMedia("(max-width: 520px)").matches; }
  function open() {
    if (!frame) {
      frame = css(document.createElement("iframe"), {border: "0", width: "100%", flex: "1 1 auto"});
      frame.title = title;
      frame.src = app + "?embed=1";
      frame.setAttribute("referrerpolicy", "no-referrer");
      panel.appendChild(frame);
    }
    if (small()) css(panel, {width: "100vw", height: "100%", bottom: "0", [side]: "0", "border-radius": "0"});
    panel.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
    if (small()) button.style.display = "none";
  }
  function hide() {
    panel.style.display = "none";
    button.style.display = "flex";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
  button.addEventListener("click", function () { panel.style.display === "flex" ? hide() : open(); });
  close.addEventListener("click", hide);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && panel.style.display === "flex") hide(); });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
    if (d.open === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();

// The archive page: every call goes to this server's API with the admin token from this tab's sessionStorage.
// Text from articles and from the server is always set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const KEY = "sourced-admin-token";
  const $ = (id) => document.getElementById(id);
  let docs = [];
  let replacing = null;

  function token() { return sessionStorage.getItem(KEY) || ""; }
  function say(text) { $("message").textContent = text || ""; }

  async function api(method, path, body) {
    const headers = {Authorization: "Bearer " + token()};
    if (body && !(body instanceof FormData)) headers["content-type"] = "application/json";
    const r = await fetch(new URL(path, document.baseURI), {
      method, headers, body: body && !(body instanceof FormData) ? JSON.stringify(body) : body,
    });
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.status === 401 || r.status === 403) {
      signOut();
      throw new Error((data && data.error) || "Not allowed.");
    }
    return {ok: r.ok, status: r.status, data: data || {}};
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  function button(label, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.className = cls;
    b.addEventListener("click", onClick);
    return b;
  }

  function render() {
    const q = $("filter").value.trim().toLowerCase();
    const body = $("docs").querySelector("tbody");
    body.replaceChildren();
    const shown = docs.filter((d) => !q || (d.title + " " + d.source).toLowerCase().includes(q));
    $("count").textContent = `(${shown.length} of ${docs.length})`;
    for (const d of shown) {
      const tr = document.createElement("tr");
      tr.dataset.source = d.source;
      cell(tr, d.title);
      cell(tr, d.source).className = "file";
      cell(tr, d.publisher);
      cell(tr, d.published);
      cell(tr, d.passages);
      cell(tr, d.added ? d.added.slice(0, 16).replace("T", " ") : "");
      const act = cell(tr, "");
      if (d.managed) {
        act.append(
          button("Replace", "secondary", () => { replacing = d; $("replace-file").click(); }),
          button("Delete", "danger", () => remove(d)),
        );
      } else {
        act.textContent = "server folder";
        act.className = "muted";
      }
      body.appendChild(tr);
    }
  }

  async function load() {
    const r = await api("GET", "api/documents");
    if (!r.ok) throw new Error(r.data.error || "The archive could not be listed.");
    docs = r.data.documents || [];
    render();
  }

  function result(name, text, ok) {
    const li = document.createElement("li");
    li.className = ok ? "ok" : "refused";
    li.textContent = `${name}: ${text}`;
    $("results").appendChild(li);
  }

  // One request per file: each gets its own result, a refused file never holds the others back, and the
  // bar moves as files finish.
  async function uploadAll(files, nameFor) {
    if (!files.length) return;
    $("results").replaceChildren();
    $("progress").hidden = false;
    const bar = $("progress-bar");
    bar.max = files.length;
    bar.value = 0;
    let done = 0;
    for (const f of files) {
      const name = nameFor ? nameFor(f) : f.name;
      $("progress-text").textContent = `Uploading ${done + 1} of ${files.length}: ${name}`;
      const form = new FormData();
      form.append("files", f, name);
      try {
        const r = await api("POST", "api/documents", form);
        for (const d of r.data.documents || []) result(d.name, `${d.status} as ${d.source}`, true);
        for (const x of r.data.refused || []) result(x.name || name, `refused: ${x.reason}`, false);
        if (!r.ok && !(r.data.refused || []).length) result(name, r.data.error || "failed", false);
      } catch (e) {
        result(name, e.message, false);
        if (!token()) break;
      }
      bar.value = ++done;
    }
    $("progress-text").textContent = `Done: ${done} of ${files.length} files.`;
    await load().catch((e) => say(e.message));
  }

  async function remove(d) {
    if (!window.confirm(`Delete "${d.title}" (${d.source}) from the archive?`)) return;
    const r = await api("DELETE", "api/documents/" + d.source.split("/").map(encodeURIComponent).join("/"));
    say(r.ok ? `Deleted ${d.source}.` : r.data.error || "Delete failed.");
    await load().catch((e) => say(e.message));
  }

  async function feedback() {
    const r = await api("GET", "api/feedback?limit=50");
    if (!r.ok) { say(r.data.error || "Feedback could not be loaded."); return; }
    const body = $("feedback").querySelector("tbody");
    body.replaceChildren();
    for (const f of r.data.items || []) {
      const tr = document.createElement("tr");
      cell(tr, f.created.slice(0, 16).replace("T", " "));
      cell(tr, f.rating === "up" ? "helpful" : "not helpful");
      cell(tr, f.question);
      cell(tr, f.comment);
      body.appendChild(tr);
    }
    $("feedback").hidden = false;
    say(`${r.data.total} feedback items in all.`);
  }

  function signOut() {
    sessionStorage.removeItem(KEY);
    $("work").hidden = true;
    $("signin").hidden = false;
  }

  async function signIn() {
    try {
      await load();
      $("signin").hidden = true;
      $("work").hidden = false;
      say("");
    } catch (e) {
      say(e.message);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      sessionStorage.setItem(KEY, $("token").value.trim());
      $("token").value = "";
      signIn();
    });
    $("signout").addEventListener("click", signOut);
    $("reload").addEventListener("click", () => load().catch((e) => say(e.message)));
    $("filter").addEventListener("input", render);
    $("files").addEventListener("change", (e) => { uploadAll(Array.from(e.target.files)); e.target.value = ""; });
    $("replace-file").addEventListener("change", (e) => {
      const f = e.target.files[0];
      const d = replacing;
      e.target.value = "";
      if (f && d) uploadAll([f], () => d.file);
    });
    const drop = $("drop");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      uploadAll(Array.from(e.dataTransfer.files));
    });
    $("load-feedback").addEventListener("click", feedback);
    if (token()) signIn();
  });
})();

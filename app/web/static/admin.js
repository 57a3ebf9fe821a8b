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

  // Feedback: "not helpful" answers (or all) newest first, each one click from its explanation; counts per day.
  async function feedback() {
    const all = $("feedback-all").checked;
    const r = await api("GET", "api/feedback?limit=50" + (all ? "" : "&rating=down"));
    if (!r.ok) { say(r.data.error || "Feedback could not be loaded."); return; }
    const days = $("feedback-days").querySelector("tbody");
    days.replaceChildren();
    for (const d of r.data.days || []) {
      const tr = document.createElement("tr");
      cell(tr, d.day);
      cell(tr, d.up);
      cell(tr, d.down);
      days.appendChild(tr);
    }
    $("feedback-days").hidden = !(r.data.days || []).length;
    const body = $("feedback").querySelector("tbody");
    body.replaceChildren();
    for (const f of r.data.items || []) {
      const tr = document.createElement("tr");
      tr.dataset.id = f.id;
      cell(tr, f.created.slice(0, 16).replace("T", " "));
      cell(tr, f.rating === "up" ? "helpful" : "not helpful");
      cell(tr, f.question);
      cell(tr, short(f.answer, 140)).className = "muted";
      cell(tr, f.comment);
      cell(tr, "").append(button("Why?", "secondary why", () => {
        $("why-title").scrollIntoView({behavior: "smooth"});
        explainQuestion(f.question);
      }));
      body.appendChild(tr);
    }
    $("feedback").hidden = false;
    $("load-feedback").textContent = `Reload (${r.data.total} ${all ? "ratings" : "not helpful"})`;
  }

  function short(text, n) {
    const t = (text || "").replace(/\s+/g, " ").trim();
    return t.length <= n ? t : t.slice(0, n - 1) + "…";
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }

  function tableRows(id, head, rows) {
    const t = $(id);
    const thead = t.querySelector("thead");
    if (thead && head) {
      const tr = document.createElement("tr");
      for (const h of head) tr.appendChild(el("th", "", h));
      thead.replaceChildren(tr);
    }
    const body = t.querySelector("tbody");
    body.replaceChildren();
    for (const r of rows) {
      const tr = document.createElement("tr");
      for (const c of r) {
        const td = document.createElement("td");
        if (c instanceof Node) td.appendChild(c); else td.textContent = c == null ? "" : String(c);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  // "Why this answer?": POST /api/ask with "explain": true (the admin token allows it) and the trace, readable.
  async function explainQuestion(q) {
    q = (q || "").trim();
    if (!q) return;
    $("why-question").value = q;
    $("why-run").disabled = true;
    $("why-run").textContent = "Explaining…";
    try {
      const r = await api("POST", "api/ask", {question: q, history: [], explain: true});
      if (!r.ok || !r.data.explain) { say(r.data.error || "The question could not be explained."); return; }
      renderWhy(r.data);
    } catch (e) {
      say(e.message);
    } finally {
      $("why-run").disabled = false;
      $("why-run").textContent = "Explain";
    }
  }

  function renderWhy(d) {
    const e = d.explain;
    const v = $("why-verdict");
    v.className = "verdict " + (d.refused ? "refused" : "answered");
    v.querySelector("b").textContent = "Decided by: " + e.verdict.stage;
    v.querySelector("span").textContent = e.verdict.detail;
    const a = $("why-answer");
    a.className = "why-answer" + (d.refused ? " refused" : "");
    a.textContent = d.answer;
    const q = e.question || {};
    const t = q.time;
    const rows = [["Asked", q.asked]];
    if (q.follow_up) rows.push(["Resolved as", q.standalone]);
    rows.push(["Kind", `${q.kind} (asks for: ${q.answer_type})`], ["Key terms", (q.terms || []).join(", ")]);
    if ((q.names || []).length) rows.push(["Names", q.names.join(", ")]);
    if ((q.numbers || []).length) rows.push(["Numbers", q.numbers.join(", ")]);
    if (t) rows.push(["Time", t.present ? `“${t.phrase}” (now)` : `“${t.phrase}” (${t.from || "…"} to ${t.to || "…"})`]);
    const kv = $("why-question-table").querySelector("tbody");
    kv.replaceChildren();
    for (const [k, val] of rows) {
      const tr = document.createElement("tr");
      tr.appendChild(el("th", "", k));
      tr.appendChild(el("td", "", val));
      kv.appendChild(tr);
    }
    renderReader(e.reader);
    const c = e.claims;
    $("why-claims-box").hidden = !(c && c.claims);
    if (c && c.claims) {
      tableRows("why-claims", null, c.claims.map((x) => [
        x.text + (x.citations.length ? " " + x.citations.map((i) => `[${i}]`).join("") : ""),
        (x.kept ? "kept: " : "removed: ") + x.why, x.closest,
      ]));
    }
    const ps = e.retrieval.passages || [];
    $("why-passage-count").textContent = `(${ps.length} of ${e.retrieval.candidates} candidates, by fused score)`;
    const list = $("why-passages");
    list.replaceChildren();
    for (const p of ps) {
      const li = el("li", p.read ? "" : "unread");
      li.dataset.source = p.source;
      const meta = el("div", "meta");
      meta.append(el("span", "", `#${p.n} `), el("span", "file", p.source), el("span", "", ` chars ${p.start}–${p.end}`));
      const ranks = [["dense", p.dense_rank], ["keyword", p.keyword_rank], ["in time", p.time_rank]]
        .filter(([, r]) => r != null).map(([n, r]) => `${n} #${r}`).join(" · ");
      meta.append(el("span", "", ` · ${ranks || "no rank"} · fused ${p.fused.toFixed(4)}`));
      meta.append(el("span", "tag", p.read ? "read" : "not read"));
      if (p.time_filter === "removed") meta.append(el("span", "tag off", "removed by the time filter"));
      if (p.outside_window) meta.append(el("span", "tag off", "dated outside the window"));
      const text = el("div", "text");
      for (const piece of p.pieces) {
        text.appendChild(piece.mark ? el("mark", piece.mark, piece.text) : document.createTextNode(piece.text));
      }
      li.append(meta, text);
      list.appendChild(li);
    }
    $("why-out").hidden = false;
  }

  function renderReader(r) {
    const head = $("why-reader-head");
    if (!r) {
      head.textContent = "No reader ran for this question.";
      tableRows("why-reader", [], []);
      return;
    }
    if (r.engine === "mpnet") {
      head.textContent = `MPNet reader: answers at p ≥ ${r.bar}, the span alone at p ≥ ${r.alone_bar}; ` +
        `vetoes on: ${r.vetoes_on.join(", ") || "none"}. Decision: ${r.reason}. It read: “${r.question}”`;
      tableRows("why-reader", ["p", "Span", "In the sentence", "Vetoes", "Article"], r.reads.map((x) => [
        x.prob.toFixed(3) + (x.best ? " ◀" : ""), x.span, x.sentence,
        x.vetoes.map((v) => v + (x.vetoes_active.includes(v) ? " (on)" : " (off)")).join(", "), x.source,
      ]));
      return;
    }
    const chosen = (r.choices || []).map((c) => `p=${c.prob.toFixed(2)}${c.span ? ` “${c.span}”` : ""}`).join("; ");
    head.textContent = `${r.engine}: the best-scored sentences. ` + (chosen ? `Chosen: ${chosen}.` : "None chosen.") +
      (r.veto ? ` Refused by the ${r.veto} check.` : "");
    tableRows("why-reader", ["Score", "Sentence", "Rules", "Article"], r.sentences.map((x) => [
      x.score.toFixed(3), x.sentence, x.answerable ? "answerable" : "", x.source,
    ]));
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
      feedback().catch((e) => say(e.message));
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
    $("feedback-all").addEventListener("change", feedback);
    $("why-form").addEventListener("submit", (e) => { e.preventDefault(); explainQuestion($("why-question").value); });
    if (token()) signIn();
  });
})();

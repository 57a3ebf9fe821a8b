// The chat board's own script (Gradio runs it with `element` = the board). Citation chips open their source;
// each answer can be rated (with an optional comment) and copied; "Export chat" downloads the conversation
// as Markdown. Everything shown is set as text, never as HTML.
const sent = (window.__sxFeedback = window.__sxFeedback || {});  // answer_id -> {rating, comment}

function answerOf(bot) {
  try { return JSON.parse(bot.dataset.answer || 'null'); } catch (e) { return null; }
}

function sourcesText(a, md) {
  return (a.citations || []).map((c) => {
    const meta = [c.publisher, c.published].filter(Boolean).join(', ');
    const head = md
      ? `${c.id}. **${c.title || c.source}**${meta ? ' — ' + meta : ''} (\`${c.source}\`, characters ${c.start}–${c.end})`
      : `[${c.id}] ${c.title || c.source}${meta ? ' — ' + meta : ''} (${c.source})`;
    const quote = String(c.quote || '').split('\n').map((l) => (md ? '   > ' : '    ') + l).join('\n');
    return head + '\n' + quote;
  }).join('\n');
}

function answerText(a) {
  const src = sourcesText(a, false);
  return a.answer + (src ? '\n\nSources:\n' + src : '');
}

window.sxExportChat = function () {
  const bots = Array.from(document.querySelectorAll('#sx-board .sx-bot[data-answer]'));
  const when = new Date();
  const parts = [`# Sourced chat, exported ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`];
  bots.forEach((bot, i) => {
    const a = answerOf(bot);
    if (!a) return;
    const src = sourcesText(a, true);
    parts.push(`## ${i + 1}. ${a.question}\n\n${a.answer}` + (src ? `\n\nSources:\n\n${src}` : ''));
  });
  const blob = new Blob([parts.join('\n\n') + '\n'], {type: 'text/markdown;charset=utf-8'});
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `sourced-chat-${when.toISOString().slice(0, 10)}.md`;
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
};

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* fall through */ }
  }
  const area = document.createElement('textarea');  // plain http on an intranet: the old way
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
  area.remove();
  return ok;
}

async function sendFeedback(a, rating, comment) {
  const body = {
    rating, comment: comment || '', answer_id: a.answer_id, question: a.question, answer: a.answer,
    citations: a.citations || [], mode: a.mode,
  };
  const r = await fetch(new URL('api/feedback', document.baseURI), {
    method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body),
  });
  if (!r.ok) {
    let msg = 'Feedback could not be sent.';
    try { msg = (await r.json()).error || msg; } catch (e) { /* keep the default */ }
    throw new Error(msg);
  }
}

function status(bot, text) {
  const s = bot.querySelector('.sx-act-status');
  if (s) s.textContent = text;
}

function showState(bot) {
  const a = answerOf(bot);
  const state = a && sent[a.answer_id];
  bot.querySelectorAll('.sx-act[data-act="up"], .sx-act[data-act="down"]').forEach((b) => {
    b.setAttribute('aria-pressed', String(!!state && state.rating === b.dataset.act));
  });
  if (state && state.comment !== undefined) status(bot, 'Thanks for the feedback.');
}

function commentForm(bot, a, rating) {
  let form = bot.querySelector('.sx-comment');
  if (!form) {
    form = document.createElement('form');
    form.className = 'sx-comment';
    const area = document.createElement('textarea');
    area.maxLength = 2000;
    area.rows = 2;
    area.placeholder = 'What was right or wrong? (optional)';
    area.setAttribute('aria-label', 'Comment on this answer');
    const send = document.createElement('button');
    send.type = 'submit';
    send.textContent = 'Send comment';
    form.append(area, send);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const state = sent[a.answer_id] || {rating};
      try {
        await sendFeedback(a, state.rating, area.value);
        sent[a.answer_id] = {rating: state.rating, comment: area.value};
        form.remove();
        status(bot, 'Thanks for the feedback.');
      } catch (err) { status(bot, err.message); }
    });
    bot.appendChild(form);
  }
  form.querySelector('textarea').focus();
}

element.addEventListener('click', async (e) => {
  const act = e.target.closest('[data-act]');
  if (act) {
    e.preventDefault();
    const bot = act.closest('.sx-bot');
    const a = bot && answerOf(bot);
    if (!a) return;
    if (act.dataset.act === 'copy') {
      status(bot, (await copyText(answerText(a))) ? 'Copied.' : 'Copy failed: select the text instead.');
      return;
    }
    const rating = act.dataset.act;
    try {
      await sendFeedback(a, rating, '');
      sent[a.answer_id] = {rating};
      showState(bot);
      status(bot, 'Thanks. Add a comment?');
      commentForm(bot, a, rating);
    } catch (err) { status(bot, err.message); }
    return;
  }
  const chip = e.target.closest('[data-cite]');
  if (!chip) return;
  e.preventDefault();
  const card = element.querySelector('#' + CSS.escape(chip.dataset.cite));
  if (!card) return;
  element.querySelectorAll('.sx-source.sx-active').forEach((x) => x.classList.remove('sx-active'));
  card.open = true;
  card.classList.add('sx-active');
  card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
});
watch('value', () => {
  element.querySelectorAll('.sx-bot[data-answer]').forEach(showState);  // ratings survive a re-render
  const users = element.querySelectorAll('.sx-user');
  const last = users[users.length - 1];
  const box = element.querySelector('.sx-chat');
  if (last && box) box.scrollTop = Math.max(0, last.offsetTop - 12);
});

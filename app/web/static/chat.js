element.addEventListener('click', (e) => {
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
  const users = element.querySelectorAll('.sx-user');
  const last = users[users.length - 1];
  const box = element.querySelector('.sx-chat');
  if (last && box) box.scrollTop = Math.max(0, last.offsetTop - 12);
});

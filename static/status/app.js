// Tandem's status page: plain DOM, no framework, no build step. It talks only to the
// node that served it; that node asks its peer (GET /cluster?return=ClusterNodeStates).
// Everything received is rendered as text (textContent, text nodes), never as markup.

const api = '/controller/api';
const tokenKey = 'tandem.sessionToken';
const nodesEveryMs = 1500;
const eventsKept = 200;
const ordersShown = 500;
const refreshAfterEventMs = 250;

const $ = (id) => document.getElementById(id);

// The session token the API gave at login: in memory, and in sessionStorage so a reload
// of this tab keeps it (it goes when the tab closes). No password is kept anywhere.
let token = sessionStorage.getItem(tokenKey);
let lastEventId;
let nodes = [];
let selfEntry;
let roleKey = '';
let stream;
let nodesTimer;
let nodesInFlight = false;
let refreshTimer;
let starting = false;

class LoginNeeded extends Error {}

// ---- small helpers ----

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A link only for http(s) URIs; anything else (javascript:, data:) is shown as text. */
function uriLink(uri) {
  if (typeof uri !== 'string') return '—';
  return /^https?:\/\//i.test(uri) ? el('a', { href: uri }, uri) : uri;
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function age(ms) {
  if (typeof ms !== 'number') return '—';
  if (ms < 1000) return `${ms} ms ago`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

function clockTime(date) {
  return date.toLocaleTimeString(undefined, { hourCycle: 'h23' });
}

function bytes(n) {
  return typeof n === 'number' ? `${n.toLocaleString('en')} B` : '—';
}

function problemText(body, status) {
  if (body && typeof body === 'object' && typeof body.code === 'string') {
    return `${body.code}: ${typeof body.message === 'string' ? body.message : ''}`;
  }
  return `HTTP ${status}`;
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function setMessage(id, ...content) {
  const target = $(id);
  target.replaceChildren(...content.filter((c) => c !== undefined));
  target.hidden = content.length === 0;
}

function sessionHeaders() {
  return token ? { 'x-js7-session': token } : {};
}

// ---- API calls ----

async function call(path, { method = 'GET', body, signal, isLogin = false } = {}) {
  const headers = { accept: 'application/json', ...sessionHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(api + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    signal,
  });
  const text = await response.text();
  let json = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (response.status === 401 && !isLogin) {
    askForLogin(json);
    throw new LoginNeeded();
  }
  return { status: response.status, body: json };
}

// ---- login ----

function askForLogin(problem) {
  forgetSession();
  stopLive();
  show('content', false);
  show('login', true);
  const expired = problem?.arguments?.reason === 'session';
  setMessage('login-error', ...(expired ? ['The session has expired; log in again.'] : []));
  $('this-node').textContent = 'not logged in';
  $('login-user').focus();
}

function forgetSession() {
  token = null;
  sessionStorage.removeItem(tokenKey);
  show('logout', false);
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const userId = $('login-user').value;
  const password = $('login-password').value;
  $('login-submit').disabled = true;
  try {
    const r = await call('/session', { method: 'POST', body: { TYPE: 'Login', userAndPassword: { userId, password } }, isLogin: true });
    if (r.status === 200 && r.body?.TYPE === 'LoggedIn' && typeof r.body.sessionToken === 'string') {
      token = r.body.sessionToken;
      sessionStorage.setItem(tokenKey, token);
      $('login-password').value = '';
      show('login', false);
      await start();
    } else {
      setMessage('login-error', problemText(r.body, r.status));
    }
  } catch (err) {
    setMessage('login-error', `The node did not answer: ${err.message}`);
  } finally {
    $('login-submit').disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await call('/session', { method: 'POST', body: { TYPE: 'Logout' }, isLogin: true });
  } catch {
    // The session goes from this page either way.
  }
  askForLogin(null);
});

// ---- the pair ----

function roleOf(entry) {
  if (!entry.reachable) return { text: 'unreachable', badge: 'bad' };
  const s = entry.nodeState;
  switch (s.role?.TYPE) {
    case 'Active':
      return s.isActive ? { text: 'active', badge: 'active' } : { text: 'active, unconfirmed', badge: 'warn' };
    case 'Passive':
      return { text: 'passive', badge: 'passive' };
    default:
      return { text: String(s.role?.TYPE ?? 'unknown').toLowerCase(), badge: 'warn' };
  }
}

function settingOf(nodeState) {
  return nodeState?.clusterState?.setting;
}

function clusterStateText(nodeState) {
  const cluster = nodeState?.clusterState;
  if (!cluster) return '—';
  return cluster.TYPE === 'Empty' ? 'Empty (standalone)' : String(cluster.TYPE);
}

function journalText(s) {
  const j = s.journal;
  if (!j) return '—';
  return `file ${j.fileEventId} at ${bytes(j.position)} · last event ${j.lastEventId}`;
}

function lagText(entry) {
  const s = entry.nodeState;
  if (s.role?.TYPE === 'Active') {
    const n = s.batchesWaitingForAck;
    return typeof n === 'number' ? `${n} ${n === 1 ? 'batch' : 'batches'} waiting for the passive's ack` : '—';
  }
  const active = nodes.find((n) => n !== entry && n.reachable && n.nodeState.role?.TYPE === 'Active');
  if (!active || !s.journal || !active.nodeState.journal) return s.caughtUp === false ? 'catching up' : '—';
  const a = active.nodeState.journal;
  if (a.fileEventId !== s.journal.fileEventId) return 'in an older journal file than the active (catching up)';
  const behind = Math.max(0, a.position - s.journal.position);
  const upToDate = behind === 0 && a.lastEventId === s.journal.lastEventId;
  return `${bytes(behind)} behind the active${upToDate ? ' (up to date)' : ''}${s.caughtUp === false ? ', catching up' : ''}`;
}

function watchText(watch) {
  if (!watch) return '—';
  if (!watch.registered) return `not connected${typeof watch.lastContactAgeMs === 'number' ? ` (last contact ${age(watch.lastContactAgeMs)})` : ''}`;
  return `connected${watch.watchId ? ` · ${watch.watchId}` : ''} · contact ${age(watch.lastContactAgeMs)}`;
}

function licenceView(licence) {
  if (!licence) return '—';
  if (licence.TYPE === 'Valid') {
    const text = `valid until ${String(licence.validUntil).slice(0, 10)} (${licence.daysLeft} days) · ${licence.licensee}`;
    return licence.warning ? el('span', { class: 'badge warn' }, text) : text;
  }
  return el('span', { class: 'badge bad' }, `${licence.TYPE}${licence.reason ? `: ${licence.reason}` : ''}`);
}

function row(field, label, value) {
  return [el('dt', {}, label), el('dd', { 'data-field': field }, value)];
}

function nodeCard(entry) {
  const role = roleOf(entry);
  const classes = ['card', entry.self ? 'self' : '', entry.reachable ? '' : 'unreachable'].filter(Boolean).join(' ');
  const title = el(
    'h3',
    {},
    el('span', { 'data-field': 'node-id' }, entry.nodeId),
    el('span', { class: `badge ${role.badge}`, 'data-field': 'role' }, role.text),
    entry.self ? el('span', { class: 'tag' }, 'this node') : null,
  );
  const rows = [row('uri', 'URI', uriLink(entry.uri))];
  if (!entry.reachable) {
    rows.push(row('problem', 'Problem', el('span', { class: 'problem' }, problemText(entry.problem, 0))));
    return el('article', { class: classes, 'data-node': entry.nodeId }, title, el('dl', {}, rows));
  }
  const s = entry.nodeState;
  rows.push(
    row('epoch', 'Epoch', s.epoch ?? '—'),
    row('cluster-state', 'Cluster state', clusterStateText(s)),
    row('journal', 'Journal', journalText(s)),
    row('acked', 'Acknowledged', s.ackedEventId ?? '—'),
    row('lag', 'Lag', lagText(entry)),
    row('heartbeat', 'Last heartbeat', age(s.lastHeartbeatAgeMs)),
    row('watch', 'Cluster watch', watchText(s.watch)),
    row('licence', 'Licence', licenceView(s.licence)),
  );
  if (s.problem) rows.push(row('problem', 'Problem', el('span', { class: 'problem' }, problemText(s.problem, 0))));
  return el('article', { class: classes, 'data-node': entry.nodeId }, title, el('dl', {}, rows));
}

function renderNodes() {
  $('nodes').replaceChildren(...nodes.map(nodeCard));
  const s = selfEntry?.nodeState;
  const badge = $('cluster-state');
  badge.textContent = clusterStateText(s);
  badge.className = `badge ${s?.clusterState?.TYPE === 'Coupled' ? 'active' : 'warn'}`;
  const role = selfEntry ? roleOf(selfEntry).text : '?';
  $('this-node').textContent = `this node: ${selfEntry?.nodeId ?? '?'} (${role})`;
  renderPassiveNotice();
  renderSwitchover();
}

function activeEntry() {
  const setting = settingOf(selfEntry?.nodeState);
  if (!setting) return undefined;
  return { nodeId: setting.activeId, uri: setting.idToUri?.[setting.activeId] };
}

function renderPassiveNotice() {
  const s = selfEntry?.nodeState;
  if (s?.role?.TYPE !== 'Passive') return setMessage('notice');
  const active = activeEntry();
  setMessage(
    'notice',
    el('strong', {}, `This node (${selfEntry.nodeId}) is passive.`),
    ' It answers business commands with 503 ClusterNodeIsNotActive. ',
    active ? el('span', {}, `The active node is ${active.nodeId}: `, uriLink(active.uri)) : 'No active node is known.',
  );
}

function selfIsActive() {
  const s = selfEntry?.nodeState;
  return s?.role?.TYPE === 'Active' && s.isActive === true;
}

function renderSwitchover() {
  const button = $('switchover');
  const confirming = !$('switchover-confirm').hidden;
  if (selfIsActive()) {
    const s = selfEntry.nodeState;
    const other = nodes.find((n) => !n.self);
    const state = s.clusterState?.TYPE;
    $('switchover-hint').textContent =
      `Hands the active role from ${selfEntry.nodeId} to ${other?.nodeId ?? 'the other node'}.` +
      (state === 'Coupled' ? '' : ` The pair is ${state}, not Coupled: the node will refuse.`);
    button.disabled = confirming;
  } else {
    const active = activeEntry();
    $('switchover-hint').replaceChildren(
      'Only the active node switches over',
      ...(active?.uri ? [': open ', uriLink(active.uri), ` (${active.nodeId}).`] : ['.']),
    );
    button.disabled = true;
    show('switchover-confirm', false);
  }
}

$('switchover').addEventListener('click', () => {
  const other = nodes.find((n) => !n.self);
  $('switchover-question').textContent =
    `Switch over from ${selfEntry?.nodeId} to ${other?.nodeId ?? 'the other node'}? ` +
    `${selfEntry?.nodeId} stops starting jobs and becomes passive; ${other?.nodeId ?? 'the other node'} becomes active.`;
  show('switchover-confirm', true);
  $('switchover').disabled = true;
  $('switchover-no').focus();
});

$('switchover-no').addEventListener('click', () => {
  show('switchover-confirm', false);
  renderSwitchover();
});

$('switchover-yes').addEventListener('click', async () => {
  show('switchover-confirm', false);
  const result = $('switchover-result');
  result.className = 'muted';
  setMessage('switchover-result', 'Switching over…');
  try {
    const r = await call('/command', { method: 'POST', body: { TYPE: 'ClusterSwitchOver' } });
    if (r.status === 200) {
      result.className = 'ok';
      setMessage('switchover-result', `Switchover accepted (${r.body?.TYPE ?? 'no answer body'}). The roles change in a moment.`);
    } else {
      result.className = 'problem';
      setMessage('switchover-result', `Refused: ${problemText(r.body, r.status)}`);
    }
  } catch (err) {
    if (err instanceof LoginNeeded) return;
    result.className = 'problem';
    setMessage('switchover-result', `The node did not answer: ${err.message}`);
  }
  await refreshNodes();
});

async function refreshNodes() {
  if (nodesInFlight) return;
  nodesInFlight = true;
  try {
    const r = await call('/cluster?return=ClusterNodeStates');
    if (r.status !== 200) {
      setMessage('error', `Reading the cluster failed: ${problemText(r.body, r.status)}`);
      return;
    }
    setMessage('error');
    nodes = Array.isArray(r.body?.nodes) ? r.body.nodes : [];
    selfEntry = nodes.find((n) => n.self);
    renderNodes();
    $('refreshed').textContent = `Updated ${clockTime(new Date())} · `;
    const s = selfEntry?.nodeState;
    const key = `${s?.role?.TYPE}/${s?.epoch}`;
    if (roleKey !== '' && key !== roleKey) {
      // This node changed its role (failover, switchover, fencing): its event stream may have ended with the old role.
      addFeedNote(`this node is ${roleOf(selfEntry).text} now (epoch ${s?.epoch})`);
      startEvents();
      scheduleRefresh();
    }
    roleKey = key;
  } catch (err) {
    if (!(err instanceof LoginNeeded)) setMessage('error', `This node does not answer (${err.message}); retrying.`);
  } finally {
    nodesInFlight = false;
  }
}

// ---- orders ----

function lastOutcome(order) {
  const outcome = Array.isArray(order.outcomes) ? order.outcomes.at(-1) : undefined;
  if (!outcome) return '—';
  return outcome.returnCode === undefined ? String(outcome.TYPE) : `${outcome.TYPE} (rc ${outcome.returnCode})`;
}

async function refreshOrders() {
  try {
    const r = await call('/order');
    if (r.status !== 200) return setMessage('error', `Reading the orders failed: ${problemText(r.body, r.status)}`);
    const orders = Array.isArray(r.body?.orders) ? r.body.orders : [];
    const rows = orders.slice(-ordersShown).reverse().map((o) => {
      const state = String(o.state?.TYPE ?? '?');
      return el(
        'tr',
        { 'data-order-id': o.id },
        el('td', { class: 'mono' }, o.id),
        el('td', {}, o.workflowPath),
        el('td', { class: 'state', 'data-field': 'state' }, el('span', { class: `state-${state.replace(/[^A-Za-z]/g, '')}` }, state)),
        el('td', { class: 'mono' }, Array.isArray(o.position) ? o.position.join('.') : '—'),
        el('td', {}, lastOutcome(o)),
      );
    });
    $('orders').tBodies[0].replaceChildren(...rows);
    show('orders-empty', orders.length === 0);
    $('order-count').textContent = orders.length > ordersShown ? `(newest ${ordersShown} of ${orders.length})` : `(${orders.length})`;
  } catch (err) {
    if (!(err instanceof LoginNeeded)) setMessage('error', `This node does not answer (${err.message}); retrying.`);
  }
}

/** At most one refresh per quarter second however fast events come. */
function scheduleRefresh() {
  if (refreshTimer !== undefined) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    void refreshOrders();
    void refreshNodes();
  }, refreshAfterEventMs);
}

// ---- events (server-sent events read with fetch: EventSource cannot send the session header) ----

function eventTime(eventId) {
  // EventIds are epoch milliseconds × 1000 plus a counter.
  return typeof eventId === 'number' ? clockTime(new Date(Math.floor(eventId / 1000))) : '';
}

function eventDetail(event) {
  const rest = Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'eventId' && key !== 'TYPE'));
  const text = JSON.stringify(rest);
  if (text === '{}') return '';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function prependFeed(item) {
  const list = $('events');
  list.prepend(item);
  while (list.children.length > eventsKept) list.lastElementChild.remove();
}

function addEvent(event) {
  prependFeed(
    el(
      'li',
      { 'data-event-type': event.TYPE, 'data-event-id': event.eventId },
      el('span', { class: 'time' }, eventTime(event.eventId)),
      el('span', { class: 'type' }, String(event.TYPE)),
      el('span', { class: 'detail mono' }, eventDetail(event)),
    ),
  );
}

function addFeedNote(text) {
  prependFeed(el('li', { class: 'note' }, el('span', { class: 'time' }, clockTime(new Date())), el('span', { class: 'muted' }, `— ${text}`)));
}

function setEventsState(text) {
  $('events-state').textContent = text;
}

class Torn extends Error {}

function handleFrame(frame) {
  let type = 'message';
  let id;
  const data = [];
  for (const line of frame.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join('\n'));
  if (type === 'problem') {
    if (payload?.code === 'EventsTorn') throw new Torn();
    throw new Error(problemText(payload, 0));
  }
  addEvent(payload);
  if (id !== undefined && /^\d+$/.test(id)) lastEventId = Number(id);
  scheduleRefresh();
}

async function readStream(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        handleFrame(frame);
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Events were dropped (this node holds only recent ones): start again from now and re-read the views. */
async function resync(signal) {
  const r = await call('', { signal });
  if (r.status === 200 && typeof r.body?.lastEventId === 'number') lastEventId = r.body.lastEventId;
  addFeedNote('some events were missed; views re-read');
  scheduleRefresh();
}

async function followEvents(signal) {
  let backoff = 500;
  while (!signal.aborted) {
    try {
      if (lastEventId === undefined) await resync(signal);
      const response = await fetch(`${api}/event?after=${encodeURIComponent(lastEventId)}`, {
        headers: { accept: 'text/event-stream', ...sessionHeaders() },
        cache: 'no-store',
        signal,
      });
      if (response.status === 401) {
        askForLogin(await response.json().catch(() => null));
        return;
      }
      if (response.status === 410) {
        await resync(signal);
        continue;
      }
      if (!response.ok || !response.body) throw new Error(problemText(await response.json().catch(() => null), response.status));
      setEventsState('· live');
      backoff = 500;
      await readStream(response.body, signal);
      if (!signal.aborted) setEventsState('· stream ended, reconnecting…');
    } catch (err) {
      if (signal.aborted || err instanceof LoginNeeded) return;
      if (err instanceof Torn) {
        await resync(signal).catch(() => undefined);
        continue;
      }
      setEventsState(`· reconnecting (${err.message})`);
    }
    await sleep(backoff, signal);
    backoff = Math.min(backoff * 2, 5000);
    // The views may have moved on while the stream was down.
    if (!signal.aborted) scheduleRefresh();
  }
}

function startEvents() {
  stream?.abort();
  const controller = new AbortController();
  stream = controller;
  void followEvents(controller.signal);
}

function stopLive() {
  stream?.abort();
  stream = undefined;
  clearInterval(nodesTimer);
  nodesTimer = undefined;
  roleKey = '';
}

// ---- start ----

async function start() {
  if (starting) return;
  starting = true;
  try {
    const r = await call('');
    if (r.status !== 200) {
      setMessage('error', `This node refuses: ${problemText(r.body, r.status)}`);
      return;
    }
    setMessage('error');
    const overview = r.body;
    $('controller-id').textContent = `${overview.id} · ${overview.version}`;
    document.title = `Tandem ${overview.id} · ${overview.nodeId}`;
    lastEventId = overview.lastEventId;
    show('login', false);
    show('content', true);
    show('logout', Boolean(token));
    await Promise.all([refreshNodes(), refreshOrders()]);
    startEvents();
    clearInterval(nodesTimer);
    // Heartbeat ages change without events: refresh the node view on a timer too.
    nodesTimer = setInterval(() => void refreshNodes(), nodesEveryMs);
  } catch (err) {
    if (err instanceof LoginNeeded) return;
    setMessage('error', `This node does not answer (${err.message}); retrying.`);
    setTimeout(() => void start(), 2000);
  } finally {
    starting = false;
  }
}

void start();

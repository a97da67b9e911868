// Reviewer page: creates enrolment links with their QR codes, and approves or rejects pending
// enrolments. The reviewer token is kept in sessionStorage, so it lasts for this tab only.

const TOKEN_KEY = 'yunqian.reviewerToken';
const ADMIN = '/api/v1/admin';
const PRESET_NAMES = {
  'phone-first': '手机号登录优先',
  'signature-first': '签名采集优先',
  'three-step': '三步流程',
};

const $ = (id) => document.getElementById(id);
let selectedId = null;
const objectUrls = [];

class ReviewError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, {
    method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('resets-refresh').addEventListener('click', () => guarded(loadResets));
$('reset-approve').addEventListener('click', () => decideReset('approve'));
$('reset-reject').addEventListener('click', () => decideReset('reject'));
show();
    throw new ReviewError(401, '审核令牌不正确或已失效，请重新输入');
  }
  if (!response.ok) {
    let message = `请求失败（HTTP ${response.status}）`;
    try {
      const json = await response.json();
      message = json.message || json.reason || message;
    } catch (e) {
      // The body was not JSON; keep the status text.
    }
    throw new ReviewError(response.status, message);
  }
  return response;
}

async function callJson(method, path, body) {
  const response = await call(method, path, body);
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

/** Loads an image that needs the bearer token and returns an object URL for an img element. */
async function imageUrl(path) {
  const blob = await (await call('GET', path)).blob();
  const url = URL.createObjectURL(blob);
  objectUrls.push(url);
  return url;
}

function listOf(json, key) {
  return Array.isArray(json) ? json : (json[key] || json.items || []);
}

function showError(e) {
  const box = $('error');
  box.textContent = e ? (e.message || String(e)) : '';
  box.hidden = !e;
}

async function guarded(action) {
  showError(null);
  try {
    await action();
  } catch (e) {
    showError(e);
  }
}

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  row.appendChild(td);
  return td;
}

function formatTime(value) {
  return value ? new Date(value).toLocaleString('zh-CN', { hour12: false }) : '';
}

async function loadLinks() {
  const links = listOf(await callJson('GET', `${ADMIN}/enrolment-links`), 'links');
  const body = $('links').querySelector('tbody');
  body.replaceChildren();
  for (const link of links) {
    const row = document.createElement('tr');
    row.dataset.code = link.code;
    cell(row, link.organisation);
    cell(row, PRESET_NAMES[link.preset] || link.preset);
    cell(row, formatTime(link.expiresAt));
    cell(row, link.revoked || link.revokedAt ? '已作废' : '有效');
    const actions = cell(row, '');
    if (!(link.revoked || link.revokedAt)) {
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'link-revoke';
      revoke.textContent = '作废';
      revoke.addEventListener('click', () => guarded(async () => {
        await call('POST', `${ADMIN}/enrolment-links/${encodeURIComponent(link.code)}/revoke`);
        await loadLinks();
      }));
      actions.appendChild(revoke);
    }
    body.appendChild(row);
  }
}

async function createLink(event) {
  event.preventDefault();
  await guarded(async () => {
    const link = await callJson('POST', `${ADMIN}/enrolment-links`, {
      preset: $('link-preset').value,
      organisation: $('link-organisation').value.trim(),
      validHours: Number($('link-hours').value),
    });
    $('link-url').textContent = link.url;
    $('link-expires').textContent = `有效期至 ${formatTime(link.expiresAt)}`;
    $('link-qr').src = await imageUrl(link.qrPng);
    $('link-result').hidden = false;
    await loadLinks();
  });
}

async function loadPending() {
  const list = listOf(await callJson('GET', `${ADMIN}/enrolments?status=PENDING_REVIEW`),
    'enrolments');
  const body = $('pending').querySelector('tbody');
  body.replaceChildren();
  for (const item of list) {
    const row = document.createElement('tr');
    row.dataset.id = item.id;
    cell(row, item.name);
    cell(row, item.personType);
    cell(row, item.idNumber);
    cell(row, item.mobile);
    cell(row, formatTime(item.submittedAt || item.updatedAt || item.createdAt));
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'pending-open';
    open.textContent = '审核';
    open.addEventListener('click', () => guarded(() => openDetail(item.id)));
    cell(row, '').appendChild(open);
    body.appendChild(row);
  }
}

async function openDetail(id) {
  objectUrls.splice(0).forEach((url) => URL.revokeObjectURL(url));
  const detail = await callJson('GET', `${ADMIN}/enrolments/${encodeURIComponent(id)}`);
  selectedId = id;
  $('detail-name').textContent = detail.name || '';
  const fields = $('detail-fields');
  fields.replaceChildren();
  const rows = [['人员类型', detail.personType], ['身份证号', detail.idNumber],
    ['手机号', detail.mobile], ['所在地区', detail.region || detail.countyCode],
    ['流程', PRESET_NAMES[detail.preset] || detail.preset], ['状态', detail.status]];
  for (const [name, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value == null ? '—' : String(value);
    fields.append(dt, dd);
  }
  await loadDetailImages(id);
  $('reject-reason').value = '';
  $('detail').hidden = false;
}

async function loadDetailImages(id) {
  const base = `${ADMIN}/enrolments/${encodeURIComponent(id)}`;
  const images = [['detail-id-front', `${base}/id-card/front`],
    ['detail-id-back', `${base}/id-card/back`], ['detail-face', `${base}/face-evidence`],
    ['detail-signature', `${base}/signature`]];
  for (const [element, path] of images) {
    try {
      $(element).src = await imageUrl(path);
      $(element).parentElement.hidden = false;
    } catch (e) {
      // A preset may skip a step, so its image is missing (404); other errors are reported.
      $(element).parentElement.hidden = true;
      if (e.status !== 404) throw e;
    }
  }
}

async function decide(action) {
  await guarded(async () => {
    if (!selectedId) return;
    const path = `${ADMIN}/enrolments/${encodeURIComponent(selectedId)}/${action}`;
    if (action === 'reject') {
      const reason = $('reject-reason').value.trim();
      if (!reason) throw new Error('请填写驳回原因');
      await call('POST', path, { reason });
    } else {
      await call('POST', path, {});
    }
    $('detail').hidden = true;
    selectedId = null;
    await loadPending();
  });
}

let selectedResetId = null;

async function loadResets() {
  const list = listOf(await callJson('GET', `${ADMIN}/pin-resets?status=PENDING_REVIEW`),
    'resets');
  const body = $('pin-resets').querySelector('tbody');
  body.replaceChildren();
  for (const item of list) {
    const row = document.createElement('tr');
    row.dataset.id = item.id;
    cell(row, item.name);
    cell(row, item.idNumber);
    cell(row, formatTime(item.createdAt));
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'reset-open';
    open.textContent = '审核';
    open.addEventListener('click', () => guarded(() => openReset(item)));
    cell(row, '').appendChild(open);
    body.appendChild(row);
  }
}

/** Shows the enrolment's face frame next to the new one; a missing frame is reported. */
async function openReset(item) {
  objectUrls.splice(0).forEach((url) => URL.revokeObjectURL(url));
  const base = `${ADMIN}/pin-resets/${encodeURIComponent(item.id)}`;
  selectedResetId = item.id;
  $('reset-name').textContent = `${item.name} ${item.idNumber}`;
  $('reset-face-new').src = await imageUrl(`${base}/face`);
  try {
    $('reset-face-enrolled').src = await imageUrl(`${base}/enrolment-face`);
    $('reset-face-enrolled').parentElement.hidden = false;
  } catch (e) {
    // Signers enrolled through the officer API have no enrolment face frame.
    $('reset-face-enrolled').parentElement.hidden = true;
    if (e.status !== 404) throw e;
  }
  $('reset-reject-reason').value = '';
  $('reset-detail').hidden = false;
}

async function decideReset(action) {
  await guarded(async () => {
    if (!selectedResetId) return;
    const resetId = selectedResetId;
    // A second click while the first decision is on its way would find the reset decided.
    selectedResetId = null;
    const path = `${ADMIN}/pin-resets/${encodeURIComponent(resetId)}/${action}`;
    try {
      if (action === 'reject') {
        const reason = $('reset-reject-reason').value.trim();
        if (!reason) throw new Error('请填写驳回原因');
        await call('POST', path, { reason });
      } else {
        await call('POST', path, {});
      }
    } catch (e) {
      selectedResetId = resetId;
      throw e;
    }
    $('reset-detail').hidden = true;
    await loadResets();
  });
}

function show() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN_KEY));
  $('login').hidden = signedIn;
  $('workspace').hidden = !signedIn;
  $('token-forget').hidden = !signedIn;
  if (signedIn) {
    guarded(async () => {
      await loadLinks();
      await loadPending();
      await loadResets();
    });
  }
}

$('token-save').addEventListener('click', () => {
  const token = $('reviewer-token').value.trim();
  if (!token) {
    showError(new Error('请输入审核令牌'));
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('reviewer-token').value = '';
  showError(null);
  $('resets-refresh').addEventListener('click', () => guarded(loadResets));
$('reset-approve').addEventListener('click', () => decideReset('approve'));
$('reset-reject').addEventListener('click', () => decideReset('reject'));
show();
});
$('token-forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  $('resets-refresh').addEventListener('click', () => guarded(loadResets));
$('reset-approve').addEventListener('click', () => decideReset('approve'));
$('reset-reject').addEventListener('click', () => decideReset('reject'));
show();
});
$('link-form').addEventListener('submit', createLink);
$('link-print').addEventListener('click', () => window.print());
$('pending-refresh').addEventListener('click', () => guarded(loadPending));
$('approve').addEventListener('click', () => decide('approve'));
$('reject').addEventListener('click', () => decide('reject'));
$('resets-refresh').addEventListener('click', () => guarded(loadResets));
$('reset-approve').addEventListener('click', () => decideReset('approve'));
$('reset-reject').addEventListener('click', () => decideReset('reject'));
show();

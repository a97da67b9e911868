// HTTP calls of the phone pages. Their sessions live in HttpOnly cookies (yq_enrol, yq_pin),
// which the browser sends on these same-origin requests.

const BASE = '/api/v1/enrolments';

/** Error from the gateway, carrying its code and the Chinese message for the page. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Sends one JSON (or multipart) request to a gateway path and returns the JSON answer, or
 * throws an ApiError with the gateway's Chinese message.
 */
export async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'NETWORK', '网络连接失败，请检查网络后重试');
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    const message = (json && (json.message || json.reason)) || `请求失败（HTTP ${response.status}）`;
    throw new ApiError(response.status, json && json.error, message);
  }
  return json || {};
}

/** Opens the enrolment for a QR link, or resumes the open one named by the cookie. */
export function openEnrolment(link) {
  return request('POST', BASE, { link });
}

/** Returns the enrolment state: steps, completed steps, current step, status, masked fields. */
export function currentState() {
  return request('GET', `${BASE}/current`);
}

/** Submits one step (or a step action such as sms/request) of the current enrolment. */
export function submitStep(step, body) {
  return request('POST', `${BASE}/current/${step}`, body === undefined ? {} : body);
}

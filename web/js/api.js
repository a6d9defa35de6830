// The one client of Clearsky's REST API. It owns the tokens: the access token lives in memory only;
// the refresh token in sessionStorage, so a reload keeps the session but closing the tab ends it and
// no other origin's script can read it. A 401 refreshes once, then goes back to sign-in.

const REFRESH_KEY = "clearsky.refresh";
let accessToken = null;
let refreshing = null;
const listeners = new Set();

/** An API error with the words to show. */
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function onSignOut(listener) { listeners.add(listener); }

export function isSignedIn() { return accessToken !== null || sessionStorage.getItem(REFRESH_KEY) !== null; }

function keep(tokens) {
  accessToken = tokens.accessToken;
  if (tokens.refreshToken) sessionStorage.setItem(REFRESH_KEY, tokens.refreshToken);
}

export function forget() {
  accessToken = null;
  sessionStorage.removeItem(REFRESH_KEY);
  for (const listener of listeners) listener();
}

async function refresh() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return false;
  refreshing ??= fetch("/v1/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refreshToken }),
  }).then(async (response) => {
    if (!response.ok) return false;
    keep(await response.json());
    return true;
  }).catch(() => false).finally(() => { refreshing = null; });
  return refreshing;
}

async function failure(response) {
  let code = "Error";
  let message = `The request failed (HTTP ${response.status})`;
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch { /* not JSON */ }
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    if (wait) message = `${message} (try again in ${wait} s)`;
  }
  return new APIError(response.status, code, message);
}

/**
 * Calls the API: `body` as JSON (or a FormData / Blob as it is), with the access token; a 401 refreshes
 * the token once and tries again. Resolves to the parsed JSON, a Blob (`as: "blob"`), or null for 204.
 */
export async function call(method, path, body, { as = "json", signedIn = true } = {}) {
  if (signedIn && accessToken === null) await refresh();
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = {};
    if (signedIn && accessToken) headers.Authorization = `Bearer ${accessToken}`;
    let payload;
    if (body instanceof FormData || body instanceof Blob) {
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers, body: payload });
    if (response.status === 401 && signedIn && attempt === 0 && (await refresh())) continue;
    if (response.status === 401 && signedIn) {
      forget();
      throw await failure(response);
    }
    if (!response.ok) throw await failure(response);
    if (response.status === 204) return null;
    return as === "blob" ? response.blob() : response.json();
  }
  throw new APIError(401, "NotAuthorized", "Please sign in again");
}

export async function signIn(username, password) {
  keep(await call("POST", "/v1/auth/login", { username, password }, { signedIn: false }));
}

export async function signOut() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (refreshToken) {
    try { await call("POST", "/v1/auth/logout", { refreshToken }, { signedIn: false }); } catch { /* gone already */ }
  }
  forget();
}

/** Uploads one file with progress: `onProgress(fraction)`; resolves to the Image. */
export async function upload(file, fields, onProgress) {
  if (accessToken === null) await refresh();
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) if (value) form.append(name, value);
  form.append("file", file, file.name);
  const send = () => new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/v1/images");
    if (accessToken) request.setRequestHeader("Authorization", `Bearer ${accessToken}`);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => resolve(request));
    request.addEventListener("error", () => reject(new APIError(0, "Network", "The upload did not reach Clearsky")));
    request.send(form);
  });
  let request = await send();
  if (request.status === 401 && (await refresh())) request = await send();
  let body = null;
  try { body = JSON.parse(request.responseText); } catch { /* empty */ }
  if (request.status >= 200 && request.status < 300) return body;
  if (request.status === 401) forget();
  throw new APIError(request.status, body?.error?.code ?? "Error", body?.error?.message ?? `HTTP ${request.status}`);
}

/** A GET whose body the caller reads as it arrives (the event stream), with the token and one refresh. */
export async function open(path, headers = {}, signal) {
  if (accessToken === null) await refresh();
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await fetch(path, { headers: { ...headers, Authorization: `Bearer ${accessToken}` }, signal });
    if (response.status === 401 && attempt === 0 && (await refresh())) continue;
    if (response.status === 401) {
      forget();
      throw await failure(response);
    }
    if (!response.ok) throw await failure(response);
    return response;
  }
  throw new APIError(401, "NotAuthorized", "Please sign in again");
}

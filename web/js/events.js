// The signed-in user's changes, pushed by the server (GET /v1/events, server-sent events) and read
// with fetch so that the request carries the bearer token (EventSource cannot send one). One stream
// for the page; it reconnects after a drop with Last-Event-ID, so nothing is missed.
import { isSignedIn, open } from "./api.js";

const listeners = new Set();
let running = false;
let lastId = null;

/** Calls `listener({kind, id, at})` for each event; returns a function that stops it. */
export function subscribe(listener) {
  listeners.add(listener);
  if (!running) run();
  return () => listeners.delete(listener);
}

async function run() {
  running = true;
  while (listeners.size > 0 && isSignedIn()) {
    try {
      const response = await open("/v1/events", lastId ? { "Last-Event-ID": lastId } : {});
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let pending = "";
      while (listeners.size > 0) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        let end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
          deliver(pending.slice(0, end));
          pending = pending.slice(end + 2);
        }
      }
      await reader.cancel().catch(() => {});
    } catch {
      // Dropped or refused: wait and reconnect where we were.
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  running = false;
}

function deliver(block) {
  let id = null;
  let data = null;
  for (const line of block.split("\n")) {
    if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("data: ")) data = line.slice(6);
  }
  if (id === null || data === null) return;
  lastId = id;
  let event;
  try { event = JSON.parse(data); } catch { return; }
  for (const listener of [...listeners]) listener(event);
}

import { call } from "../api.js";
import { h, show, toast, displayName } from "../dom.js";
import { subscribe } from "../events.js";
import { navigate } from "../router.js";

export let title = "Gallery";

/** The ids in the order the last gallery showed them, for the image page's ← and → keys. */
export const order = [];

/** "Today", "Yesterday", a day this year, or a month further back. */
function dateHeading(iso) {
  const date = new Date(iso);
  const today = new Date();
  const days = Math.floor((new Date(today.toDateString()) - new Date(date.toDateString())) / 86400000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days < 180) return date.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "long" });
  return date.toLocaleDateString(undefined, { month: "long", year: "numeric" });
}

/** One thumbnail: the image keeps its aspect ratio in a row of equal height. */
export function tile(image, { selectable = false, selected = null } = {}) {
  const name = displayName(image);
  const width = Math.max(1, Math.round((200 * image.width) / Math.max(1, image.height)));
  const figure = h("figure", { class: "tile", "data-id": image.id },
    h("a", { href: `/images/${encodeURIComponent(image.id)}` },
      h("img", { src: image.thumbnailUrl, alt: name, loading: "lazy", decoding: "async", width, height: 200 })),
    h("figcaption", {}, (image.tags ?? []).map((tag) => tag.count > 1 ? `${tag.tag} ×${tag.count}` : tag.tag).join(", ")));
  figure.style.setProperty("--ratio", String(image.width / Math.max(1, image.height)));
  if (selectable) {
    // A tile redrawn (its tags arrived) keeps its box ticked.
    const box = h("input", { type: "checkbox", class: "pick", "aria-label": `Select ${name}`, checked: selected.has(image.id) });
    box.addEventListener("click", (event) => {
      // Shift-click selects the range from the last box clicked.
      const boxes = [...document.querySelectorAll(".tile input.pick")];
      const here = boxes.indexOf(box);
      const from = boxes.indexOf(selected.last);
      if (event.shiftKey && from >= 0 && here >= 0) {
        for (const other of boxes.slice(Math.min(from, here), Math.max(from, here) + 1)) {
          other.checked = box.checked;
          const id = other.closest(".tile").dataset.id;
          if (box.checked) selected.add(id); else selected.delete(id);
        }
      }
      selected.last = box;
    });
    box.addEventListener("change", () => { if (box.checked) selected.add(image.id); else selected.delete(image.id); selected.changed(); });
    figure.append(box);
  }
  return figure;
}

export async function render(_params, query, current) {
  const everyone = location.pathname === "/public";
  title = everyone ? "Public gallery" : "Gallery";
  const grid = h("div", { class: "grid", "aria-label": everyone ? "Public images" : "My images" });
  const more = h("p", { class: "loading" }, "Loading…");
  const selected = new Set();
  const count = h("span", {});
  const tagInput = h("input", { name: "tag", placeholder: "tag", "aria-label": "Tag" });
  const bulk = h("div", { class: "bulk row", hidden: true }, count, tagInput,
    h("button", { type: "button", onclick: () => edit({ add: [{ tag: tagInput.value.trim() }] }) }, "Add tag"),
    h("button", { type: "button", onclick: () => edit({ remove: [tagInput.value.trim()] }) }, "Remove tag"),
    h("button", { type: "button", class: "danger", onclick: () => remove() }, "Delete"));
  selected.changed = () => { bulk.hidden = selected.size === 0; count.textContent = `${selected.size} selected`; };
  let cursor = null;
  let done = false;
  let loading = false;
  let heading = null;
  order.length = 0;

  async function page() {
    if (loading || done) return;
    loading = true;
    const path = everyone ? "/v1/gallery" : "/v1/images";
    // A first page that fills a large screen keeps the first signed-in screen small; later ones are bigger.
    const search = new URLSearchParams({ limit: cursor ? "120" : "40" });
    if (cursor) search.set("cursor", cursor);
    if (!everyone && query.get("tags")) search.set("tags", query.get("tags"));
    const list = await call("GET", `${path}?${search}`);
    if (!current()) return;
    for (const image of list.items) {
      const label = dateHeading(image.createdAt);
      if (label !== heading) {
        heading = label;
        grid.append(h("h2", { class: "day" }, label));
      }
      grid.append(tile(image, { selectable: !everyone, selected }));
      order.push(image.id);
    }
    cursor = list.nextCursor;
    done = !cursor;
    loading = false;
    more.textContent = done ? "" : "Loading more…";
    if (done && grid.children.length === 0) {
      grid.replaceWith(h("p", { class: "empty" }, everyone ? "No public images yet." : "No images yet — choose Upload to add some."));
    }
  }

  async function edit(change) {
    const tag = (change.add?.[0]?.tag ?? change.remove?.[0] ?? "");
    if (!tag) return toast("Type a tag first");
    try {
      await call("POST", "/v1/tags/bulk", { imageIds: [...selected], ...change });
      toast(change.add ? `Added “${tag}” to ${selected.size}` : `Removed “${tag}” from ${selected.size}`);
      navigate(location.pathname + location.search, { replace: true });
    } catch (failure) { toast(failure.message); }
  }

  async function remove() {
    if (!confirm(`Delete ${selected.size} image(s)? This cannot be undone.`)) return;
    for (const id of selected) await call("DELETE", `/v1/images/${encodeURIComponent(id)}`);
    toast("Deleted");
    navigate(location.pathname, { replace: true });
  }

  const key = h("input", { name: "key", "aria-label": "Key", placeholder: "Open by key" });
  const opener = h("form", { class: "row" }, key, h("button", { type: "submit" }, "Open"));
  opener.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const image = await call("GET", `/v1/images/by-key/${key.value.trim().split("/").map(encodeURIComponent).join("/")}`);
      navigate(`/images/${encodeURIComponent(image.id)}`);
    } catch (failure) { toast(failure.message); }
  });
  show(h("h1", {}, title), everyone ? null : opener, query.get("tags") ? h("p", {}, `Tagged ${query.get("tags")}`) : null,
    bulk, grid, more);
  await page();
  // New uploads appear first, and tags appear under a thumbnail when detection is done.
  const stop = subscribe(async (event) => {
    if (!current()) return stop();
    if (everyone || !event.kind.startsWith("image.")) return;
    const shown = grid.querySelector(`[data-id="${CSS.escape(event.id)}"]`);
    if (event.kind === "image.deleted") return shown?.remove();
    let image;
    try { image = await call("GET", `/v1/images/${encodeURIComponent(event.id)}`); } catch { return; }
    const fresh = tile(image, { selectable: true, selected });
    if (shown) return shown.replaceWith(fresh);
    if (event.kind !== "image.created" || !grid.isConnected) return;
    const first = grid.querySelector("h2.day");
    if (first && first.textContent === "Today") first.after(fresh); else grid.prepend(h("h2", { class: "day" }, "Today"), fresh);
    order.unshift(image.id);
  });
  const observer = new IntersectionObserver((entries) => {
    if (!current()) return observer.disconnect();
    if (entries.some((entry) => entry.isIntersecting)) page().catch((failure) => { more.textContent = failure.message; });
  });
  observer.observe(more);
}

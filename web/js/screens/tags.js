import { call } from "../api.js";
import { h, show, toast } from "../dom.js";
import { tile } from "./gallery.js";

export const title = "Tags";

export async function render(_params, query) {
  const results = h("div", { class: "grid", "aria-label": "Results" });
  const box = h("input", { name: "q", "aria-label": "Tags", placeholder: "person:2, dog", value: query.get("q") ?? "" });
  const search = h("form", { class: "row", role: "search" }, box, h("button", { type: "submit", class: "primary" }, "Search"));
  const url = h("input", { name: "url", "aria-label": "Thumbnail URL", placeholder: "https://…/v1/images/…/thumbnail" });
  const byURL = h("form", { class: "row" }, url, h("button", { type: "submit" }, "Find by thumbnail URL"));
  const file = h("input", { type: "file", accept: "image/jpeg,image/png", "aria-label": "Image to match" });
  const similar = h("form", { class: "row" }, file, h("button", { type: "submit" }, "Find similar"));
  const found = h("p", { class: "muted", role: "status" });

  function showImages(items) {
    results.replaceChildren(...items.map((image) => tile(image)));
    if (items.length === 0) results.replaceChildren(h("p", { class: "empty" }, "Nothing matches."));
  }
  async function runQuery(text) {
    const terms = text.split(",").map((part) => part.trim()).filter(Boolean).join(",");
    if (!terms) return;
    const page = await call("GET", `/v1/images?tags=${encodeURIComponent(terms)}&limit=100`);
    found.textContent = `${page.items.length} image(s) tagged ${terms}`;
    showImages(page.items);
  }
  async function runSimilar(blob, name) {
    const data = new FormData();
    data.append("file", blob, name);
    const answer = await call("POST", "/v1/search/similar?limit=50", data);
    found.textContent = `Detected: ${answer.tags.map((tag) => tag.count > 1 ? `${tag.tag} ×${tag.count}` : tag.tag).join(", ") || "nothing"}`;
    showImages(answer.items);
  }
  search.addEventListener("submit", (event) => { event.preventDefault(); runQuery(box.value).catch((failure) => toast(failure.message)); });
  byURL.addEventListener("submit", async (event) => {
    event.preventDefault();
    try { showImages([await call("GET", `/v1/images/by-thumbnail?url=${encodeURIComponent(url.value.trim())}`)]); } catch (failure) { toast(failure.message); }
  });
  similar.addEventListener("submit", (event) => {
    event.preventDefault();
    if (file.files[0]) runSimilar(file.files[0], file.files[0].name).catch((failure) => toast(failure.message));
  });

  const mine = await call("GET", "/v1/tags");
  const cloud = h("ul", { class: "tags", "aria-label": "My tags" }, mine.items.map((tag) =>
    h("li", {}, h("a", { href: `/tags?q=${encodeURIComponent(tag.tag)}` }, `${tag.tag} (${tag.images})`))));
  show(h("h1", {}, "Tags"), mine.items.length ? cloud : h("p", { class: "muted" }, "No tags yet: they appear as images are recognised."),
    search, byURL, similar, found, results);
  if (query.get("q")) await runQuery(query.get("q"));
  if (query.get("similar")) {
    const blob = await call("GET", `/v1/images/${encodeURIComponent(query.get("similar"))}/content`, undefined, { as: "blob" });
    await runSimilar(blob, "image");
  }
}

import { call } from "../api.js";
import { bytes, h, show, toast, displayName } from "../dom.js";
import { subscribe } from "../events.js";
import { navigate } from "../router.js";
import { order } from "./gallery.js";

export const title = "Image";

export async function render(params, _query, current) {
  const id = params.id;
  let image = await call("GET", `/v1/images/${encodeURIComponent(id)}`);
  if (!current()) return;
  const tagList = h("ul", { class: "tags", "aria-label": "Tags" });
  const state = h("p", { class: "muted", role: "status" });
  const tagsInput = h("input", { name: "tags", "aria-label": "Edit tags", placeholder: "person:2, dog" });

  function drawTags() {
    tagList.replaceChildren(...image.tags.map((tag) =>
      h("li", { title: tag.source === "auto" ? `detected, ${Math.round((tag.confidence ?? 0) * 100)}%` : "added by you" },
        `${tag.tag}${tag.count > 1 ? ` ×${tag.count}` : ""}${tag.source === "auto" ? "" : " ✎"}`)));
    tagsInput.value = image.tags.map((tag) => tag.count > 1 ? `${tag.tag}:${tag.count}` : tag.tag).join(", ");
    state.textContent = image.tagging === "pending" ? "Finding what is in the picture…"
      : image.tagging === "error" ? `Tagging failed: ${image.taggingError ?? "unknown reason"}` : "";
  }
  drawTags();
  // Tagging finishing (or an edit elsewhere) arrives as an event; the page redraws its tags.
  const stop = subscribe(async (event) => {
    if (!current()) return stop();
    if (event.id !== id || (event.kind !== "image.tagsChanged" && event.kind !== "image.replaced")) return;
    image = await call("GET", `/v1/images/${encodeURIComponent(id)}`);
    drawTags();
  });

  const editor = h("form", { class: "row" }, tagsInput, h("button", { type: "submit" }, "Save tags"));
  editor.addEventListener("submit", async (event) => {
    event.preventDefault();
    const tags = tagsInput.value.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
      const [tag, count] = part.split(":");
      return { tag: tag.trim(), count: count ? Number(count) : 1 };
    });
    try {
      image = await call("PUT", `/v1/images/${encodeURIComponent(id)}/tags`, { tags });
      drawTags();
      toast("Tags saved");
    } catch (failure) { toast(failure.message); }
  });

  const share = h("button", { type: "button" }, "Share");
  share.addEventListener("click", async () => {
    try {
      const link = await call("POST", `/v1/images/${encodeURIComponent(id)}/share`, { expiresIn: 7 * 86400 });
      try { await navigator.clipboard.writeText(link.url); toast("Share link copied"); } catch { toast(link.url); }
      shareOut.replaceChildren(h("a", { href: link.url }, "Share link"), ` (until ${new Date(link.expiresAt).toLocaleString()})`);
    } catch (failure) { toast(failure.message); }
  });
  const shareOut = h("p", {});
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  remove.addEventListener("click", async () => {
    if (!confirm("Delete this image? This cannot be undone.")) return;
    await call("DELETE", `/v1/images/${encodeURIComponent(id)}`);
    toast("Deleted");
    navigate("/gallery", { replace: true });
  });
  const name = displayName(image);
  const picture = h("img", { src: image.url, alt: name, width: image.width, height: image.height });
  const stage = h("div", { class: "stage" }, picture);
  const boxes = h("button", { type: "button", "aria-pressed": "false" }, "Show detections");
  boxes.addEventListener("click", async () => {
    const shown = stage.querySelector("svg");
    if (shown) {
      shown.remove();
      boxes.setAttribute("aria-pressed", "false");
      return;
    }
    try {
      const data = new FormData();
      data.append("file", await call("GET", `/v1/images/${encodeURIComponent(id)}/content`, undefined, { as: "blob" }), "image");
      const answer = await call("POST", "/v1/recognize", data);
      const ns = "http://www.w3.org/2000/svg";
      const overlay = document.createElementNS(ns, "svg");
      overlay.setAttribute("viewBox", `0 0 ${answer.width} ${answer.height}`);
      overlay.setAttribute("preserveAspectRatio", "none");
      overlay.setAttribute("aria-hidden", "true");
      for (const found of answer.detections) {
        const rect = document.createElementNS(ns, "rect");
        for (const [key, value] of Object.entries({ x: found.box.x, y: found.box.y, width: found.box.width, height: found.box.height, fill: "none", stroke: "#22d3ee", "stroke-width": Math.max(2, answer.width / 300) })) rect.setAttribute(key, String(value));
        const label = document.createElementNS(ns, "text");
        label.setAttribute("x", String(found.box.x));
        label.setAttribute("y", String(Math.max(14, found.box.y - 4)));
        label.setAttribute("fill", "#22d3ee");
        label.setAttribute("font-size", String(Math.max(14, answer.width / 45)));
        label.textContent = `${found.label} ${Math.round(found.confidence * 100)}%`;
        overlay.append(rect, label);
      }
      stage.append(overlay);
      boxes.setAttribute("aria-pressed", "true");
      toast(`${answer.detections.length} object(s) found`);
    } catch (failure) { toast(failure.message); }
  });
  const viewer = h("div", { class: "viewer" });
  // ← and → move through the gallery's order, Esc goes back to it, i hides or shows the facts.
  const onKey = (event) => {
    if (!current()) return document.removeEventListener("keydown", onKey);
    if (event.target.closest("input, select, textarea")) return;
    const at = order.indexOf(id);
    if (event.key === "ArrowRight" && at >= 0 && at + 1 < order.length) navigate(`/images/${encodeURIComponent(order[at + 1])}`);
    else if (event.key === "ArrowLeft" && at > 0) navigate(`/images/${encodeURIComponent(order[at - 1])}`);
    else if (event.key === "Escape") navigate("/gallery");
    else if (event.key === "i") viewer.classList.toggle("wide");
    else return;
    event.preventDefault();
  };
  document.addEventListener("keydown", onKey);
  show(
    h("h1", {}, name),
    viewer,
  );
  viewer.append(stage,
      h("div", { class: "card" },
        h("dl", { class: "facts" },
          h("dt", {}, "File"), h("dd", {}, image.filename),
          h("dt", {}, "Size"), h("dd", {}, bytes(image.size)),
          h("dt", {}, "Dimensions"), h("dd", {}, `${image.width} × ${image.height}`),
          h("dt", {}, "Type"), h("dd", {}, image.contentType),
          h("dt", {}, "SHA-256"), h("dd", {}, image.sha256),
          h("dt", {}, "Created"), h("dd", {}, new Date(image.createdAt).toLocaleString()),
          h("dt", {}, "Visibility"), h("dd", {}, image.visibility)),
        h("h2", {}, "Tags"), state, tagList, editor,
        h("div", { class: "row" },
          h("a", { class: "button", href: image.url, download: image.filename }, "Download"), share,
          h("a", { class: "button", href: `/tags?similar=${encodeURIComponent(id)}` }, "Find similar"), boxes, remove),
        shareOut));
}

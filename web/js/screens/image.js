import { call } from "../api.js";
import { bytes, h, show, toast } from "../dom.js";
import { subscribe } from "../events.js";
import { navigate } from "../router.js";

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
  const name = image.filename || image.key;
  show(
    h("h1", {}, name),
    h("div", { class: "viewer" },
      h("img", { src: image.url, alt: name, width: image.width, height: image.height }),
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
          h("a", { class: "button", href: `/tags?similar=${encodeURIComponent(id)}` }, "Find similar"), remove),
        shareOut)));
}

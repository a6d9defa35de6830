import { upload } from "../api.js";
import { field, h, show } from "../dom.js";

export const title = "Upload";

export function render() {
  const files = h("input", { type: "file", name: "images", accept: "image/jpeg,image/png", multiple: true });
  const key = h("input", { name: "key", placeholder: "trip/beach.jpg" });
  const visibility = h("input", { type: "checkbox", name: "public" });
  const list = h("ul", { class: "uploads", "aria-label": "Uploads" });
  const form = h("form", { class: "narrow" },
    field("Images", files, "JPEG or PNG, up to 50 MiB each. You can also drop files on this page."),
    field("Key", key, "Optional: a name to find the image by (one file only)."),
    h("label", { class: "inline" }, visibility, "Public"),
    h("button", { type: "submit", class: "primary" }, "Upload"));

  function send(chosen) {
    for (const file of chosen) {
      const bar = h("progress", { max: 1, value: 0, "aria-label": `Uploading ${file.name}` });
      const state = h("span", {}, bar);
      list.append(h("li", {}, h("span", {}, file.name), state));
      const fields = { visibility: visibility.checked ? "public" : "private", key: chosen.length === 1 ? key.value.trim() : "" };
      upload(file, fields, (fraction) => { bar.value = fraction; })
        .then((image) => state.replaceChildren("Uploaded ", h("a", { href: `/images/${encodeURIComponent(image.id)}` }, "open")))
        .catch((failure) => state.replaceChildren(h("span", { class: "error" }, failure.message)));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send([...files.files]);
    form.reset();
  });
  const view = document.getElementById("view");
  view.ondragover = (event) => { event.preventDefault(); view.classList.add("drop"); };
  view.ondragleave = () => view.classList.remove("drop");
  view.ondrop = (event) => {
    event.preventDefault();
    view.classList.remove("drop");
    if (location.pathname === "/upload") send([...event.dataTransfer.files]);
  };
  show(h("h1", {}, "Upload images"), form, list);
}

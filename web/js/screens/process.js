import { call } from "../api.js";
import { field, h, show, toast, displayName } from "../dom.js";

export const title = "Process";

// Each operation's parameters, as controls with their ranges (docs/api.md has the same list).
const operations = {
  resize: [["width", "number", 1, 32768], ["height", "number", 1, 32768], ["fit", ["contain", "cover", "fill"]], ["filter", ["area", "bilinear", "bicubic", "lanczos3"]]],
  sharpen: [["sigma", "number", 0.1, 10, 0.1], ["amount", "number", 0, 10, 0.1], ["threshold", "number", 0, 255]],
  threshold: [["value", "number", 0, 255], ["mode", ["binary", "binary_inv"]]],
  otsu: [],
  color: [["mode", ["gray", "hsv", "sepia", "invert"]]],
  blur: [["sigma", "number", 0.1, 50, 0.1], ["kind", ["gaussian", "box", "median"]]],
  rotate: [["degrees", "number", -360, 360, 0.1], ["expand", "checkbox"], ["background", "text"]],
  flip: [["axis", ["horizontal", "vertical", "both"]]],
  crop: [["x", "number", 0, 100000], ["y", "number", 0, 100000], ["width", "number", 1, 100000], ["height", "number", 1, 100000]],
  dehaze: [],
  autorotate: [],
};

function control([name, kind, min, max, step]) {
  if (Array.isArray(kind)) return field(name, h("select", { name }, kind.map((value) => h("option", { value }, value))));
  if (kind === "checkbox") return h("label", { class: "inline" }, h("input", { type: "checkbox", name, checked: true }), name);
  return field(name, h("input", { type: kind, name, min, max, step: step ?? 1, inputmode: "decimal" }), kind === "number" ? `${min}…${max}` : null);
}

function step(kind) {
  const box = h("fieldset", { class: "card" }, h("legend", {}, kind), ...operations[kind].map(control));
  box.dataset.op = kind;
  const remove = h("button", { type: "button", "aria-label": `Remove ${kind}` }, "Remove");
  remove.addEventListener("click", () => box.remove());
  box.append(remove);
  return box;
}

function read(box) {
  const kind = box.dataset.op;
  const op = kind === "otsu" ? { op: "threshold", method: "otsu" } : { op: kind };
  for (const input of box.querySelectorAll("input, select")) {
    if (input.type === "checkbox") op[input.name] = input.checked;
    else if (input.value !== "") op[input.name] = input.type === "number" ? Number(input.value) : input.value;
  }
  return op;
}

export async function render() {
  const mine = await call("GET", "/v1/images?limit=100");
  const source = h("select", { name: "image" }, h("option", { value: "" }, "— a file instead —"),
    mine.items.map((image) => h("option", { value: image.id }, displayName(image))));
  const file = h("input", { type: "file", accept: "image/jpeg,image/png" });
  const chain = h("div", { class: "chain", "aria-label": "Operations" });
  const adder = h("select", { "aria-label": "Operation" }, Object.keys(operations).map((kind) => h("option", { value: kind }, kind)));
  const add = h("button", { type: "button" }, "Add operation");
  add.addEventListener("click", () => chain.append(step(adder.value)));
  const format = h("select", { name: "format" }, h("option", { value: "jpeg" }, "JPEG"), h("option", { value: "png" }, "PNG"));
  const key = h("input", { name: "key", placeholder: "processed/photo.jpg" });
  const error = h("p", { class: "error", role: "alert" });
  const original = h("img", { alt: "Original" });
  const result = h("img", { alt: "Result" });

  function body(save) {
    const ops = [...chain.children].map(read);
    if (source.value) return { imageId: source.value, ops, format: format.value, save, key: key.value.trim() || undefined };
    if (!file.files[0]) throw new Error("Choose one of your images or a file");
    const data = new FormData();
    data.append("file", file.files[0], file.files[0].name);
    data.append("ops", JSON.stringify(ops));
    data.append("format", format.value);
    if (save) data.append("save", "true");
    if (key.value.trim()) data.append("key", key.value.trim());
    return data;
  }
  source.addEventListener("change", () => {
    const chosen = mine.items.find((image) => image.id === source.value);
    original.src = chosen ? chosen.url : "";
  });
  file.addEventListener("change", () => { if (file.files[0]) original.src = URL.createObjectURL(file.files[0]); });
  const preview = h("button", { type: "button", class: "primary" }, "Preview");
  preview.addEventListener("click", async () => {
    error.textContent = "";
    try { result.src = URL.createObjectURL(await call("POST", "/v1/process", body(false), { as: "blob" })); } catch (failure) { error.textContent = failure.message; }
  });
  const save = h("button", { type: "button" }, "Save to gallery");
  save.addEventListener("click", async () => {
    error.textContent = "";
    try { await call("POST", "/v1/process", body(true)); toast("Saved to the gallery"); } catch (failure) { error.textContent = failure.message; }
  });
  show(h("h1", {}, "Process an image"),
    h("div", { class: "narrow" }, field("Image", source), field("Or a file", file)),
    h("h2", {}, "Operations"), chain, h("div", { class: "row" }, adder, add),
    h("div", { class: "narrow" }, field("Output format", format), field("Key", key, "Where Save to gallery puts it.")),
    error, h("div", { class: "row" }, preview, save),
    h("div", { class: "viewer" }, h("figure", {}, original, h("figcaption", {}, "Original")), h("figure", {}, result, h("figcaption", {}, "Result"))));
}

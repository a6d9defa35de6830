import { call } from "../api.js";
import { field, h, show, displayName } from "../dom.js";

export const title = "Recognize";

const svgNS = "http://www.w3.org/2000/svg";

function svg(tag, attributes) {
  const element = document.createElementNS(svgNS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

export async function render() {
  const mine = await call("GET", "/v1/images?limit=100");
  const source = h("select", { name: "image" }, h("option", { value: "" }, "— a file instead —"),
    mine.items.map((image) => h("option", { value: image.id }, displayName(image))));
  const file = h("input", { type: "file", accept: "image/jpeg,image/png" });
  const error = h("p", { class: "error", role: "alert" });
  const stage = h("div", {});
  const table = h("tbody", {});
  const go = h("button", { type: "button", class: "primary" }, "Recognize");
  go.addEventListener("click", async () => {
    error.textContent = "";
    try {
      const blob = source.value
        ? await call("GET", `/v1/images/${encodeURIComponent(source.value)}/content`, undefined, { as: "blob" })
        : file.files[0];
      if (!blob) throw new Error("Choose one of your images or a file");
      const data = new FormData();
      data.append("file", blob, "image");
      const answer = await call("POST", "/v1/recognize", data);
      const picture = svg("svg", { viewBox: `0 0 ${answer.width} ${answer.height}`, role: "img", "aria-label": "Detections", width: "100%" });
      const image = svg("image", { href: URL.createObjectURL(blob), width: answer.width, height: answer.height });
      picture.append(image);
      for (const found of answer.detections) {
        const { x, y, width, height } = found.box;
        picture.append(svg("rect", { x, y, width, height, fill: "none", stroke: "#22d3ee", "stroke-width": Math.max(2, answer.width / 300) }));
        const label = svg("text", { x, y: Math.max(14, y - 4), fill: "#22d3ee", "font-size": Math.max(14, answer.width / 50) });
        label.textContent = `${found.label} ${Math.round(found.confidence * 100)}%`;
        picture.append(label);
      }
      stage.replaceChildren(picture);
      table.replaceChildren(...answer.detections.map((found) => h("tr", {}, h("td", {}, found.label), h("td", {}, `${Math.round(found.confidence * 100)}%`))));
      if (answer.detections.length === 0) table.append(h("tr", {}, h("td", { colspan: 2, class: "muted" }, "Nothing recognised.")));
    } catch (failure) { error.textContent = failure.message; }
  });
  show(h("h1", {}, "Recognize objects"), h("div", { class: "narrow" }, field("Image", source), field("Or a file", file), error, go),
    h("div", { class: "viewer" }, stage, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Label"), h("th", {}, "Confidence"))), table)));
}

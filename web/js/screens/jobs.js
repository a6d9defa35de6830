import { call } from "../api.js";
import { h, relativeTime, show, toast } from "../dom.js";
import { subscribe } from "../events.js";

export const title = "Jobs";

const STAGES = ["fetch", "decode", "process", "encode", "store"];

function chip(status) { return h("span", { class: `chip ${status}` }, status); }

export async function render(_params, _query, current) {
  const files = h("input", { type: "file", name: "image", accept: "image/jpeg,image/png", multiple: true, "aria-label": "Image" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "row" }, files, h("button", { type: "submit", class: "primary" }, "Dehaze"));
  const body = h("tbody", {});
  const table = h("table", {}, h("thead", {}, h("tr", {},
    h("th", {}, "Job ID"), h("th", {}, "Status"), h("th", {}, "File"), h("th", {}, "Created"), h("th", {}, "Timings"),
    h("th", {}, h("span", { class: "muted" }, "Actions")))), body);
  const jobId = h("input", { name: "job", "aria-label": "Job ID", placeholder: "job_…" });
  const fetcher = h("form", { class: "row" }, jobId, h("button", { type: "submit" }, "Download result"));

  async function download(id) {
    const blob = await call("GET", `/v1/jobs/${encodeURIComponent(id)}/result`, undefined, { as: "blob" });
    const extension = blob.type === "image/png" ? "png" : "jpg";
    const link = h("a", { href: URL.createObjectURL(blob), download: `${id}-result.${extension}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  }
  function preview(url, alt) {
    if (!url) return null;
    const image = h("img", { src: url, alt, loading: "lazy", width: 64, height: 64 });
    image.addEventListener("error", () => image.remove());
    return image;
  }
  async function refresh() {
    const list = await call("GET", "/v1/jobs?limit=100");
    body.replaceChildren(...list.items.map((job) => h("tr", {},
      h("td", {}, h("code", {}, job.id)),
      h("td", {}, chip(job.status), job.error ? h("div", { class: "error" }, job.error) : null),
      h("td", {}, h("div", { class: "pair" },
        preview(job.thumbnailUrl, `Input of ${job.id}`),
        job.resultThumbnailUrl ? h("span", { "aria-hidden": "true" }, "→") : null,
        preview(job.resultThumbnailUrl, `Result of ${job.id}`)), job.originalFilename),
      h("td", { title: new Date(job.createdAt).toLocaleString() }, relativeTime(job.createdAt)),
      h("td", {}, Object.entries(job.timings).sort(([a], [b]) => STAGES.indexOf(a) - STAGES.indexOf(b)).map(([stage, ms]) => `${stage} ${Math.round(ms)} ms`).join(", ")),
      h("td", { class: "row" },
        job.status === "completed" && job.resultImageId
          ? [h("button", { type: "button", "aria-label": `Download result of ${job.id}`,
              onclick: () => download(job.id).catch((failure) => toast(failure.message)) }, "Download"),
            h("a", { class: "button", href: `/images/${encodeURIComponent(job.resultImageId)}`, "aria-label": `Open result of ${job.id}` }, "Result")]
          : null,
        h("button", { type: "button", "aria-label": `Delete job ${job.id}`,
          onclick: async () => { await call("DELETE", `/v1/jobs/${encodeURIComponent(job.id)}`); refresh(); } }, "Delete")))));
    if (list.items.length === 0) body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No jobs yet — choose an image and Dehaze.")));
    return list.items.some((job) => job.status === "pending" || job.status === "running");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    for (const file of files.files) {
      const data = new FormData();
      data.append("file", file, file.name);
      try { await call("POST", "/v1/jobs", data); } catch (failure) { error.textContent = `${file.name}: ${failure.message}`; }
    }
    form.reset();
    await refresh();
  });
  fetcher.addEventListener("submit", (event) => {
    event.preventDefault();
    download(jobId.value.trim()).catch((failure) => toast(failure.message));
  });
  const clear = h("button", { type: "button" }, "Clear history");
  clear.addEventListener("click", async () => { await call("DELETE", "/v1/jobs"); toast("Finished jobs cleared"); refresh(); });
  show(h("h1", {}, "Dehaze jobs"), form, error, h("h2", {}, "My jobs"), table, h("div", { class: "row" }, clear),
    h("h2", {}, "By job ID"), fetcher);
  await refresh();
  // Statuses change by themselves: the server pushes each job's change.
  let queued = null;
  const stop = subscribe((event) => {
    if (!current()) return stop();
    if (event.kind !== "job.changed" && event.kind !== "image.created") return;
    clearTimeout(queued);
    queued = setTimeout(() => { if (current()) refresh().catch(() => {}); }, 100);
  });
}

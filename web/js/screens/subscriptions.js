import { call } from "../api.js";
import { field, h, show, toast } from "../dom.js";

export const title = "Subscriptions";

export async function render() {
  const list = h("tbody", {});
  const tags = h("input", { name: "tags", required: true, placeholder: "car, dog" });
  const channel = h("select", { name: "channel" }, h("option", { value: "email" }, "E-mail"), h("option", { value: "webhook" }, "Webhook"));
  const target = h("input", { name: "target", placeholder: "Leave empty for your own address" });
  const error = h("p", { class: "error", role: "alert" });
  const secret = h("p", { role: "status" });
  const form = h("form", { class: "narrow" }, field("Tags", tags, "Comma-separated; you hear of each new image that carries one."),
    field("Channel", channel), field("Target", target, "An e-mail address or an https:// webhook URL."), error,
    h("button", { type: "submit", class: "primary" }, "Subscribe"));

  async function refresh() {
    const page = await call("GET", "/v1/subscriptions");
    list.replaceChildren(...page.items.map((item) => h("tr", {},
      h("td", {}, item.tags.join(", ")), h("td", {}, item.channel), h("td", {}, item.target),
      h("td", {}, h("span", { class: `chip ${item.status}` }, item.status)),
      h("td", {}, `${item.deliveries.delivered} sent, ${item.deliveries.pending} waiting, ${item.deliveries.dropped} dropped`,
        item.deliveries.lastError ? h("div", { class: "error" }, item.deliveries.lastError) : null),
      h("td", {}, h("button", { type: "button", onclick: async () => { await call("DELETE", `/v1/subscriptions/${encodeURIComponent(item.id)}`); refresh(); } }, "Unsubscribe")))));
    if (page.items.length === 0) list.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No subscriptions yet.")));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    secret.textContent = "";
    const body = { tags: tags.value.split(",").map((tag) => tag.trim()).filter(Boolean), channel: channel.value };
    if (target.value.trim()) body.target = target.value.trim();
    try {
      const made = await call("POST", "/v1/subscriptions", body);
      form.reset();
      if (made.secret) secret.textContent = `Webhook secret (shown once): ${made.secret}`;
      toast(made.status === "pending" ? "Check that inbox for a confirmation link" : "Subscribed");
      refresh();
    } catch (failure) { error.textContent = failure.message; }
  });
  show(h("h1", {}, "Subscriptions"), form, secret, h("h2", {}, "Mine"),
    h("table", {}, h("thead", {}, h("tr", {}, ["Tags", "Channel", "Target", "State", "Deliveries", ""].map((name) => h("th", {}, name)))), list));
  await refresh();
}

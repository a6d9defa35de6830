import { call, forget } from "../api.js";
import { bytes, field, h, show, toast } from "../dom.js";

export const title = "Account";

export async function render() {
  const me = await call("GET", "/v1/me");
  let used = 0;
  let count = 0;
  let cursor = null;
  do {
    const page = await call("GET", `/v1/images?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const image of page.items) { used += image.size; count += 1; }
    cursor = page.nextCursor;
  } while (cursor && count < 5000);

  const oldPassword = h("input", { type: "password", autocomplete: "current-password", required: true });
  const newPassword = h("input", { type: "password", autocomplete: "new-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const change = h("form", { class: "narrow" }, field("Current password", oldPassword), field("New password", newPassword),
    error, h("button", { type: "submit", class: "primary" }, "Change password"));
  change.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await call("POST", "/v1/auth/password/change", { oldPassword: oldPassword.value, newPassword: newPassword.value });
      change.reset();
      toast("Password changed; other sign-ins were signed out");
    } catch (failure) { error.textContent = failure.message; }
  });
  const everywhere = h("button", { type: "button" }, "Sign out everywhere");
  everywhere.addEventListener("click", async () => { await call("POST", "/v1/auth/logout-all"); forget(); });
  const confirmPassword = h("input", { type: "password", autocomplete: "current-password" });
  const deleteError = h("p", { class: "error", role: "alert" });
  const remove = h("button", { type: "button", class: "danger" }, "Delete account");
  remove.addEventListener("click", async () => {
    deleteError.textContent = "";
    if (!confirm("Delete your account and every image, job, tag and subscription? This cannot be undone.")) return;
    try {
      await call("DELETE", "/v1/me", { password: confirmPassword.value });
      forget();
    } catch (failure) { deleteError.textContent = failure.message; }
  });
  show(h("h1", {}, "Account"),
    h("div", { class: "card" }, h("dl", { class: "facts" },
      h("dt", {}, "Username"), h("dd", {}, me.username), h("dt", {}, "Email"), h("dd", {}, me.email),
      h("dt", {}, "Images"), h("dd", {}, String(count)), h("dt", {}, "Storage used"), h("dd", {}, bytes(used)),
      h("dt", {}, "Member since"), h("dd", {}, new Date(me.createdAt * 1000).toLocaleDateString()))),
    h("h2", {}, "Change password"), change,
    h("h2", {}, "Sessions"), everywhere,
    h("h2", {}, "Delete account"), h("div", { class: "narrow" }, field("Password", confirmPassword, "Asked again before anything is deleted."), deleteError, remove));
}

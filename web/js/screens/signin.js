import { signIn } from "../api.js";
import { field, h, show } from "../dom.js";
import { navigate } from "../router.js";

export const title = "Sign in";

export function render(_params, query) {
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "narrow" },
    field("Username or email", username), field("Password", password), error,
    h("button", { type: "submit", class: "primary" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await signIn(username.value.trim(), password.value);
      const next = query.get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/gallery", { replace: true });
    } catch (failure) {
      error.textContent = failure.code === "UserNotConfirmed"
        ? "Confirm your account first with the code we mailed you." : failure.message;
    }
  });
  show(h("h1", {}, "Sign in to Clearsky"), form,
    h("p", {}, h("a", { href: "/signup" }, "Create an account"), " · ", h("a", { href: "/forgot" }, "Forgot password")));
}

import { call } from "../api.js";
import { field, h, show, toast } from "../dom.js";
import { navigate } from "../router.js";

export const title = "Forgot password";

export function render() {
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "narrow" }, field("Username", username), error,
    h("button", { type: "submit", class: "primary" }, "Send code"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await call("POST", "/v1/auth/password/forgot", { username: username.value.trim() }, { signedIn: false });
      reset(username.value.trim());
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  show(h("h1", {}, "Forgot password"), h("p", {}, "We mail a code to the account's address."), form);
}

function reset(name) {
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "narrow" }, field("Code", code), field("New password", password), error,
    h("button", { type: "submit", class: "primary" }, "Set password"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await call("POST", "/v1/auth/password/reset", { username: name, code: code.value.trim(), newPassword: password.value }, { signedIn: false });
      toast("Password changed — sign in with it");
      navigate("/signin");
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  show(h("h1", {}, "Set a new password"), form);
}

import { call } from "../api.js";
import { field, h, show, toast } from "../dom.js";
import { navigate } from "../router.js";

export const title = "Create account";

const rules = "At least 8 characters, with an upper-case letter, a lower-case letter, a digit and a symbol.";

export function render(_params, query) {
  if (location.pathname === "/confirm") return confirm(query.get("username") ?? "");
  const username = h("input", { name: "username", autocomplete: "username", required: true, minlength: 3, maxlength: 64 });
  const email = h("input", { name: "email", type: "email", autocomplete: "email", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 8 });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "narrow" },
    field("Username", username, "3–64 letters, digits, '.', '_' or '-'."), field("Email", email),
    field("Password", password, rules), error, h("button", { type: "submit", class: "primary" }, "Create account"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await call("POST", "/v1/auth/signup", { username: username.value.trim(), email: email.value.trim(), password: password.value }, { signedIn: false });
      navigate(`/confirm?username=${encodeURIComponent(username.value.trim())}`);
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  show(h("h1", {}, "Create your account"), form, h("p", {}, "Have one? ", h("a", { href: "/signin" }, "Sign in")));
}

function confirm(name) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, value: name });
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true, pattern: "[0-9]{6}" });
  const error = h("p", { class: "error", role: "alert" });
  const resend = h("button", { type: "button" }, "Resend code");
  const form = h("form", { class: "narrow" },
    h("p", {}, "We mailed a 6-digit code to the address you gave."),
    field("Username", username), field("Confirmation code", code), error,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Confirm"), resend));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await call("POST", "/v1/auth/confirm", { username: username.value.trim(), code: code.value.trim() }, { signedIn: false });
      toast("Account confirmed — sign in now");
      navigate("/signin");
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  resend.addEventListener("click", async () => {
    error.textContent = "";
    try {
      await call("POST", "/v1/auth/resend-code", { username: username.value.trim() }, { signedIn: false });
      toast("A new code is on its way");
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  show(h("h1", {}, "Confirm your account"), form);
}

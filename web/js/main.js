// The app: navigation, the signed-in check, and one module per screen, loaded when first shown.
import { isSignedIn, onSignOut, signOut } from "./api.js";
import { h, show } from "./dom.js";
import { match, navigate, route, start } from "./router.js";

route("/signin", () => import("./screens/signin.js"), { public: true });
route("/signup", () => import("./screens/signup.js"), { public: true });
route("/confirm", () => import("./screens/signup.js"), { public: true });
route("/forgot", () => import("./screens/forgot.js"), { public: true });
route("/gallery", () => import("./screens/gallery.js"));
route("/public", () => import("./screens/gallery.js"));
route("/upload", () => import("./screens/upload.js"));
route("/images/:id", () => import("./screens/image.js"));
route("/jobs", () => import("./screens/jobs.js"));
route("/tags", () => import("./screens/tags.js"));
route("/subscriptions", () => import("./screens/subscriptions.js"));
route("/process", () => import("./screens/process.js"));
route("/recognize", () => import("./screens/recognize.js"));
route("/account", () => import("./screens/account.js"));

const rail = document.querySelector(".rail");
let drawn = 0;

async function render() {
  const path = location.pathname;
  if (path === "/") return navigate(isSignedIn() ? "/gallery" : "/signin", { replace: true });
  const found = match(path);
  if (!found) return show(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "/gallery" }, "Go to the gallery")));
  if (!found.open && !isSignedIn()) return navigate(`/signin?next=${encodeURIComponent(path + location.search)}`, { replace: true });
  rail.hidden = found.open;
  for (const link of rail.querySelectorAll("a[data-nav]")) {
    const current = path === `/${link.dataset.nav}` || (link.dataset.nav === "gallery" && path.startsWith("/images/"));
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  const ticket = ++drawn;
  const screen = await found.load();
  // A later navigation won while this module loaded.
  if (ticket !== drawn) return;
  document.title = `${screen.title ?? "Clearsky"} · Clearsky`;
  try {
    await screen.render(found.params, new URLSearchParams(location.search), () => ticket === drawn);
  } catch (error) {
    show(h("h1", {}, screen.title ?? "Clearsky"), h("p", { class: "error", role: "alert" }, error.message));
  }
}

document.getElementById("sign-out").addEventListener("click", async () => {
  await signOut();
});
onSignOut(() => navigate("/signin", { replace: true }));

start(render);

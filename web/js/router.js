// URLs are real (/gallery, /images/ID, /jobs, /tags?q=dog): links inside the app change the
// History API's state and render the screen; reload, back and shared links land on the same screen.

const routes = [];
let render = null;

/** `pattern` like "/images/:id"; `load` resolves to a module whose `render(params, query)` draws it. */
export function route(pattern, load, { public: open = false } = {}) {
  const names = [];
  const expression = new RegExp(
    "^" + pattern.replace(/:(\w+)/g, (_, name) => { names.push(name); return "([^/]+)"; }) + "/?$");
  routes.push({ expression, names, load, open });
}

export function match(path) {
  for (const entry of routes) {
    const found = entry.expression.exec(path);
    if (found) {
      const params = {};
      entry.names.forEach((name, index) => { params[name] = decodeURIComponent(found[index + 1]); });
      return { ...entry, params };
    }
  }
  return null;
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  render?.();
}

export function start(renderer) {
  render = renderer;
  window.addEventListener("popstate", () => render());
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || link.target || link.hasAttribute("download")) return;
    if (url.pathname.startsWith("/v1/") || url.pathname.startsWith("/assets/")) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  render();
}

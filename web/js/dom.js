// Small DOM helpers. Text from users always goes in as text (textContent) or as attribute values,
// never as HTML.

/** h("a", {href: "/x", class: "y"}, "text", child) — an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces the main view's content and moves focus to its heading, as a page load would. */
export function show(...children) {
  const view = document.getElementById("view");
  view.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  const heading = view.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

/** A short confirmation in the corner, read out by screen readers. */
export function toast(message) {
  const box = document.getElementById("toast");
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.textContent = ""; }, 4000);
}

/** A form field: a label around its input, with an optional hint. */
export function field(label, input, hint) {
  return h("label", {}, label, hint ? h("span", { class: "hint" }, hint) : null, input);
}

/** "3 min ago", with the absolute time for a title attribute. */
export function relativeTime(iso) {
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function bytes(count) {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / 1024 / 1024).toFixed(1)} MiB`;
}

/** What a person calls an image: the key they chose, else the file's name (generated keys are `<id>.<ext>`). */
export function displayName(image) {
  const chosen = image.key && !image.key.startsWith(`${image.id}.`);
  return (chosen ? image.key : image.filename) || image.key;
}

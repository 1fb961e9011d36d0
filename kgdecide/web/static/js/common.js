/* Shared helpers for the kgdecide pages: JSON calls with the CSRF token, errors shown as the
   API words them, a keyboard-usable search-as-you-type combobox, downloads. No framework. */
"use strict";
window.kg = (function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  /** Call a JSON endpoint; resolves to the body, rejects with an Error carrying the API error. */
  async function call(url, body) {
    const options = body === undefined ? {} : {
      method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    };
    let response;
    try {
      response = await fetch(url, options);
    } catch (e) {
      throw Object.assign(new Error("The server cannot be reached. Check that kgdecide serve is running."), { status: 0 });
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const err = (data && data.error) || { message: response.statusText, fix: "" };
      const text = err.message + (err.field ? " (" + err.field + ")" : "") + (err.fix ? ". " + err.fix : "");
      throw Object.assign(new Error(text), { status: response.status, code: err.code });
    }
    return data;
  }

  /** Schemes a link or a source may use; anything else (javascript:, data:, vbscript:, ...)
      would run or load content the graph's data chose. */
  const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:", "blob:"]);
  const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href", "poster", "srcset"]);

  /** ``value`` resolved against this page when its scheme is a safe one, else null. */
  function safeUrl(value) {
    try {
      const url = new URL(String(value), window.location.href);
      return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /** A link for an absolute http(s) URL (opened apart from this page), plain text otherwise. */
  function linkOrText(value) {
    const text = String(value);
    if (/^https?:\/\//i.test(text) && safeUrl(text)) {
      return el("a", { href: text, rel: "noopener noreferrer", target: "_blank" }, text);
    }
    return document.createTextNode(text);
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (URL_ATTRIBUTES.has(key.toLowerCase()) && safeUrl(value) === null) continue;  // refused
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function showMessage(box, text) {
    box.textContent = text || "";
    box.hidden = !text;
  }

  function download(filename, blob) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  const PALETTE = ["#0b5cad", "#1c6b35", "#9b1c1c", "#6b3fa0", "#b35900", "#00707a", "#8a1c5c", "#4a5563", "#5b6b00"];
  const typeColours = {};
  function colourFor(type) {
    if (!(type in typeColours)) typeColours[type] = PALETTE[Object.keys(typeColours).length % PALETTE.length];
    return typeColours[type];
  }

  /** Search-as-you-type: input + listbox, arrows/Enter/Escape, debounced requests. */
  function combobox(input, list, fetchItems, render, onPick) {
    let items = [], active = -1, timer = null, seq = 0;
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; input.removeAttribute("aria-activedescendant"); }
    function mark() {
      [...list.children].forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
      if (active >= 0) { input.setAttribute("aria-activedescendant", list.children[active].id); list.children[active].scrollIntoView({ block: "nearest" }); }
    }
    function pick(i) { const item = items[i]; close(); input.value = ""; if (item) onPick(item); }
    async function refresh() {
      const q = input.value.trim();
      const mine = ++seq;
      if (!q) { close(); return; }
      let found;
      try { found = await fetchItems(q); } catch (e) { found = []; }
      if (mine !== seq) return;  // a newer keystroke already asked
      items = found;
      list.replaceChildren(...items.map((item, i) => {
        const li = el("li", { id: list.id + "-" + i, role: "option", "aria-selected": "false" }, render(item));
        li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pick(i); });
        return li;
      }));
      active = items.length ? 0 : -1;
      list.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      mark();
    }
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 120); });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown" && items.length) { active = (active + 1) % items.length; mark(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp" && items.length) { active = (active - 1 + items.length) % items.length; mark(); ev.preventDefault(); }
      else if (ev.key === "Enter") { if (!list.hidden && active >= 0) { pick(active); } ev.preventDefault(); }
      else if (ev.key === "Escape") { close(); }
    });
    // Close shortly after focus leaves (a click on an option lands first), unless focus came
    // back: typing straight after a click elsewhere must not have its fresh list closed.
    input.addEventListener("blur", () => setTimeout(() => { if (document.activeElement !== input) close(); }, 150));
  }

  return { call, el, safeUrl, linkOrText, showMessage, download, colourFor, combobox };
})();

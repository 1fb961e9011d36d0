/* The analyst page: holdings (typed or from a CSV file), an event and a date -> POST
   /finance/exposure -> holdings ranked by exposure, each as a share of the portfolio's exposure
   and a percentile among listed companies, with the dated paths behind it as a graph and a
   table; then the entities most related to the event (POST /finance/related) and the links
   predicted from it (POST /finance/predict) with their reasons. Everything shown is rendered
   from the JSON these calls return. */
"use strict";
(function () {
  const { call, el, showMessage, download, combobox, colourFor } = window.kg;
  const $ = (id) => document.getElementById(id);
  const form = $("exposure-form");
  const ID_COLUMNS = ["identifier", "ticker", "isin", "figi", "symbol", "id", "cusip", "cik"];
  let request = null;   // the last exposure request body
  let answer = null;    // the last exposure result (holdings of every page so far)
  let eventNode = null; // the node the event resolved to, for related and predict

  // --- holdings: text or CSV -----------------------------------------------------------------
  /** One CSV line's fields (quotes as RFC 4180: "a, b" is one field, "" is a quote). */
  function fields(line) {
    const out = [];
    let cur = "", quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
        else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === "," || c === ";" || c === "\t") { out.push(cur.trim()); cur = ""; }
      else cur += c;
    }
    out.push(cur.trim());
    return out;
  }

  /** Holdings from lines of "identifier, weight" or a CSV with a header; errors name the line. */
  function parseHoldings(text) {
    const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, f: fields(l) }))
      .filter((l) => l.f.some((x) => x !== ""));
    let idCol = 0, weightCol = 1;
    if (lines.length) {
      const head = lines[0].f.map((x) => x.toLowerCase());
      const found = head.findIndex((h) => ID_COLUMNS.includes(h));
      if (found >= 0) {
        idCol = found;
        weightCol = head.findIndex((h) => ["weight", "weights", "share", "w"].includes(h));
        lines.shift();
      }
    }
    const holdings = [], errors = [];
    for (const { n, f } of lines) {
      const id = f[idCol] || "";
      const raw = weightCol >= 0 && weightCol < f.length ? f[weightCol].replace(/%$/, "") : "";
      if (!id) { errors.push("line " + n + ": no identifier"); continue; }
      if (raw === "") { holdings.push({ id }); continue; }
      const weight = Number(raw);
      if (!Number.isFinite(weight)) errors.push("line " + n + ": the weight " + JSON.stringify(f[weightCol]) + " of " + id + " is not a number");
      else if (weight < 0) errors.push("line " + n + ": the weight of " + id + " is negative (short positions are not supported)");
      else holdings.push({ id, weight });
    }
    const some = holdings.filter((h) => "weight" in h).length;
    if (some && some < holdings.length) errors.push("give a weight for every holding or for none (none: equal weights)");
    return { holdings, errors };
  }

  $("csv").addEventListener("change", async () => {
    const file = $("csv").files[0];
    if (!file) return;
    const parsed = parseHoldings(await file.text());
    $("holdings").value = parsed.holdings.map((h) => "weight" in h ? h.id + ", " + h.weight : h.id).join("\n");
    $("parsed").textContent = "Read " + parsed.holdings.length + " holdings from " + file.name +
      (parsed.errors.length ? "; skipped: " + parsed.errors.join("; ") : "") + ".";
  });

  // --- the event ------------------------------------------------------------------------------
  combobox($("event"), $("event-suggestions"),
    (q) => call("/finance/entities?limit=12&q=" + encodeURIComponent(q)).then((d) => d.items),
    (item) => [item.label, el("span", { class: "sid" }, item.type + " · " + (item.ticker || item.id))],
    (item) => { $("event").value = item.label; $("event").dataset.id = item.id; });
  // A chosen entity is sent by its id; once the text is edited, the text is sent (and linked).
  $("event").addEventListener("input", () => { delete $("event").dataset.id; });

  $("example").addEventListener("click", () => {
    $("holdings").value = "AAPL, 0.4\nDAL, 0.3\nXOM, 0.2\nJPM, 0.1";
    $("event").value = "COVID-19";
    delete $("event").dataset.id;
    const day = "2020-03-08";
    if (day >= form.dataset.firstDay && day <= form.dataset.lastDay) $("as-of").value = day;
  });

  // --- figures in words -----------------------------------------------------------------------
  function percent(x) {
    if (x <= 0) return "0%";
    if (x < 0.001) return "< 0.1%";
    return (100 * x).toFixed(1) + "%";
  }
  const relationText = (r) => r.replace(/_/g, " ");
  const holdingName = (c) => (c.ticker ? c.ticker + " · " : "") + c.label;

  // --- exposure -------------------------------------------------------------------------------
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showMessage($("message"), "");
    const parsed = parseHoldings($("holdings").value);
    if (parsed.errors.length) { showMessage($("message"), "Holdings: " + parsed.errors.join("; ") + "."); return; }
    if (!parsed.holdings.length) { showMessage($("message"), "Holdings: give at least one identifier, e.g. AAPL, 0.5."); $("holdings").focus(); return; }
    const event = $("event").dataset.id || $("event").value.trim();
    if (!event) { showMessage($("message"), "Event or entity: type one and choose it from the list."); $("event").focus(); return; }
    request = { event, as_of: $("as-of").value || null, limit: 50,
      portfolios: [{ id: "portfolio", holdings: parsed.holdings }] };
    $("rank").disabled = true;
    try {
      const data = await call("/finance/exposure", request);
      const only = data.results[0];
      if (only.error) throw new Error(only.error.message + " (" + only.error.field + ")");
      answer = only.result;
      renderExposure(answer, false);
      eventNode = answer.event.nodes[0];
      loadRelated();
      loadPredicted();
    } catch (e) {
      showMessage($("message"), e.message);
    } finally {
      $("rank").disabled = false;
    }
  });

  $("more").addEventListener("click", async () => {
    $("more").disabled = true;
    try {
      const data = await call("/finance/exposure", { ...request, cursor: answer.next_cursor });
      const page = data.results[0].result;
      answer = { ...answer, holdings: answer.holdings.concat(page.holdings), next_cursor: page.next_cursor };
      renderExposure(page, true);
    } catch (e) {
      showMessage($("message"), e.message);
    } finally {
      $("more").disabled = false;
    }
  });

  $("download").addEventListener("click", () => {
    download("exposure.json", new Blob([JSON.stringify(answer, null, 2)], { type: "application/json" }));
  });

  function renderExposure(result, appended) {
    $("empty").hidden = true;
    $("download").disabled = false;
    const listed = result.listed_companies || { count: 0, reached: 0 };
    if (!appended) {
      const names = result.event.nodes.map((n) => n.label).join(", ");
      $("summary").textContent = "Exposure to " + names + " as of " + (result.as_of || "the graph's last week") +
        ", graph " + result.graph_version + ". The event reaches " + listed.reached.toLocaleString() +
        " of " + listed.count.toLocaleString() + " listed companies.";
      $("summary").hidden = false;
      $("notes").replaceChildren(...result.notes.map((n) => el("li", {}, n)));
      const unknown = result.unresolved || [];
      $("unresolved").replaceChildren(...(unknown.length ? [
        el("strong", {}, "Not in the graph, left out (" + unknown.length + "): "),
        el("ul", { id: "unresolved-list" }, ...unknown.map((u) => el("li", {}, el("code", {}, u.identifier), " — " + u.problem))),
      ] : []));
      $("unresolved").hidden = !unknown.length;
      $("exposure-rows").replaceChildren();
      $("paths-section").hidden = true;
    }
    $("exposure-rows").append(...result.holdings.map((h) => holdingRow(h, listed)));
    $("exposure-table").hidden = false;
    $("more").hidden = !answer.next_cursor;
  }

  function holdingRow(h, listed) {
    const bar = el("span", { class: "bar", "aria-hidden": "true" }, el("span"));
    bar.firstChild.style.width = Math.max(0, Math.min(100, 100 * h.share)) + "%";
    const reached = h.exposure > 0;  // the walk reaches it (its score is never shown)
    const where = reached
      ? el("span", { title: "more exposed than " + h.percentile + "% of " + listed.count.toLocaleString() + " listed companies" },
        h.percentile.toFixed(1))
      : el("span", { class: "muted" }, "not reached");
    return el("tr", { "data-id": h.company.id },
      el("td", { class: "num" }, String(h.rank)),
      el("td", {}, holdingName(h.company), h.identifier !== h.company.ticker ? el("span", { class: "sid" }, " (" + h.identifier + ")") : null),
      el("td", { class: "num" }, percent(h.weight)),
      el("td", { class: "share" }, bar, el("span", { class: "num" }, percent(h.share))),
      el("td", { class: "num" }, where),
      el("td", {}, h.paths.length
        ? el("button", { type: "button", class: "secondary show-paths", onclick: () => showPaths(h) },
          "Show " + h.paths.length + (h.paths.length === 1 ? " path" : " paths"))
        : el("span", { class: "muted" }, "none")));
  }

  // --- paths: a graph and a table ---------------------------------------------------------------
  let cy = null;
  function graph() {
    if (cy) return cy;
    cy = cytoscape({
      container: $("path-graph"), elements: [], minZoom: 0.3, maxZoom: 1.6, userZoomingEnabled: false,
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 11, "text-wrap": "ellipsis", "text-max-width": 150,
          "background-color": (n) => colourFor(n.data("type")), width: 18, height: 18, "text-valign": "bottom", "text-margin-y": 3 } },
        { selector: "node.end", style: { "border-width": 3, "border-color": "#12263f" } },
        { selector: "edge", style: { width: 1.8, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#9aa5b1",
          "target-arrow-color": "#9aa5b1", label: "data(label)", "font-size": 8, color: "#4a5563", "text-rotation": "autorotate" } },
      ],
    });
    new ResizeObserver(() => cy.resize()).observe($("path-graph"));
    return cy;
  }

  function showPaths(h) {
    const paths = h.paths;
    $("paths-heading").textContent = "How " + eventNode.label + " reaches " + holdingName(h.company);
    $("paths-section").hidden = false;
    const g = graph();
    g.elements().remove();
    const labels = {};
    const rows = [];
    paths.forEach((p, i) => {
      p.nodes.forEach((n, j) => {
        labels[n.id] = n.label;
        if (!g.getElementById(n.id).length) {
          g.add({ group: "nodes", data: { id: n.id, label: n.label, type: n.type } });
        }
        if (j === 0 || j === p.nodes.length - 1) g.getElementById(n.id).addClass("end");
      });
      const sign = p.sign > 0 ? " (helps)" : p.sign < 0 ? " (hurts)" : "";
      p.steps.forEach((s, j) => {
        const id = s.subject + "|" + s.relation + "|" + s.object;
        if (!g.getElementById(id).length) {
          g.add({ group: "edges", data: { id, source: s.subject, target: s.object, label: relationText(s.relation) } });
        }
        rows.push(el("tr", {},
          el("td", {}, j === 0 ? String(i + 1) + sign : ""),
          el("td", {}, labels[s.subject] || s.subject),
          el("td", {}, relationText(s.relation) + (s.forward ? "" : " (followed backwards)")),
          el("td", {}, labels[s.object] || s.object),
          el("td", {}, s.valid_from || "–"),
          el("td", {}, s.last_seen || "–"),
          el("td", { class: "num" }, s.mentions === null || s.mentions === undefined ? "–" : String(s.mentions))));
      });
    });
    $("path-rows").replaceChildren(...rows);
    g.resize();
    g.layout({ name: "breadthfirst", directed: false, roots: "#" + CSS.escape(eventNode.id), padding: 20, spacingFactor: 1.1 }).run();
    $("paths-section").scrollIntoView({ block: "nearest" });
  }

  // --- related entities and predicted links ----------------------------------------------------
  async function loadRelated() {
    const box = $("related");
    $("related-section").hidden = false;
    box.replaceChildren(el("li", { class: "help" }, "Loading…"));
    try {
      const types = $("related-type").value ? [$("related-type").value] : [];
      const data = await call("/finance/related", { entity: eventNode.id, as_of: request.as_of, types, limit: 10 });
      box.replaceChildren(...(data.items.length ? data.items.map((i) => el("li", {},
        el("span", { class: "swatch", "aria-hidden": "true" }), " ", holdingName(i.entity), " ",
        el("span", { class: "sid" }, i.entity.type),
        i.paths.length ? el("div", { class: "help" }, pathText(i.paths[0])) : null))
        : [el("li", { class: "help" }, "Nothing of this type is reached from the event on this date.")]));
      box.querySelectorAll(".swatch").forEach((s, k) => { s.style.background = colourFor(data.items[k].entity.type); });
    } catch (e) {
      box.replaceChildren(el("li", { class: "message" }, e.message));
    }
  }
  $("related-type").addEventListener("change", () => { if (eventNode) loadRelated(); });

  function pathText(p) {
    const label = Object.fromEntries(p.nodes.map((n) => [n.id, n.label]));
    return p.steps.map((s) => label[s.subject] + " —" + relationText(s.relation) + "→ " + label[s.object] +
      (s.last_seen || s.valid_from ? " (" + (s.valid_from || "?") + (s.last_seen && s.last_seen !== s.valid_from ? " to " + s.last_seen : "") + ")" : "")).join("; ");
  }

  async function loadPredicted() {
    const box = $("predicted");
    $("predicted-section").hidden = false;
    box.replaceChildren(el("li", { class: "help" }, "Loading…"));
    try {
      const data = await call("/finance/predict", { entity: eventNode.id, as_of: request.as_of, limit: 8 });
      $("predicted-heading").textContent = "Predicted links for the week of " + data.predicted_week;
      box.replaceChildren(...(data.items.length ? data.items.map((i) => el("li", {},
        el("strong", {}, i.subject.label + " " + relationText(i.relation) + " " + i.object.label),
        el("span", { class: "sid" }, " prediction"),
        el("ul", { class: "reasons", "aria-label": "Why" }, ...(i.reasons || []).map((r) => el("li", {},
          r.kind === "rule"
            ? "rule: " + r.text + (r.confidence === null || r.confidence === undefined ? "" : " (confidence " + percent(r.confidence) + ")")
            : r.text + " (" + percent(r.share) + " of the score)"))),
        i.paths.length ? el("div", { class: "help" }, "In the graph: " + pathText(i.paths[0])) : null))
        : [el("li", { class: "help" }, (data.notes || []).join("; ") || "No link is predicted.")]));
    } catch (e) {
      box.replaceChildren(el("li", { class: "message" }, e.message));
    }
  }

  window.kgFinance = { graph: () => graph() };  // the paths' cytoscape graph, for tests
})();

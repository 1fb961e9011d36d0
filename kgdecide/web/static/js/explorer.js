/* The graph explorer: read-only GETs against /explore/*, drawn with cytoscape.js. */
"use strict";
(function () {
  const { call, el, linkOrText, showMessage, download, combobox, colourFor } = window.kg;

  /** A property value for a details row: http(s) URLs as links, everything else as text. */
  function values(v) {
    const items = Array.isArray(v) ? v : [v];
    return items.flatMap((item, i) => (i ? [", ", linkOrText(item)] : [linkOrText(item)]));
  }
  const $ = (id) => document.getElementById(id);
  const api = "/explore";
  const hidden = new Set();   // node types switched off
  let selected = null, nextCursor = null, pathSource = null, pathTarget = null;

  const cy = cytoscape({
    container: $("cy"), elements: [], minZoom: 0.15, maxZoom: 1.5,
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "text-wrap": "ellipsis", "text-max-width": 140,
        "background-color": (n) => colourFor(n.data("type")), color: "#1b1f24", width: 18, height: 18,
        "text-valign": "bottom", "text-margin-y": 3 } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#b35900" } },
      { selector: "edge", style: { width: 1.6, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#9aa5b1",
        "target-arrow-color": "#9aa5b1", label: "data(relation)", "font-size": 8, color: "#4a5563", "text-rotation": "autorotate" } },
      { selector: "edge:selected", style: { width: 3.5, "line-color": "#b35900", "target-arrow-color": "#b35900" } },
      { selector: ".path", style: { "line-color": "#0b5cad", "target-arrow-color": "#0b5cad", width: 3 } },
      { selector: ".off", style: { display: "none" } },
    ],
  });

  // cytoscape maps clicks with the container's position as it last measured it: re-measure
  // whenever the container changes size (a scrollbar appearing, the list below opening).
  new ResizeObserver(() => cy.resize()).observe($("cy"));

  function addNode(n, near) {
    if (cy.getElementById(n.id).length) return;
    // New nodes start around the node they were reached from, so the layout moves little.
    const origin = near && cy.getElementById(near).length ? cy.getElementById(near).position() : { x: 0, y: 0 };
    const angle = Math.random() * 2 * Math.PI;
    cy.add({ group: "nodes", data: { id: n.id, label: n.label || n.id, type: n.type || "Entity" },
      position: { x: origin.x + 120 * Math.cos(angle), y: origin.y + 120 * Math.sin(angle) } });
  }
  function addEdge(e) {
    const id = e.subject + "|" + e.relation + "|" + e.object;
    if (!cy.getElementById(id).length) cy.add({ group: "edges", data: { id, source: e.subject, target: e.object, relation: e.relation, props: e.properties } });
    return cy.getElementById(id);
  }
  function relayout() {
    cy.layout({ name: "cose", animate: false, fit: true, padding: 50, randomize: false,
      nodeRepulsion: () => 60000, idealEdgeLength: () => 120, componentSpacing: 100 }).run();
    applyFilter();
  }

  // --- selection ------------------------------------------------------------------------------
  async function select(id) {
    try {
      const node = await call(api + "/nodes/" + encodeURIComponent(id));
      selected = node;
      addNode(node);
      cy.elements().unselect();
      cy.getElementById(id).select();
      const rows = [["Label", node.label], ["Id", node.id], ["Type", node.type]];
      if (node.synonyms.length) rows.push(["Synonyms", node.synonyms.slice(0, 8).join("; ")]);
      for (const [k, v] of Object.entries(node.properties)) rows.push([k, values(v)]);
      $("node-details").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
      $("selected").hidden = false;
      nextCursor = null; $("more").hidden = true;
      await loadCounts();
      renderLists();
    } catch (e) { showMessage($("message"), e.message); }
  }

  async function loadCounts() {
    const d = await call(api + "/nodes/" + encodeURIComponent(selected.id) + "/neighbors?limit=1&direction=" + $("expand-direction").value);
    const current = $("expand-relation").value;
    $("expand-relation").replaceChildren(el("option", { value: "" }, "all relations (" + d.total + ")"),
      ...Object.entries(d.counts).map(([r, n]) => el("option", { value: r, selected: r === current }, r + " (" + n + ")")));
  }

  async function expand(more) {
    if (!selected) return;
    const params = new URLSearchParams({ direction: $("expand-direction").value, limit: "25" });
    if ($("expand-relation").value) params.set("relation", $("expand-relation").value);
    if ($("expand-type").value) params.set("type", $("expand-type").value);
    if (more && nextCursor) params.set("cursor", nextCursor);
    try {
      const d = await call(api + "/nodes/" + encodeURIComponent(selected.id) + "/neighbors?" + params);
      for (const item of d.items) { addNode(item.neighbor, selected.id); addEdge(item.edge); }
      nextCursor = d.next_cursor;
      $("more").hidden = !nextCursor;
      const shown = cy.getElementById(selected.id).connectedEdges().length;
      $("expand-status").textContent = d.items.length + " added; " + d.total + " match these filters" + (nextCursor ? " (More loads the next page)" : "") + ".";
      showMessage($("message"), "");
      relayout(); renderLists();
      return shown;
    } catch (e) { showMessage($("message"), e.message); }
  }
  $("expand").addEventListener("click", () => expand(false));
  $("more").addEventListener("click", () => expand(true));
  $("expand-direction").addEventListener("change", () => selected && loadCounts());

  // --- paths --------------------------------------------------------------------------------
  function pathEnds() {
    $("path-source").textContent = pathSource ? pathSource.label || pathSource.id : "–";
    $("path-target").textContent = pathTarget ? pathTarget.label || pathTarget.id : "–";
    $("find-paths").disabled = !(pathSource && pathTarget);
  }
  $("set-source").addEventListener("click", () => { pathSource = selected; pathEnds(); });
  $("set-target").addEventListener("click", () => { pathTarget = selected; pathEnds(); });
  $("find-paths").addEventListener("click", async () => {
    const params = new URLSearchParams({ source: pathSource.id, target: pathTarget.id, max_hops: $("max-hops").value || "4" });
    try {
      const d = await call(api + "/paths?" + params);
      cy.elements().removeClass("path");
      for (const p of d.paths) {
        p.nodes.forEach(addNode);
        p.edges.forEach((e) => { addEdge(e); });
      }
      relayout();
      for (const p of d.paths) {
        p.nodes.forEach((n) => cy.getElementById(n.id).addClass("path"));
        p.edges.forEach((e) => cy.getElementById(e.subject + "|" + e.relation + "|" + e.object).addClass("path"));
      }
      $("path-status").textContent = d.paths.length ? d.paths.length + " shortest path(s) of " + (d.paths[0].nodes.length - 1) + " hop(s), highlighted." : "No path within " + params.get("max_hops") + " hops.";
      renderLists();
    } catch (e) { showMessage($("message"), e.message); }
  });

  // --- provenance ---------------------------------------------------------------------------
  function showProvenance(edge) {
    const d = edge.data();
    const props = d.props || {};
    const label = (id) => { const n = cy.getElementById(id); return n.length ? n.data("label") + " (" + id + ")" : id; };
    const rows = [["Subject", label(d.source)], ["Relation", d.relation], ["Object", label(d.target)],
      ["Source", props.source === undefined ? "–" : values(props.source)], ["Evidence", props.evidence || "–"],
      ["Publications", props.publications === undefined ? "–" : values(props.publications)]];
    for (const [k, v] of Object.entries(props)) if (!["source", "evidence", "publications"].includes(k)) rows.push([k, values(v)]);
    $("provenance").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("provenance").hidden = false;
    $("prov-empty").hidden = true;
  }
  cy.on("tap", "edge", (ev) => { cy.elements().unselect(); ev.target.select(); showProvenance(ev.target); });
  cy.on("tap", "node", (ev) => select(ev.target.id()));

  // --- filters, list view, export -------------------------------------------------------------
  function applyFilter() {
    cy.nodes().forEach((n) => n.toggleClass("off", hidden.has(n.data("type"))));
    renderTypeToggles();
  }
  function renderTypeToggles() {
    const types = [...new Set(cy.nodes().map((n) => n.data("type")))].sort();
    $("type-toggles").replaceChildren(...types.map((t) => {
      const box = el("input", { type: "checkbox", checked: !hidden.has(t), onchange: (ev) => { ev.target.checked ? hidden.delete(t) : hidden.add(t); applyFilter(); renderLists(); } });
      const swatch = el("span", { class: "swatch", "aria-hidden": "true" }); swatch.style.background = colourFor(t);
      return el("label", { class: "type-toggle" }, box, swatch, t + " (" + cy.nodes().filter((n) => n.data("type") === t).length + ")");
    }));
  }
  function renderLists() {
    const visible = cy.edges().filter((e) => e.visible());
    $("edge-list").replaceChildren(...visible.map((e) => el("li", {},
      e.source().data("label") + " —" + e.data("relation") + "→ " + e.target().data("label") + " ",
      el("button", { type: "button", class: "secondary", onclick: () => { cy.elements().unselect(); e.select(); showProvenance(e); } }, "Provenance"))));
  }
  function visibleSubgraph() {
    const nodes = cy.nodes().filter((n) => n.visible()).map((n) => ({ id: n.id(), label: n.data("label"), type: n.data("type") }));
    const edges = cy.edges().filter((e) => e.visible()).map((e) => ({ subject: e.data("source"), relation: e.data("relation"), object: e.data("target"), properties: e.data("props") || {} }));
    return { nodes, edges };
  }
  $("export-json").addEventListener("click", () => download("subgraph.json", new Blob([JSON.stringify(visibleSubgraph(), null, 2)], { type: "application/json" })));
  $("export-png").addEventListener("click", () => download("subgraph.png", cy.png({ output: "blob", full: true, bg: "#ffffff", scale: 2 })));
  $("clear-graph").addEventListener("click", () => { cy.elements().remove(); hidden.clear(); renderTypeToggles(); renderLists(); $("selected").hidden = true; selected = null; });

  combobox($("node-search"), $("node-suggestions"),
    (q) => call(api + "/search?limit=12&q=" + encodeURIComponent(q) + ($("search-type").value ? "&type=" + encodeURIComponent($("search-type").value) : "")).then((d) => d.items),
    (item) => [item.label || item.id, el("span", { class: "sid" }, item.id + " · " + item.type)],
    async (item) => { await select(item.id); relayout(); cy.center(cy.getElementById(item.id)); });

  window.kgExplorer = { cy, select, expand, visibleSubgraph };
})();

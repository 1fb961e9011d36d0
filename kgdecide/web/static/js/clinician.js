/* The clinician page: findings as text and coded chips -> POST /ui/decide -> ranked, explained
   differential. Everything shown is rendered from the JSON the API returns. */
"use strict";
(function () {
  const { call, el, showMessage, download, combobox, colourFor } = window.kg;
  const $ = (id) => document.getElementById(id);
  const chips = new Map();  // id -> {id, label, status, source}
  const notKnown = new Map();  // id -> label: asked, the patient could not answer (never scored)
  let last = null;          // the last decision body

  // --- chips -------------------------------------------------------------------------------
  function addChip(item, status, source) {
    notKnown.delete(item.id);
    const existing = chips.get(item.id);
    if (existing) { existing.status = status || existing.status; }
    else chips.set(item.id, { id: item.id, label: item.label || item.id, status: status || "present", source: source || "coded" });
    renderChips();
  }
  function renderChips() {
    $("chips").replaceChildren(...[...chips.values()].map((c) => el("li", { class: "chip " + c.status },
      el("button", {
        type: "button", class: "status", "aria-pressed": c.status === "excluded" ? "true" : "false",
        title: "Switch between present and excluded",
        "aria-label": c.label + ": " + c.status + ". Press to mark " + (c.status === "present" ? "excluded" : "present"),
        onclick: () => { c.status = c.status === "present" ? "excluded" : "present"; renderChips(); },
      }, (c.status === "excluded" ? "no " : "") + c.label),
      c.source === "text" ? el("span", { class: "src", title: "found in the text" }, "text") : null,
      el("button", { type: "button", class: "remove", "aria-label": "Remove " + c.label,
        onclick: () => { chips.delete(c.id); renderChips(); } }, "×"))));
  }

  combobox($("finding-search"), $("finding-suggestions"),
    (q) => call("/ui/search?type=PhenotypicFeature&limit=12&q=" + encodeURIComponent(q)).then((d) => d.items),
    (item) => [item.label, el("span", { class: "sid" }, item.id + (item.matched !== item.label ? " · " + item.matched : ""))],
    (item) => addChip(item, "present", "coded"));

  // --- what the text was understood as ----------------------------------------------------------
  // Whose finding a mention is, when it is not this patient's (those are shown, never scored).
  const WHOSE = { relative: "a relative's", others: "other patients'", general: "the disease in general",
    model: "an animal or cell model" };
  function mentionMark(text, m) {
    const whose = m.experiencer && m.experiencer !== "patient" ? m.experiencer : null;
    const cls = whose && whose !== "relative" ? "m-" + whose : "m-" + m.status;
    const about = whose ? " · " + WHOSE[whose] : "";
    const where = m.section && m.section !== "note" ? " · in " + m.section.replace("_", " ") : "";
    const used = m.scored === false ? " · not scored" : "";
    return el("mark", { class: cls, "data-experiencer": m.experiencer || "patient",
      title: m.label + " (" + m.id + ") · " + m.status + about + where + used }, text.slice(m.start, m.end));
  }
  function renderUnderstood(text, mentions) {
    const box = $("understood-text");
    const parts = [];
    let at = 0;
    for (const m of [...mentions].sort((a, b) => a.start - b.start || b.end - a.end)) {
      if (m.start < at) continue;
      parts.push(text.slice(at, m.start));
      parts.push(mentionMark(text, m));
      at = m.end;
    }
    parts.push(text.slice(at));
    box.replaceChildren(...parts);
    $("understood").hidden = false;
  }
  $("check-text").addEventListener("click", async () => {
    const text = $("text").value;
    if (!text.trim()) { showMessage($("message"), "Type some findings first."); return; }
    try {
      const data = await call("/ui/link", { text });
      showMessage($("message"), "");
      renderUnderstood(text, data.mentions);
    } catch (e) { showMessage($("message"), e.message); }
  });

  // --- deciding ---------------------------------------------------------------------------
  async function decide() {
    const text = $("text").value;
    const body = {
      text: text.trim() ? text : null,
      findings: [...chips.values()].map((c) => ({ id: c.id, status: c.status })),
      target: $("target").value || null,
      top_k: Math.max(1, Math.min(100, parseInt($("top-k").value, 10) || 10)),
      coverage: parseFloat($("coverage").value) || 0.9,
      not_known: [...notKnown.keys()],
    };
    $("rank").disabled = true;
    $("rank").textContent = "Ranking…";
    try {
      const data = await call("/ui/decide", body);
      showMessage($("message"), "");
      for (const f of data.findings) if (f.source === "text" && !chips.has(f.id)) addChip(f, f.status, "text");
      if (text.trim()) renderUnderstood(text, data.mentions);
      render(data);
    } catch (e) {
      showMessage($("message"), e.message);
    } finally {
      $("rank").disabled = false;
      $("rank").textContent = "Rank diagnoses";
    }
  }
  $("case-form").addEventListener("submit", (ev) => { ev.preventDefault(); decide(); });
  $("clear").addEventListener("click", () => {
    chips.clear(); notKnown.clear(); renderChips(); $("text").value = ""; $("understood").hidden = true;
    $("candidates").replaceChildren(); $("next").hidden = true; $("heat").hidden = true;
    $("set-note").hidden = true;
    $("empty").hidden = false; $("provenance").hidden = true; last = null;
    $("print").disabled = $("download").disabled = true; showMessage($("message"), "");
  });

  // --- results ----------------------------------------------------------------------------
  function labelOf(data, id) {
    const f = data.findings.find((x) => x.id === id);
    return f ? f.label || id : id;
  }

  function render(data) {
    last = data;
    $("empty").hidden = data.candidates.length > 0;
    $("print").disabled = $("download").disabled = false;
    const p = data.provenance;
    $("provenance").textContent = "Scorer " + p.scorer + " · model " + p.model_version + " · KG " + p.kg_version + " · decision " + data.id;
    $("provenance").hidden = false;
    const items = data.candidates.map((c, i) => candidateItem(data, c, data.evidence[i]));
    const size = (data.set || []).length;
    const level = Math.round(100 * data.coverage) + " %";
    if (size && size < items.length) {
      items.splice(size, 0, el("li", { class: "set-cut", role: "separator", "data-size": String(size) },
        "▲ " + level + " prediction set (" + size + (size === 1 ? " diagnosis" : " diagnoses") +
        "): in published cases like those it was calibrated on, the diagnosis falls above this line " + level + " of the time."));
    }
    $("candidates").replaceChildren(...items);
    $("set-note").hidden = !(size && size >= items.length);
    $("set-note").textContent = size >= items.length
      ? "The " + level + " prediction set runs past this list: " + size + " diagnoses (in published cases like those it was calibrated on, the diagnosis falls within it " + level + " of the time)."
      : "";
    renderQuestions(data);
    renderHeat(data);
  }

  function candidateItem(data, c, ev) {
    const pct = (100 * c.probability).toFixed(1) + "%";
    const bar = el("span"); bar.style.width = Math.max(0.5, 100 * c.probability) + "%";
    const explain = el("div", { class: "explain" });
    const details = el("details", { class: "cand-details" },
      el("summary", {}, el("span", { class: "rank" }, c.rank + "."),
        el("span", {}, c.label || c.id, el("span", { class: "cid" }, [c.id, ...(c.equivalent || [])].join(" · "))),
        el("span", { class: "bar", role: "img", "aria-label": "probability " + pct }, bar),
        el("span", { class: "pct" }, pct)),
      explain);
    if (ev) fillExplanation(data, explain, ev);
    return el("li", { class: "cand", "data-id": c.id }, details);
  }

  function fillExplanation(data, box, ev) {
    const max = Math.max(1e-9, ...ev.contributions.map((x) => Math.abs(x.value || 0)));
    box.append(el("h3", { class: "small" }, "What each finding contributes"));
    for (const x of ev.contributions) {
      const v = x.value || 0;
      const part = el("span", { class: v >= 0 ? "pos" : "neg" });
      part.style.width = (50 * Math.abs(v) / max) + "%";
      box.append(el("div", { class: "contrib" },
        el("span", {}, (x.status === "excluded" ? "no " : "") + labelOf(data, x.finding)),
        el("span", { class: "signed", role: "img", "aria-label": (v >= 0 ? "for" : "against") + " " + Math.abs(v).toFixed(2) },
          el("span", { class: "axis" }), part),
        el("span", { class: "pct" }, (v >= 0 ? "+" : "") + v.toFixed(2))));
    }
    if (ev.unexplained.length) box.append(el("p", { class: "tags" }, el("b", {}, "Not explained: "), ev.unexplained.map((id) => labelOf(data, id)).join(", ")));
    if (ev.against.length) box.append(el("p", { class: "tags" }, el("b", {}, "Counts against: "), ev.against.map((id) => "no " + labelOf(data, id)).join(", ")));
    if (ev.paths.length) {
      const holder = el("div", { class: "pathgraph", hidden: true, role: "img", "aria-label": "Explanation paths as a graph" });
      const list = el("ul", { class: "tags" }, ev.paths.map((p) => el("li", {},
        p.nodes.map((n) => n.label || n.id).join(" → ") + (p.share !== null ? " (" + (100 * p.share).toFixed(0) + "% of the evidence for it)" : ""))));
      const button = el("button", { type: "button", class: "secondary show-graph", onclick: () => {
        holder.hidden = !holder.hidden;
        button.textContent = holder.hidden ? "Show explanation graph" : "Hide explanation graph";
        if (!holder.hidden && !holder.dataset.drawn) { drawPaths(holder, ev.paths); holder.dataset.drawn = "1"; }
      } }, "Show explanation graph");
      box.append(el("h3", { class: "small" }, "Explanation paths"), list, button, holder);
    }
  }

  function drawPaths(holder, paths) {
    const nodes = new Map(), edges = new Map();
    for (const p of paths) {
      p.nodes.forEach((n) => nodes.set(n.id, { data: { id: n.id, label: n.label || n.id, type: n.type } }));
      p.relations.forEach((r, i) => {
        const [s, t] = p.forward[i] ? [p.nodes[i].id, p.nodes[i + 1].id] : [p.nodes[i + 1].id, p.nodes[i].id];
        edges.set(s + "|" + r + "|" + t, { data: { id: s + "|" + r + "|" + t, source: s, target: t, label: r } });
      });
    }
    const cy = cytoscape({
      container: holder, elements: [...nodes.values(), ...edges.values()],
      layout: { name: "breadthfirst", directed: false, spacingFactor: 1.1 },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 110, "background-color": (n) => colourFor(n.data("type")), color: "#1b1f24", width: 14, height: 14 } },
        { selector: "edge", style: { label: "data(label)", "font-size": 8, "curve-style": "bezier", "target-arrow-shape": "triangle", width: 1.5, color: "#4a5563", "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1" } },
      ],
    });
    holder.cy = cy;
  }

  function renderQuestions(data) {
    $("next").hidden = !data.next_questions.length && !notKnown.size;
    $("questions").replaceChildren(...data.next_questions.map((q) => el("li", {},
      el("span", {}, "Does the patient have ", el("b", {}, q.label || q.id), "?"),
      el("button", { type: "button", class: "secondary", onclick: () => { addChip(q, "present", "coded"); decide(); } }, "Yes"),
      el("button", { type: "button", class: "secondary", onclick: () => { addChip(q, "excluded", "coded"); decide(); } }, "No"),
      el("button", { type: "button", class: "secondary", title: "Asked, but the patient does not know: changes no score, not asked again",
        onclick: () => { notKnown.set(q.id, q.label || q.id); decide(); } }, "Not known"))));
    $("not-known").hidden = !notKnown.size;
    $("not-known").textContent = notKnown.size ? "Not known (not scored): " + [...notKnown.values()].join(", ") : "";
  }

  function renderHeat(data) {
    const top = data.candidates.slice(0, 5);
    const findings = data.findings;
    if (!top.length || !findings.length) { $("heat").hidden = true; return; }
    // Attention weights when the scorer learned some; otherwise the signed contributions.
    const useAttention = data.evidence.some((ev) => ev.contributions.some((k) => k.attention));
    $("heat-heading").textContent = useAttention ? "Attention over findings for the top diagnoses"
      : "Finding contributions for the top diagnoses";
    const cell = (c, f) => {
      const ev = data.evidence[data.candidates.indexOf(c)];
      const x = ev && ev.contributions.find((k) => k.finding === f.id);
      return x ? (useAttention ? x.attention : x.value) : null;
    };
    const max = Math.max(1e-9, ...top.flatMap((c) => findings.map((f) => Math.abs(cell(c, f) || 0))));
    const head = el("tr", {}, el("th", { scope: "col" }, "Finding"), top.map((c) => el("th", { scope: "col", title: c.id }, c.label || c.id)));
    const rows = findings.map((f) => el("tr", {}, el("th", { scope: "row" }, (f.status === "excluded" ? "no " : "") + (f.label || f.id)),
      top.map((c) => {
        const v = cell(c, f);
        const td = el("td", {}, v === null ? "–" : v.toFixed(2));
        if (v !== null) {
          const a = Math.abs(v) / max;
          td.style.backgroundColor = v >= 0 ? "rgba(28,107,53," + a.toFixed(2) + ")" : "rgba(155,28,28," + a.toFixed(2) + ")";
          if (a > 0.55) td.className = "dark";
        }
        return td;
      })));
    $("heatmap").replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
    $("heat").hidden = false;
  }

  $("print").addEventListener("click", () => {
    document.querySelectorAll(".cand-details").forEach((d) => { d.open = true; });
    window.print();
  });
  $("download").addEventListener("click", () => {
    if (last) download("decision-" + last.id + ".json", new Blob([JSON.stringify(last, null, 2)], { type: "application/json" }));
  });
  window.kgClinician = { chips, notKnown, get last() { return last; } };
})();

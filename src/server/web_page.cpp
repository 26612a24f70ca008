// The page is kept here as one raw string so that the binary serves it with no files beside it.
#include "server/web_page.hpp"

namespace tokprob {

namespace {

constexpr std::string_view kIndexHtml = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokprob</title>
<style>
  :root { --bg:#fafaf8; --fg:#1d1d1f; --muted:#6e6e73; --bar:#4f7cff; --bar2:#dbe4ff; --line:#e3e3e0; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
  header { display:flex; align-items:baseline; gap:1em; padding:14px 24px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  #model { color:var(--muted); font-size:13px; }
  main { display:grid; grid-template-columns: minmax(300px, 1fr) minmax(340px, 1fr); gap:24px; padding:20px 24px; }
  textarea { width:100%; min-height:220px; padding:10px; font:15px/1.5 ui-monospace, "SFMono-Regular", Menlo, monospace;
             border:1px solid var(--line); border-radius:6px; resize:vertical; background:#fff; }
  .controls { display:flex; gap:1em; align-items:center; margin:8px 0; color:var(--muted); font-size:13px; }
  #status { color:var(--muted); font-size:13px; min-height:1.4em; }
  #status.error { color:#c0392b; }
  h2 { font-size:14px; margin:0 0 8px; color:var(--muted); font-weight:600; }
  .group { margin-bottom:18px; }
  .row { display:grid; grid-template-columns: 9em 1fr 5em; align-items:center; gap:8px; padding:2px 4px;
         border-radius:4px; cursor:pointer; }
  .row:hover { background:#eef2ff; }
  .row.static { cursor:default; }
  .row.static:hover { background:none; }
  .tok { font-family: ui-monospace, Menlo, monospace; white-space:pre; overflow:hidden; text-overflow:ellipsis; }
  .ws { color:#aab; }
  .track { background:var(--bar2); height:16px; border-radius:3px; overflow:hidden; }
  .fill { background:var(--bar); height:100%; border-radius:3px; transition: width .15s ease-out; }
  .pct { text-align:right; font-variant-numeric: tabular-nums; font-size:13px; }
</style>
</head>
<body>
<header><h1>tokprob</h1><span id="model">connecting…</span></header>
<main>
  <section>
    <textarea id="text" spellcheck="false" placeholder="Type some text…">The quick brown fox</textarea>
    <div class="controls">
      <label>top <select id="topk"><option>10</option><option selected>15</option><option>25</option><option>50</option></select></label>
      <span id="hint"></span>
    </div>
    <div id="status"></div>
  </section>
  <section id="bars" aria-live="polite"></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const text = $("text"), bars = $("bars"), status = $("status");
let kind = null, timer = null, seq = 0;

// Spaces and newlines stay visible in token labels: " the" shows as "·the".
function label(s) {
  const span = document.createElement("span");
  span.className = "tok";
  for (const ch of s) {
    if (ch === " " || ch === "\n" || ch === "\t") {
      const w = document.createElement("span");
      w.className = "ws";
      w.textContent = ch === " " ? "·" : ch === "\n" ? "↵" : "→";
      span.appendChild(w);
    } else {
      span.appendChild(document.createTextNode(ch));
    }
  }
  span.title = JSON.stringify(s);
  return span;
}

// Bars are scaled to the group's most likely entry so that a flat distribution still shows its
// shape; the percentage beside each bar is the absolute probability.
function row(name, prob, onClick, scale) {
  const r = document.createElement("div");
  r.className = onClick ? "row" : "row static";
  const track = document.createElement("div");
  track.className = "track";
  const fill = document.createElement("div");
  fill.className = "fill";
  fill.style.width = (100 * Math.max(0, Math.min(1, prob / (scale || 1)))).toFixed(2) + "%";
  track.appendChild(fill);
  const pct = document.createElement("span");
  pct.className = "pct";
  pct.textContent = (100 * prob).toFixed(prob >= 0.1 ? 1 : 2) + "%";
  r.append(label(name), track, pct);
  if (onClick) r.addEventListener("click", onClick);
  return r;
}

function scaled(items, probOf) { return Math.max(1e-12, ...items.map(probOf)); }

function group(title, rows) {
  const g = document.createElement("div");
  g.className = "group";
  const h = document.createElement("h2");
  h.textContent = title + (title.startsWith("labels") || !rows.length ? "" : " · bars scaled to the most likely");
  g.appendChild(h);
  rows.forEach((r) => g.appendChild(r));
  return g;
}

async function post(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const j = await res.json();
  if (!res.ok) throw new Error(j.error ? j.error.message : "HTTP " + res.status);
  return j;
}

async function update() {
  const my = ++seq, t = text.value, k = parseInt($("topk").value, 10);
  if (!t) { bars.replaceChildren(); status.textContent = ""; return; }
  status.className = ""; status.textContent = "…";
  const t0 = performance.now();
  try {
    let groups = [];
    if (kind === "causal-lm") {
      const r = (await post("/v1/next", { text: t, top_k: k })).results[0];
      groups.push(group("next token after " + r.input_ids.length + " tokens",
        r.top.map((c, _, all) => row(c.text, c.prob, () => { text.value += c.text; update(); text.focus(); },
                                     scaled(all, (x) => x.prob)))));
    } else if (kind === "masked-lm") {
      const r = (await post("/v1/fill-mask", { text: t, top_k: k })).results[0];
      r.masks.forEach((m, i) => groups.push(group("mask " + (i + 1) + " (token " + m.position + ")",
        m.top.map((c, _, all) => row(c.text !== undefined ? c.text : c.token, c.prob, null, scaled(all, (x) => x.prob))))));
    } else if (kind === "classifier") {
      const r = (await post("/v1/classify", { text: t })).results[0];
      groups.push(group("labels (" + r.function + ")", r.labels.map((l) => row(l.label, l.prob, null, 1))));
    } else if (kind === "seq2seq") {
      const r = (await post("/v1/seq2seq", { text: t, top_k: k, max_new_tokens: 8 })).results[0];
      groups.push(group("output: " + JSON.stringify(r.output_text), []));
      r.steps.forEach((st) => groups.push(group("step " + (st.step + 1) + ": " + JSON.stringify(st.text),
        st.top.map((c, _, all) => row(c.text, c.prob, null, scaled(all, (x) => x.prob))))));
    } else {
      throw new Error("this page has no view for a model of kind " + kind);
    }
    if (my !== seq) return;  // a newer request is on its way
    bars.replaceChildren(...groups);
    status.textContent = (performance.now() - t0).toFixed(0) + " ms";
  } catch (e) {
    if (my !== seq) return;
    status.className = "error";
    status.textContent = e.message;
  }
}

function later() { clearTimeout(timer); timer = setTimeout(update, 200); }

async function start() {
  try {
    const m = (await (await fetch("/v1/models")).json()).data[0];
    kind = m.kind;
    $("model").textContent = m.id + " · " + m.model_type + " · " + m.kind;
    $("hint").textContent = kind === "causal-lm" ? "click a token to append it"
      : kind === "masked-lm" ? "put the mask token in the text" : "";
    if (kind === "classifier") $("topk").parentElement.style.display = "none";
    if (kind === "masked-lm" && text.value === "The quick brown fox") text.value = "The capital of France is " + (m.mask_token || "[MASK]") + ".";
    text.addEventListener("input", later);
    $("topk").addEventListener("change", update);
    update();
  } catch (e) {
    status.className = "error";
    status.textContent = "cannot reach the server: " + e.message;
  }
}
start();
</script>
</body>
</html>
)HTML";

}  // namespace

std::string_view index_html() { return kIndexHtml; }

}  // namespace tokprob

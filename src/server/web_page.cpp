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
  .reading { font:16px/2 ui-monospace, Menlo, monospace; white-space:pre-wrap; word-break:break-word; }
  .reading span { border-radius:3px; padding:1px 0; }
  .reading span[title] { cursor:help; }
  .r1 { background:#c8f0c0; } .r10 { background:#fff2a8; } .r100 { background:#ffc98a; } .rmore { background:#ff9c9c; }
  .legend { color:var(--muted); font-size:13px; margin:6px 0 12px; }
  .legend span { padding:0 6px; border-radius:3px; margin-right:4px; }
</style>
</head>
<body>
<header><h1>tokprob</h1><span id="model">connecting…</span></header>
<main>
  <section>
    <textarea id="text" spellcheck="false" placeholder="Type some text…">The quick brown fox</textarea>
    <div class="controls">
      <label id="viewctl">view <select id="view"><option value="next">next token</option><option value="read">read a text</option></select></label>
      <label id="colorctl">colour by <select id="color"><option value="rank">rank</option><option value="surprisal">surprisal</option></select></label>
      <label id="wordsctl"><input type="checkbox" id="words"> words</label>
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

// The read-a-text view (the GLTR view): each token coloured by the rank of the actual token among
// the model's predictions (top 1 / 10 / 100 / beyond) or by its surprisal; hover for the entropy
// and the most likely alternatives. Per word: the word's surprisal corrected for word-start
// markers (score --words). The numbers ride on data- attributes for the page's test.
const LN2 = Math.log(2);
function bucket(rank) { return rank <= 1 ? "r1" : rank <= 10 ? "r10" : rank <= 100 ? "r100" : "rmore"; }
function heat(bits) { return "hsl(0, 85%, " + (100 - Math.min(bits, 20) * 2.25).toFixed(1) + "%)"; }
function piece(textOf, bits, cls, title) {
  const s = document.createElement("span");
  s.textContent = textOf;
  if (cls) s.className = cls;
  if (bits !== null && !cls) s.style.background = heat(bits);
  if (title) s.title = title;
  return s;
}
function reading(r, perWord, colour) {
  const box = document.createElement("div");
  box.id = "reading";
  box.className = "reading";
  const legend = document.createElement("div");
  legend.className = "legend";
  if (perWord) {
    legend.textContent = "word surprisal (bits), corrected for the vocabulary's word-start marker; hover for the naive sum";
    let at = 0;
    const chars = Array.from(r.text);
    for (const w of r.words) {
      if (w.begin > at) box.append(chars.slice(at, w.begin).join(""));
      const bits = w.surprisal_bits;
      const s = piece(w.text, bits, null, bits === null ? "not scored" :
        "surprisal " + bits.toFixed(2) + " bits (naive sum of its tokens: " + w.naive_surprisal_bits.toFixed(2) + " bits)");
      s.dataset.word = w.text;
      if (bits !== null) { s.dataset.bits = String(bits); s.dataset.logprob = String(w.logprob); }
      box.append(s);
      at = w.end;
    }
    if (at < chars.length) box.append(chars.slice(at).join(""));
  } else {
    if (colour === "rank")
      for (const [c, name] of [["r1", "top 1"], ["r10", "top 10"], ["r100", "top 100"], ["rmore", "beyond"]]) {
        const l = document.createElement("span"); l.className = c; l.textContent = name; legend.append(l);
      }
    else legend.textContent = "surprisal: white 0 bits … red 20 bits and more";
    r.tokens.forEach((t, i) => {
      if (t.logprob === null) { if (i > 0 || r.text.startsWith(t.text)) box.append(t.text); return; }
      const bits = -t.logprob / LN2;
      const top = (t.top || []).map((a) => JSON.stringify(a.text) + " " + (100 * a.prob).toFixed(2) + "%").join(", ");
      const s = piece(t.text, bits, colour === "rank" ? bucket(t.rank) : null,
        "rank " + t.rank + " · " + bits.toFixed(2) + " bits · entropy " + (t.entropy / LN2).toFixed(2) + " bits\ntop: " + top);
      s.dataset.logprob = String(t.logprob);
      s.dataset.rank = String(t.rank);
      s.dataset.entropy = String(t.entropy);
      box.append(s);
    });
  }
  const g = document.createElement("div");
  g.className = "group";
  g.append(legend, box);
  return [g];
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
    if (kind === "causal-lm" && $("view").value === "read") {
      const perWord = $("words").checked;
      const r = (await post("/v1/score", { text: t, score_first_token: true, token_stats: true, top_k: 5,
                                           words: perWord })).results[0];
      groups = reading(r, perWord, $("color").value);
    } else if (kind === "causal-lm") {
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
    const params = new URLSearchParams(location.search);
    if (params.has("text")) text.value = params.get("text");
    if (params.get("view") === "read") $("view").value = "read";
    if (params.get("color") === "surprisal") $("color").value = "surprisal";
    if (params.get("words") === "1") $("words").checked = true;
    const controls = () => {
      const reads = kind === "causal-lm" && $("view").value === "read";
      $("wordsctl").style.display = reads ? "" : "none";
      $("colorctl").style.display = reads && !$("words").checked ? "" : "none";  // words: by surprisal
      $("topk").parentElement.style.display = reads || kind === "classifier" ? "none" : "";
      $("hint").textContent = reads ? "hover a token for its rank, entropy and alternatives"
        : kind === "causal-lm" ? "click a token to append it"
        : kind === "masked-lm" ? "put the mask token in the text" : "";
    };
    if (kind !== "causal-lm") $("viewctl").style.display = "none";
    controls();
    for (const id of ["view", "color", "words"]) $(id).addEventListener("change", () => { controls(); update(); });
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

// The verify page (/verify/<CODE>): fetches the raffle's record, has the verifier wasm (the
// core's own check, with drand's BLS signature check) recompute every draw, and shows a tick,
// a warning or a cross for each. Everything from the record is set as text, never as HTML.
import init, { check_record } from "./verifier.js";

const code = document.body.dataset.code;
const $ = (id) => document.getElementById(id);
const ready = init({ module_or_path: new URL("./verifier_bg.wasm", import.meta.url) });

const LABELS = {
  verified: "✓ Verified",
  seed_only: "✓ Verified, seed only: trusts the server's operator (no public beacon)",
  void: "⚠ Void",
  mismatch: "✗ Does not match",
  pending: "… Not checkable yet",
};

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function term(list, name, value) {
  list.append(el("dt", name), el("dd", value));
}

function render(text) {
  const verdict = JSON.parse(check_record(text));
  const summary = $("verdict");
  summary.textContent = verdict.message;
  summary.className = `verdict ${verdict.status}`;
  let record;
  try {
    record = JSON.parse(text);
  } catch {
    $("record").hidden = true;
    return;
  }
  if (!record || !Array.isArray(record.draws)) {
    $("record").hidden = true;
    return;
  }
  const inputs = $("inputs");
  inputs.replaceChildren();
  term(inputs, "Fingerprint (shown on the big screen and the phones)", verdict.fingerprint ?? "none");
  term(inputs, "Commitment (SHA-256 of the seed, published at the start)", record.commitment ?? "none");
  term(inputs, "Seed", record.seed ?? "published when the raffle has ended");
  if (record.beacon_chain) {
    const chain = record.beacon_chain;
    term(
      inputs,
      "Beacon",
      verdict.quicknet
        ? `drand quicknet (League of Entropy), chain ${chain.hash}`
        : `⚠ not drand quicknet: chain ${chain.hash} with a key this server names; check it yourself`,
    );
  } else {
    term(inputs, "Beacon", "none: every draw is from the seed alone");
  }
  const byDraw = new Map(verdict.draws.map((d) => [d.draw, d]));
  const list = $("draws");
  list.replaceChildren();
  for (const draw of record.draws) {
    const check = byDraw.get(draw.draw) ?? { status: "pending" };
    const item = el("li", undefined, `draw ${check.status}`);
    const title = draw.prize ? `Draw ${draw.draw}: ${draw.prize}` : `Draw ${draw.draw}`;
    item.append(el("h3", draw.redraw_of ? `${title} (redraw of draw ${draw.redraw_of})` : title));
    const status = LABELS[check.status] ?? check.status;
    item.append(el("p", check.detail ? `${status}: ${check.detail}` : status, "status"));
    const facts = el("dl");
    term(facts, "Winner", draw.winner ? `${draw.winner.name} (#${draw.winner.id})` : "none");
    term(facts, "Entries hash", draw.entries_hash ?? "none");
    term(
      facts,
      "Beacon round",
      draw.beacon_round == null ? "none (seed only)" : `${draw.beacon_round}`,
    );
    if (draw.beacon_signature) term(facts, "Round signature", draw.beacon_signature);
    item.append(facts);
    const entries = el("details");
    const count = draw.entries.length === 1 ? "1 entry" : `${draw.entries.length} entries`;
    entries.append(el("summary", `Who could win: ${count} (find your name)`));
    const names = el("ol");
    for (const entry of draw.entries) {
      const left = draw.withdrawn.includes(entry.id) ? " (had left: passed over)" : "";
      names.append(el("li", `${entry.name} (#${entry.id})${left}`));
    }
    entries.append(names);
    item.append(entries);
    list.append(item);
  }
  $("record").hidden = false;
}

async function load() {
  let response;
  try {
    response = await fetch(`/verify/${encodeURIComponent(code)}/record.json`, { cache: "no-store" });
  } catch {
    $("verdict").textContent = "The record could not be fetched: check the connection and reload.";
    return;
  }
  const text = await response.text();
  if (!response.ok) {
    $("verdict").textContent = text;
    return;
  }
  await ready;
  render(text);
}

$("file").addEventListener("change", async (event) => {
  const file = event.target.files?.[0];
  if (!file) return;
  await ready;
  render(await file.text());
  $("download").hidden = true;
});

load();

/** A minimal live page served at / by the all-in-one process: the latest scored items, refreshed every 2 s. */
export const statusPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>finsentry</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2rem;background:#0f1115;color:#e6e6e6}
h1{font-size:1.3rem} table{border-collapse:collapse;width:100%} td,th{padding:.35rem .5rem;border-bottom:1px solid #2a2d35;text-align:left;font-size:.9rem}
.bearish{color:#ff6b6b}.bullish{color:#51cf66}.neutral{color:#adb5bd}
</style></head>
<body><h1>finsentry — live scored items</h1>
<form id="login" hidden><input name="username" placeholder="user" value="admin" aria-label="user"> <input name="password" type="password" placeholder="password" aria-label="password"> <button>Sign in</button> <span id="err"></span></form>
<p id="count"></p>
<table><thead><tr><th>published</th><th>sentiment</th><th>topic</th><th>text</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;"}[c]));
async function tick() {
  const r = await fetch("/api/v1/items?limit=30");
  document.getElementById("login").hidden = r.status !== 401;
  if (!r.ok) return;
  const { items } = await r.json();
  const c = await (await fetch("/api/v1/items/count")).json();
  document.getElementById("count").textContent = c.count + " items scored";
  document.getElementById("rows").innerHTML = items.map((i) => {
    const s = i.output ? i.output.sentiment : null;
    return "<tr><td>" + esc(new Date(i.published_at).toLocaleTimeString()) + "</td><td class='" + (s ? s.label : "") + "'>" +
      (s ? esc(s.label) + " " + s.score.toFixed(2) : "") + "</td><td>" + (i.output ? esc(i.output.topic.label) : "") + "</td><td>" + esc(i.text) + "</td></tr>";
  }).join("");
}
document.getElementById("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await fetch("/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: f.get("username"), password: f.get("password") }) });
  document.getElementById("err").textContent = r.ok ? "" : "wrong user or password";
  tick();
});
tick(); setInterval(tick, 2000);
</script></body></html>`;

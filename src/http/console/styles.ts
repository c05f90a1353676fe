import { Html } from '../html';

// Our own constant, not escaped: a <style> element's text is not HTML, so entities would break selectors and font names.
export const STYLE = new Html(`
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#e3e7ee; --bg:#f5f7fa; --card:#fff; --accent:#2f6fde;
  --active:#1f9d55; --suspended:#d98b06; --cancelled:#c2410c; --deleted:#6b7280; --bad:#c53030; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:14px 28px; display:flex; align-items:center; gap:20px; }
header h1 { font-size:17px; margin:0; font-weight:600; letter-spacing:.2px; }
header h1 span { color:#9fb3d1; font-weight:400; }
header nav { margin-left:auto; display:flex; gap:18px; align-items:center; }
header a, header button { color:#dbe6f7; text-decoration:none; font:inherit; background:none; border:0; cursor:pointer; padding:0; }
header a:hover, header button:hover { color:#fff; text-decoration:underline; }
main { max-width:1120px; margin:0 auto; padding:24px 28px 40px; }
.grid { display:grid; grid-template-columns:2fr 1fr 1.4fr; gap:16px; margin-bottom:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; box-shadow:0 1px 2px rgba(16,24,40,.04); }
main > .card { margin-bottom:16px; }
.card h2 { font-size:13px; text-transform:uppercase; letter-spacing:.6px; color:var(--muted); margin:0 0 12px; font-weight:600; }
.big { font-size:30px; font-weight:650; line-height:1.1; font-variant-numeric:tabular-nums; }
.sub { color:var(--muted); font-size:13px; }
.tiles { display:grid; grid-template-columns:repeat(4,1fr); gap:10px; }
.tile { border-left:4px solid var(--line); padding:2px 0 2px 10px; }
.tile .big { font-size:24px; }
.tile.active { border-color:var(--active); } .tile.suspended { border-color:var(--suspended); }
.tile.cancelled { border-color:var(--cancelled); } .tile.deleted { border-color:var(--deleted); }
.mix { display:block; width:100%; height:8px; border-radius:4px; margin:14px 0 6px; }
.mix .empty { fill:var(--line); } .mix .active { fill:var(--active); } .mix .suspended { fill:var(--suspended); }
.mix .cancelled { fill:var(--cancelled); } .mix .deleted { fill:var(--deleted); }
.bad { color:var(--bad); }
.ok { color:var(--active); }
.counts { display:grid; grid-template-columns:repeat(2,1fr); gap:6px 14px; margin-top:6px; }
.counts a { display:flex; justify-content:space-between; color:var(--ink); text-decoration:none; border-bottom:1px dashed var(--line); padding:2px 0; }
.counts a:hover { color:var(--accent); }
.counts b { font-variant-numeric:tabular-nums; }
.summary { display:flex; gap:28px; margin-bottom:8px; }
.summary div { font-size:13px; color:var(--muted); }
.summary b { display:block; font-size:22px; color:var(--ink); font-variant-numeric:tabular-nums; }
svg.chart { width:100%; height:auto; display:block; }
.chart .bar { fill:var(--accent); } .chart .bar.today { fill:#1b4fae; }
.chart .grid-line { stroke:var(--line); stroke-width:1; } .chart .base { stroke:#c5ccd8; stroke-width:1; }
.chart text { font-size:11px; fill:var(--muted); font-family:inherit; } .chart text.value { fill:var(--ink); font-size:10px; }
table { width:100%; border-collapse:collapse; font-size:14px; }
th { text-align:left; font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.5px; border-bottom:1px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid var(--line); padding:7px 8px; font-variant-numeric:tabular-nums; white-space:nowrap; }
.scroll { overflow-x:auto; }
td code { font-size:13px; }
.pill { display:inline-block; font-size:12px; padding:1px 8px; border-radius:999px; background:#eef1f6; color:var(--muted); margin-right:4px; }
.pill.suspended { background:#fdf2dc; color:#8a5800; } .pill.cancelled { background:#fde7dc; color:#9a3412; }
.pill.hold { background:#ede9fe; color:#5b21b6; } .pill.progress { background:#dbeafe; color:#1e40af; }
a { color:var(--accent); }
footer { color:var(--muted); font-size:12px; margin-top:18px; }
.login { max-width:380px; margin:12vh auto; }
.login label { display:block; font-size:13px; color:var(--muted); margin:14px 0 6px; }
.login input[type=password] { width:100%; padding:9px 10px; font:inherit; border:1px solid #c5ccd8; border-radius:6px; }
.login button { margin-top:14px; width:100%; padding:9px; font:inherit; font-weight:600; color:#fff; background:var(--accent); border:0; border-radius:6px; cursor:pointer; }
.login .error { background:#fdecec; color:var(--bad); border-radius:6px; padding:8px 10px; margin-top:12px; font-size:14px; }
form.inline { display:inline; }
.search { display:flex; gap:8px; align-items:flex-end; margin-bottom:16px; flex-wrap:wrap; }
.search label, .field label { display:block; font-size:12px; color:var(--muted); margin-bottom:4px; text-transform:uppercase; letter-spacing:.4px; }
.search input, .field input, .field select, .field textarea { padding:7px 9px; font:inherit; border:1px solid #c5ccd8; border-radius:6px; background:#fff; }
.search input[type=search] { min-width:340px; }
.field { margin-bottom:10px; }
.field textarea { width:100%; min-height:90px; font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; }
button.primary, button.secondary, button.danger { padding:7px 14px; font:inherit; font-weight:600; border-radius:6px; cursor:pointer; border:1px solid transparent; }
button.primary { color:#fff; background:var(--accent); }
button.secondary { color:var(--ink); background:#fff; border-color:#c5ccd8; }
button.danger { color:#fff; background:var(--bad); }
:focus-visible { outline:3px solid #f5b400; outline-offset:2px; }
.notice { border-radius:8px; padding:10px 14px; margin-bottom:16px; background:#e7f6ec; color:#14532d; border:1px solid #b7e2c4; }
.notice.warn { background:#fdf2dc; color:#7a4b00; border-color:#f1d39a; }
.notice.error { background:#fdecec; color:var(--bad); border-color:#f3c2c2; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:6px 16px; margin:0; }
dl.facts dt { color:var(--muted); font-size:13px; } dl.facts dd { margin:0; }
.actions { display:grid; grid-template-columns:repeat(auto-fill,minmax(300px,1fr)); gap:12px; }
.actions form { border:1px solid var(--line); border-radius:8px; padding:12px; }
.actions h3 { margin:0 0 8px; font-size:15px; }
.actions input[type=text] { width:100%; }
pre.bytes { background:#0f1420; color:#d7e0ee; padding:12px; border-radius:8px; overflow-x:auto; font-size:12px; line-height:1.5; }
.filters { display:flex; gap:12px; align-items:flex-end; flex-wrap:wrap; margin-bottom:12px; }
.timeline td { white-space:normal; vertical-align:top; }
.muted { color:var(--muted); }
svg.spark { width:160px; height:32px; display:block; }
.spark polyline { fill:none; stroke:var(--accent); stroke-width:1.5; }
.login input[type=text] { width:100%; padding:9px 10px; font:inherit; border:1px solid #c5ccd8; border-radius:6px; }
.tiles4 { display:grid; grid-template-columns:repeat(auto-fill,minmax(200px,1fr)); gap:16px; margin-bottom:16px; }
@media (max-width: 900px) { .grid { grid-template-columns:1fr; } }
`);

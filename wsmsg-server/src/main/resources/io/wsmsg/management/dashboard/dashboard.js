// The wsmsg dashboard: reads /v1/live (server-sent events, one snapshot a second) with an admin
// token sent as an Authorization header, and draws the figures. No library, nothing from outside.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const HISTORY = 300; // seconds on the plot
  const samples = []; // {t, in, out} per second
  let last = null; // the previous snapshot, for rates
  let lastChannels = new Map();

  function token() {
    const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem("wsmsg.token", decodeURIComponent(m[1]));
      window.history.replaceState(null, "", location.pathname); // the token leaves the address bar
    }
    return sessionStorage.getItem("wsmsg.token");
  }

  function setState(text) {
    $("state").textContent = text;
  }

  function fmt(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return "-";
    if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + "M";
    if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + "k";
    return Math.round(n).toLocaleString("en");
  }

  function bytes(n) {
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + " GiB";
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
    if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + " KiB";
    return n + " B";
  }

  function rows(tbody, list, cells) {
    const body = $(tbody).querySelector("tbody");
    body.textContent = "";
    for (const item of list) {
      const tr = document.createElement("tr");
      for (const c of cells(item)) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  function show(s) {
    const dt = last ? Math.max(0.001, (s.time - last.time) / 1000) : 0;
    const inRate = last ? Math.max(0, (s.messages.in - last.messages.in) / dt) : 0;
    const outRate = last ? Math.max(0, (s.messages.out - last.messages.out) / dt) : 0;
    if (last) {
      samples.push({ t: s.time, in: inRate, out: outRate });
      while (samples.length > HISTORY) samples.shift();
    }
    $("node").textContent = "node " + s.node.id + (s.cluster.mode === "clustered" ? " · member " + s.cluster.member : "");
    $("inRate").textContent = last ? fmt(inRate) : "-";
    $("outRate").textContent = last ? fmt(outRate) : "-";
    $("inTotal").textContent = fmt(s.messages.in);
    $("connections").textContent = fmt(s.connections);
    const inFlight = s.endpoints.reduce((a, e) => a + (e.inFlight || 0), 0);
    $("inFlight").textContent = fmt(inFlight);
    $("channelDepth").textContent = fmt(s.channelQueueDepth);
    const drops = Object.entries(s.messages.dropped);
    $("dropped").textContent = fmt(drops.reduce((a, [, n]) => a + n, 0));
    $("memory").textContent = bytes(s.memory.usedBytes) + " / " + bytes(s.memory.limitBytes);
    $("channelCount").textContent = "(" + s.channelCount + ")";
    $("endpointCount").textContent = "(" + s.endpointCount + ")";
    const nextChannels = new Map();
    rows("channels", s.channels, (c) => {
      nextChannels.set(c.name, c.published);
      const before = lastChannels.get(c.name);
      const rate = before === undefined || dt === 0 ? null : Math.max(0, (c.published - before) / dt);
      return [c.name, fmt(c.depth), rate === null ? "-" : fmt(rate), c.priority === undefined ? "-" : c.priority];
    });
    lastChannels = nextChannels;
    rows("endpoints", s.endpoints, (e) => [e.name, fmt(e.queued), fmt(e.nodes), fmt(e.inFlight), e.owner || "here"]);
    rows("drops", drops.filter(([, n]) => n > 0), ([k, n]) => [k, fmt(n)]);
    const cl = [["mode", s.cluster.mode]];
    if (s.cluster.members) cl.push(["members", s.cluster.members.join(", ")]);
    if (s.cluster.ownedEndpoints !== undefined) cl.push(["endpoints owned here", String(s.cluster.ownedEndpoints)]);
    if (s.cluster.gatewayInstances !== undefined) cl.push(["gateway instances", String(s.cluster.gatewayInstances)]);
    rows("cluster", cl, (r) => r);
    last = s;
    draw();
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  }

  function draw() {
    const canvas = $("plot");
    const w = canvas.width;
    const h = canvas.height;
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, w, h);
    const max = Math.max(10, ...samples.map((p) => Math.max(p.in, p.out)));
    g.fillStyle = "#667";
    g.font = "12px system-ui, sans-serif";
    g.fillText(fmt(max) + "/s", 4, 12);
    for (const [key, color] of [["in", "#2b7de9"], ["out", "#e9772b"]]) {
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.beginPath();
      samples.forEach((p, i) => {
        const x = w - (samples.length - 1 - i) * (w / (HISTORY - 1));
        const y = h - 4 - (p[key] / max) * (h - 20);
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      });
      g.stroke();
    }
  }

  async function stream(t) {
    setState("connecting");
    let res;
    try {
      res = await fetch("/v1/live", { headers: { Authorization: "Bearer " + t }, cache: "no-store" });
    } catch (e) {
      setState("unreachable, trying again");
      setTimeout(() => stream(t), 2000);
      return;
    }
    if (res.status === 401 || res.status === 403) {
      const why = await res.json().catch(() => ({}));
      sessionStorage.removeItem("wsmsg.token");
      setState("refused: " + (why.error || res.status));
      $("login").hidden = false;
      $("main").hidden = true;
      return;
    }
    if (!res.ok || !res.body) {
      setState("error " + res.status + ", trying again");
      setTimeout(() => stream(t), 2000);
      return;
    }
    $("login").hidden = true;
    $("main").hidden = false;
    setState("live");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        break;
      }
      if (chunk.done) break;
      buf += decoder.decode(chunk.value, { stream: true });
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const event = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = event.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!data) continue;
        try {
          show(JSON.parse(data));
        } catch (e) {
          setState("live (a snapshot could not be shown: " + e.message + ")"); // the next one may
        }
      }
    }
    setState("disconnected, trying again");
    setTimeout(() => stream(t), 2000);
  }

  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("token").value.trim();
    if (!t) return;
    sessionStorage.setItem("wsmsg.token", t);
    stream(t);
  });
  const t = token();
  if (t) stream(t);
  else $("login").hidden = false;
})();

// The built client in a real browser: Debian's chromium, headless, driven by puppeteer-core
// (no browser download), against a real server. CHROMIUM names another binary.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../dist/index.js";
import { launchBrowser, skip } from "./chromium.mjs";
import { freePort, startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");

let browser;
let web;
let webUrl;
let server;
const stops = [];

before(async () => {
  if (skip) return;
  // the page and the bundle, from this process (no CDN, nothing fetched from outside)
  web = createServer((req, res) => {
    const file = req.url === "/wsmsg.browser.js" ? join(here, "../dist/wsmsg.browser.js") : join(here, "browser/page.html");
    res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => web.listen(0, "127.0.0.1", ok));
  webUrl = `http://127.0.0.1:${web.address().port}/`;
  browser = await launchBrowser();
  server = await startServer();
  stops.push(() => server.stop());
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
  if (browser) await browser.close();
  if (web) await new Promise((ok) => web.close(ok));
});

async function page() {
  const p = await browser.newPage();
  p.on("pageerror", (e) => console.error("page error:", e.message));
  await p.goto(webUrl);
  await p.waitForFunction(() => document.getElementById("status").textContent === "ready");
  return p;
}

async function waitFor(p, fn, arg, timeout = 15_000) {
  await p.waitForFunction(fn, { timeout, polling: 50 }, arg);
}

test("pub/sub across two pages", { skip }, async () => {
  const a = await page();
  const b = await page();
  await a.evaluate(async (url, token) => {
    window.client = await window.wsmsg.connect({ url, token });
    await window.client.subscribe("browser.chat", "*", (m) => window.got.push({ subject: m.subject, data: m.data }));
  }, server.url, server.admin);
  await b.evaluate(async (url, token) => {
    window.client = await window.wsmsg.connect({ url, token, paused: true });
    await window.client.publish("browser.chat", "hello", { from: "page b", bytes: new Uint8Array([1, 2, 3]) });
  }, server.url, server.admin);
  await waitFor(a, () => window.got.length === 1);
  const got = await a.evaluate(() => ({ ...window.got[0], bytes: [...window.got[0].data.bytes], isBytes: window.got[0].data.bytes instanceof Uint8Array }));
  assert.equal(got.subject, "hello");
  assert.equal(got.data.from, "page b");
  assert.deepEqual(got.bytes, [1, 2, 3]);
  assert.equal(got.isBytes, true);
  await a.close();
  await b.close();
});

test("rpc from a page to the Java CLI's wsmsg reply --echo", { skip }, async () => {
  const replier = spawn(join(repo, "bin/wsmsg"), ["reply", "browser.echo", "*.request", "--echo", "--url", server.url,
    "--token", server.admin], { stdio: ["ignore", "pipe", "pipe"] });
  stops.push(async () => {
    if (replier.exitCode === null) {
      const gone = new Promise((ok) => replier.on("exit", ok));
      replier.kill("SIGTERM");
      await gone;
    }
  });
  const p = await page();
  const reply = await p.evaluate(async (url, token) => {
    const c = await window.wsmsg.connect({ url, token, window: 2 });
    // the replier may still be starting: ask until it answers
    for (let i = 0; i < 60; i++) {
      try {
        const r = await c.request("browser.echo", "ping.request", { hello: "from the browser", n: 42 }, { timeoutMs: 1000 });
        return { subject: r.subject, data: r.data };
      } catch (e) {
        if (e.code !== "timeout") throw e;
      }
    }
    return null;
  }, server.url, server.admin);
  assert.deepEqual(reply, { subject: "ping.reply", data: { hello: "from the browser", n: 42 } });
  await p.close();
});

test("a page's client reconnects after the server restarts and gets messages again", { skip }, async () => {
  const port = await freePort();
  const secret = "browser-restart-" + Date.now();
  let s = await startServer({ port, secret });
  stops.push(() => s.stop());
  const p = await page();
  await p.evaluate(async (url, token) => {
    window.client = await window.wsmsg.connect({ url, token, endpoint: "browser-restart", backoffInitialMs: 100, backoffMaxMs: 1000 });
    window.client.onStateChange((st) => window.states.push(st));
    await window.client.subscribe("browser.restart", "*", (m) => window.got.push(m.data));
  }, s.url, s.admin);
  await s.stop();
  s = await startServer({ port, secret }); // a new data directory: the subscription comes from the page again
  await waitFor(p, () => window.client.state === "open" && window.states.includes("reconnecting"), null, 30_000);
  await p.evaluate(() => window.client.sync());
  const pub = await connect({ url: s.url, token: s.admin, paused: true });
  await pub.publish("browser.restart", "after", "back again");
  await waitFor(p, () => window.got.includes("back again"));
  await pub.close();
  await p.close();
});

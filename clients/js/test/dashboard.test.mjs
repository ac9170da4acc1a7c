// The management port's dashboard in a real browser (headless chromium through puppeteer-core)
// against a real server under load: it must show the numbers moving. The screenshot it takes
// is kept as a build artifact: clients/js/test-artifacts/dashboard.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../dist/index.js";
import { launchBrowser, skip } from "./chromium.mjs";
import { startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, "../test-artifacts");

let browser;
let server;
const clients = [];
let load;

before(async () => {
  if (skip) return;
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  clearInterval(load);
  for (const c of clients) await c.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test("the dashboard shows the server's figures moving under load", { skip }, async () => {
  const worker = await connect({ url: server.url, token: server.admin, endpoint: "dash-work", window: 16 });
  clients.push(worker);
  await worker.subscribe("dash.orders", "*", () => undefined);
  const pub = await connect({ url: server.url, token: server.admin, paused: true });
  clients.push(pub);
  let n = 0;
  load = setInterval(() => {
    for (let i = 0; i < 20; i++) pub.publish("dash.orders", "order.new", { n: n++ }).catch(() => undefined);
  }, 20);

  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on("pageerror", (e) => console.error("dashboard error:", e.message));
  // the token in the fragment: never sent to the server in a URL; the page moves it to session storage
  await page.goto(server.managementUrl + "#token=" + encodeURIComponent(server.admin));
  await page.waitForFunction(() => document.getElementById("state").textContent === "live", { timeout: 15_000, polling: 100 });
  assert.equal(await page.evaluate(() => location.hash), "");
  const read = () => page.evaluate(() => ({
    updates: Number(document.body.dataset.updates || 0),
    inTotal: document.getElementById("inTotal").textContent,
    inRate: document.getElementById("inRate").textContent,
    channels: [...document.querySelectorAll("#channels tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent)),
    endpoints: [...document.querySelectorAll("#endpoints tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent)),
  }));
  await page.waitForFunction(() => Number(document.body.dataset.updates || 0) >= 3, { timeout: 15_000, polling: 100 });
  const a = await read();
  await page.waitForFunction((u) => Number(document.body.dataset.updates || 0) >= u + 3, { timeout: 15_000, polling: 100 }, a.updates);
  const b = await read();
  const num = (t) => {
    const m = /^([\d.,]+)([kM]?)$/.exec(t);
    if (!m) return NaN;
    return Number(m[1].replace(/,/g, "")) * (m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : 1);
  };
  assert.ok(num(b.inTotal) > num(a.inTotal), `messages in went from ${a.inTotal} to ${b.inTotal}`);
  assert.ok(num(b.inRate) > 0, "messages in per second: " + b.inRate);
  const orders = b.channels.find((r) => r[0] === "dash.orders");
  assert.ok(orders, "dash.orders is listed: " + JSON.stringify(b.channels));
  assert.ok(num(orders[2]) > 0, "dash.orders has a rate: " + orders[2]);
  const ep = b.endpoints.find((r) => r[0] === "dash-work");
  assert.ok(ep && ep[2] === "1", "dash-work with its node: " + JSON.stringify(ep));
  mkdirSync(artifacts, { recursive: true });
  const shot = join(artifacts, "dashboard.png");
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000);
  await page.close();
});

test("the dashboard asks for a token and says why one is refused", { skip }, async () => {
  const page = await browser.newPage();
  await page.goto(server.managementUrl);
  await page.waitForFunction(() => !document.getElementById("login").hidden, { polling: 100 });
  const alice = server.token({ sub: "alice", wsmsg: { endpoints: ["*"], publish: ["*"], subscribe: ["*"], admin: false } });
  await page.evaluate((t) => {
    document.getElementById("token").value = t;
    document.getElementById("login").requestSubmit();
  }, alice);
  await page.waitForFunction(() => document.getElementById("state").textContent.startsWith("refused"), { timeout: 10_000, polling: 100 });
  const state = await page.evaluate(() => document.getElementById("state").textContent);
  assert.match(state, /not an admin token/);
  await page.close();
});

// The chat demo (examples/chat) in headless chromium against a real server: two users join,
// talk in the room, share the jobs and find each other with requestAll.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, skip } from "./chromium.mjs";
import { freePort, startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));

let browser;
let server;
let demo;
let demoUrl;

before(async () => {
  if (skip) return;
  server = await startServer();
  const port = await freePort();
  demo = spawn(process.execPath, [resolve(here, "../../../examples/chat/serve.mjs"), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((ok, fail) => {
    demo.stdout.on("data", (d) => String(d).includes("chat demo is at") && ok());
    demo.on("exit", (c) => fail(new Error("the demo server exited: " + c)));
  });
  demoUrl = `http://127.0.0.1:${port}/`;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (demo && demo.exitCode === null) demo.kill();
  if (server) await server.stop();
});

async function join(name) {
  const p = await browser.newPage();
  p.on("pageerror", (e) => console.error(name + ": " + e.message));
  await p.goto(demoUrl);
  await p.evaluate((url, token, n) => {
    document.getElementById("url").value = url;
    document.getElementById("token").value = token;
    document.getElementById("name").value = n;
  }, server.url, server.admin, name);
  await p.evaluate(() => document.getElementById("join").requestSubmit());
  await p.waitForFunction(() => !document.getElementById("app").hidden, { timeout: 15_000, polling: 100 });
  return p;
}

const text = (p, id) => p.evaluate((i) => document.getElementById(i).textContent, id);

test("two users of the chat demo: the room, the shared jobs and who is here", { skip }, async () => {
  const ann = await join("ann");
  const bob = await join("bob");
  // DOM calls, not puppeteer's click or type: those wait for a frame that a background tab never draws
  await ann.evaluate(() => {
    document.getElementById("text").value = "hello bob";
    document.getElementById("say").requestSubmit();
  });
  await bob.waitForFunction(() => document.getElementById("room").textContent.includes("ann: hello bob"), { timeout: 10_000, polling: 100 });
  await bob.evaluate(() => document.getElementById("addJobs").click());
  // six jobs on one shared endpoint, each done by exactly one of the two workers
  const done = async () => (await text(ann, "jobs")).split("did job").length - 1 + (await text(bob, "jobs")).split("did job").length - 1;
  for (let i = 0; i < 100 && (await done()) < 6; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await done(), 6);
  await ann.evaluate(() => document.getElementById("askAll").click());
  await ann.waitForFunction(() => /2 here: /.test(document.getElementById("rpc").textContent), { timeout: 10_000, polling: 100 });
  const rpc = await text(ann, "rpc");
  assert.match(rpc, /ann/);
  assert.match(rpc, /bob/);
});

// End to end against a real server (see server.mjs): real WebSockets, real JWTs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, RemoteError, WsmsgError } from "../dist/index.js";
import { freePort, startServer } from "./server.mjs";

let server;
const clients = [];
async function client(options = {}) {
  const c = await connect({ url: server.url, token: server.admin, ...options });
  clients.push(c);
  return c;
}
function next(queue) {
  return new Promise((ok, fail) => {
    if (queue.items.length) return ok(queue.items.shift());
    const t = setTimeout(() => fail(new Error("no message within 10 s")), 10_000);
    queue.waiters.push((m) => {
      clearTimeout(t);
      ok(m);
    });
  });
}
function inbox() {
  const q = { items: [], waiters: [] };
  q.push = (m) => (q.waiters.length ? q.waiters.shift()(m) : q.items.push(m));
  return q;
}

before(async () => {
  server = await startServer();
});
after(async () => {
  for (const c of clients) await c.close();
  await server.stop();
});

test("pub/sub: a subscriber gets what is published, binary data as Uint8Array, in order", async () => {
  const sub = await client();
  const pub = await client({ paused: true });
  const got = inbox();
  await sub.subscribe("news.*", "sport.*", (m) => got.push(m));
  await pub.publish("news.eu", "sport.football", { score: [1, 0] });
  await pub.publish("news.eu", "weather", "not for sub");
  await pub.publish("news.eu", "sport.tennis", new Uint8Array([0, 1, 2, 255])); // one channel: in order
  const a = await next(got);
  assert.equal(a.channel, "news.eu");
  assert.equal(a.subject, "sport.football");
  assert.deepEqual(a.data, { score: [1, 0] });
  assert.match(a.id, /^[0-9A-Z]{26}$/);
  const b = await next(got);
  assert.equal(b.subject, "sport.tennis");
  assert.ok(b.data instanceof Uint8Array);
  assert.deepEqual([...b.data], [0, 1, 2, 255]);
});

test("a task queue: nodes of one endpoint share its messages, each message to one of them", async () => {
  const seen = [];
  const done = inbox();
  for (let w = 0; w < 2; w++) {
    const worker = await client({ endpoint: "js-jobs", window: 2 });
    await worker.subscribe("js.jobs", "*", async (m) => {
      seen.push([w, m.data]);
      done.push(m);
    });
  }
  const pub = await client({ paused: true });
  for (let i = 0; i < 20; i++) await pub.publish("js.jobs", "job", i);
  for (let i = 0; i < 20; i++) await next(done);
  assert.deepEqual(seen.map(([, d]) => d).sort((x, y) => x - y), [...Array(20).keys()]);
  assert.ok(new Set(seen.map(([w]) => w)).size === 2, "both workers got work: " + JSON.stringify(seen));
});

test("rpc: request, reply, the replier's failure as RemoteError, and a timeout", async () => {
  const replier = await client();
  await replier.reply("js.math", "*.request", (m) => {
    const [x, y] = m.data;
    if (m.subject === "div.request" && y === 0) throw new Error("division by zero");
    return m.subject === "add.request" ? x + y : x / y;
  });
  const caller = await client({ window: 4 });
  const sum = await caller.request("js.math", "add.request", [2, 3], { timeoutMs: 5000 });
  assert.equal(sum.data, 5);
  assert.equal(sum.subject, "add.reply");
  await assert.rejects(caller.request("js.math", "div.request", [1, 0], { timeoutMs: 5000 }),
    (e) => e instanceof RemoteError && e.message === "division by zero");
  await assert.rejects(caller.request("js.nobody", "x.request", null, { timeoutMs: 300 }),
    (e) => e instanceof WsmsgError && e.code === "timeout");
});

test("requestAll collects the replies of every replier until the expiry", async () => {
  for (let i = 0; i < 3; i++) {
    const r = await client();
    await r.reply("js.census", "count.request", () => i);
  }
  const caller = await client({ window: 8 });
  const replies = await caller.requestAll("js.census", "count.request", null, { expiryMs: 1500 });
  assert.deepEqual(replies.map((m) => m.data).sort(), [0, 1, 2]);
});

test("a refused command rejects with the server's code and text", async () => {
  const narrow = await client({ token: server.token({ sub: "narrow", wsmsg: { subscribe: ["mine.*"], publish: [] } }) });
  await assert.rejects(narrow.subscribe("other.*", "*", () => {}),
    (e) => e instanceof WsmsgError && e.code === "forbidden" && e.message.length > 0);
  assert.match(narrow.endpoint, /^narrow~client-/); // an endpoint of its own, named after its subject
  await narrow.subscribe("mine.x", "*", () => {}); // and what it is granted works
});

test("after the server restarts, the client reconnects and sends its subscriptions again", async () => {
  const port = await freePort();
  const secret = "restart-secret-" + Date.now();
  const first = await startServer({ port, secret });
  let second;
  try {
    const states = [];
    const c = await connect({ url: first.url, token: () => first.admin, endpoint: "js-restart", backoffInitialMs: 100, backoffMaxMs: 1000 });
    clients.push(c);
    c.onStateChange((s) => states.push(s));
    const got = inbox();
    await c.subscribe("js.restart", "*", (m) => got.push(m));
    await first.stop();
    // same port and secret, a new data directory: the subscription is there only if the client sends it again
    second = await startServer({ port, secret });
    const reopened = Date.now() + 20_000;
    while (c.state !== "open" && Date.now() < reopened) await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.state, "open");
    await c.sync();
    const pub = await connect({ url: second.url, token: second.admin, paused: true });
    clients.push(pub);
    await pub.publish("js.restart", "after", 42);
    assert.equal((await next(got)).data, 42);
    assert.deepEqual(states.slice(0, 2), ["reconnecting", "open"]);
  } finally {
    await first.stop();
    if (second) await second.stop();
  }
});

test("unsubscribe removes exactly its pattern; a closed client's calls reject with not_connected", async () => {
  const c = await client();
  const got = inbox();
  await c.subscribe("js.unsub.*", "*", (m) => got.push(m));
  await c.subscribe("js.unsub.x", "*", (m) => got.push(m));
  await c.unsubscribe("js.unsub.*"); // the literal pattern only: js.unsub.x stays
  const pub = await client({ paused: true });
  await pub.publish("js.unsub.y", "s", "gone");
  await pub.publish("js.unsub.x", "s", "kept");
  assert.equal((await next(got)).data, "kept");
  await c.close();
  assert.equal(c.state, "closed");
  await assert.rejects(c.request("js.math", "add.request", [1, 2]), (e) => e instanceof WsmsgError && e.code === "not_connected");
  await assert.rejects(c.publish("js.x", "s", 1), (e) => e instanceof WsmsgError && e.code === "not_connected");
});

// Starts a real wsmsg server (the checkout's bin/wsmsg, which builds target/wsmsg.jar when it is
// stale) on free ports of 127.0.0.1, with its own data directory and an HS256 secret, and signs
// real JWTs for it. Every test stops what it started.
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** A port free on 127.0.0.1 when asked (for a server that must come back on the same one). */
export function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
}

export function sign(secret, claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = b64({ ...claims, iat: now, exp: now + 3600 });
  const head = b64({ alg: "HS256", typ: "JWT" });
  const mac = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${mac}`;
}

export async function startServer({ port = 0, dir, secret = randomBytes(32).toString("hex"), extra = {} } = {}) {
  const data = dir ?? mkdtempSync(join(tmpdir(), "wsmsg-js-"));
  const conf = join(data, "server.json");
  writeFileSync(conf, JSON.stringify({
    host: "127.0.0.1", port, dataDir: join(data, "data"),
    management: { port: 0 }, gateway: { instances: 2 },
    auth: { hs256Secret: secret }, ...extra,
  }));
  const proc = spawn(join(repo, "bin/wsmsg"), ["server", "-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  let managementPort = -1;
  const actualPort = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the server did not start within 180 s:\n" + log)), 180_000);
    const read = (chunk) => {
      log += chunk;
      const m = /started: WebSocket port (\d+)/.exec(log);
      if (m) {
        const mg = /management port (\d+)/.exec(log);
        if (mg) managementPort = Number(mg[1]);
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    };
    proc.stdout.on("data", read);
    proc.stderr.on("data", read);
    proc.on("exit", (code) => fail(new Error(`the server exited (${code}) before it started:\n` + log)));
  });
  const admin = sign(secret, { sub: "js-admin", wsmsg: { endpoints: ["*"], publish: ["*"], subscribe: ["*"], admin: true } });
  return {
    port: actualPort,
    url: `ws://127.0.0.1:${actualPort}/`,
    managementUrl: `http://127.0.0.1:${managementPort}/`,
    secret,
    dir: data,
    admin,
    token: (claims) => sign(secret, claims),
    log: () => log,
    async stop({ keepDir = false } = {}) {
      if (proc.exitCode === null) {
        const exited = new Promise((ok) => proc.on("exit", ok));
        proc.kill("SIGTERM");
        await exited;
      }
      if (!keepDir && !dir) rmSync(data, { recursive: true, force: true });
    },
  };
}

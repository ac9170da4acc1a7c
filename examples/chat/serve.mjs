// Serves the chat demo: this page, its script and the JavaScript client's browser bundle
// (build it first: cd clients/js && npm ci && npm run build). Nothing else, nothing from outside.
//   node examples/chat/serve.mjs [port]      (default 8080, on 127.0.0.1)
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const bundle = resolve(here, "../../clients/js/dist/wsmsg.browser.js");
if (!existsSync(bundle)) {
  console.error("no " + bundle + ": build the client first (cd clients/js && npm ci && npm run build)");
  process.exit(1);
}
const files = {
  "/": ["index.html", "text/html"],
  "/chat.js": ["chat.js", "text/javascript"],
  "/wsmsg.browser.js": [bundle, "text/javascript"],
};
const port = Number(process.argv[2] ?? 8080);
createServer((req, res) => {
  const f = files[new URL(req.url, "http://x").pathname];
  if (!f) {
    res.writeHead(404).end("not found\n");
    return;
  }
  res.writeHead(200, { "content-type": f[1] + "; charset=utf-8", "cache-control": "no-cache" });
  res.end(readFileSync(f[0].startsWith("/") ? f[0] : join(here, f[0])));
}).listen(port, "127.0.0.1", () => {
  console.log(`the chat demo is at http://127.0.0.1:${port}/ : open it in two tabs, with the token bin/wsmsg server printed`);
});

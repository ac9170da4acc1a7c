// Debian's chromium for the browser tests, driven by puppeteer-core (no browser download);
// CHROMIUM names another binary. Without one the browser tests are skipped with this reason.
import { existsSync } from "node:fs";

const chromium = process.env.CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
export const skip = chromium ? false : "no chromium here (apt-get install chromium, or set CHROMIUM)";

/** A headless chromium (as root in CI: no sandbox). */
export async function launchBrowser() {
  const puppeteer = (await import("puppeteer-core")).default;
  return puppeteer.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"],
    protocolTimeout: 60_000 });
}

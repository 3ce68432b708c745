// Opening pages in Debian's chromium for the tests, through playwright-core,
// offline: a fresh profile in a temporary folder, no background networking,
// every request the page makes recorded (and anything but file:// refused),
// with console errors (a CSP violation is one) and dialogs recorded too.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { REQUIRE_ALL } from "./module.ts";

/** The browser the tests drive (Debian's chromium package); SEALCAM_CHROMIUM overrides. */
export const CHROMIUM = process.env.SEALCAM_CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Why browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (apt-get install chromium)`;
  return null;
}

/**
 * The `skip` option for browser tests: a reason when chromium is missing,
 * false when it is there or when SEALCAM_REQUIRE_ALL=1 (the tests then fail
 * on their own at launch, and `requireBrowser` says why).
 */
export const BROWSER_SKIP: string | false = browserMissing() !== null && !REQUIRE_ALL ? browserMissing()! : false;

/** A page as loaded, with what it did. */
export interface Loaded {
  page: Page;
  /** Every URL the page requested, the document itself included. */
  requests: string[];
  /** Console messages of type error (CSP violations are reported this way). */
  consoleErrors: string[];
  /** Messages of alert/confirm/prompt dialogs the page opened. */
  dialogs: string[];
}

/** One chromium with a throwaway profile. */
export class Browser {
  private constructor(private readonly context: BrowserContext, private readonly profile: string) {}

  static async launch(): Promise<Browser> {
    const missing = browserMissing();
    if (missing) throw new Error(`browser tests need chromium: ${missing}`);
    const { chromium } = await import("playwright-core");
    const profile = mkdtempSync(join(tmpdir(), "sealcam-chromium-"));
    try {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1000, height: 1300 }, timeout: 20_000,
      });
      return new Browser(context, profile);
    } catch (e) {
      rmSync(profile, { recursive: true, force: true });
      throw e;
    }
  }

  /** Opens a file in a new page and waits for it to load. */
  async open(path: string): Promise<Loaded> {
    const page = await this.context.newPage();
    const loaded: Loaded = { page, requests: [], consoleErrors: [], dialogs: [] };
    page.on("request", (request) => loaded.requests.push(request.url()));
    page.on("console", (message) => { if (message.type() === "error") loaded.consoleErrors.push(message.text()); });
    page.on("dialog", (dialog) => { loaded.dialogs.push(dialog.message()); void dialog.dismiss(); });
    // Anything but a local file is refused, so a broken page cannot reach the network from a test.
    await page.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
    await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
    return loaded;
  }

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.profile, { recursive: true, force: true });
    }
  }
}

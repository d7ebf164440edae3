/**
 * A real headless Chromium for the console tests: the build that @sparticuz/chromium ships
 * inside its npm package (so `npm install` is all a machine needs), driven by playwright-core.
 * Its default flags are for serverless sandboxes; the ones that would switch off browser
 * security (same-origin policy, mixed content) are dropped, so the page runs as users see it.
 */
import chromium from "@sparticuz/chromium";
import { type Browser, chromium as playwright } from "playwright-core";

const UNSAFE_FLAGS = new Set(["--disable-web-security", "--allow-running-insecure-content", "--single-process", "--no-zygote"]);

export async function launchBrowser(): Promise<Browser> {
  const args = chromium.args.filter((flag) => !UNSAFE_FLAGS.has(flag.split("=")[0]));
  return playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
}

// The deploy artifact (scripts/dist.sh): the server binary with hash.txt and site/ beside it,
// copied to a folder of its own and started from yet another working directory with none of
// cargo-leptos' LEPTOS_* variables, as a systemd unit or a container would start it. Its pages
// must hydrate: a host starts a raffle, a phone joins, the host draws, the phone learns it won.
//
// It packs what `cargo leptos end-to-end --release --precompress` (scripts/test.sh) has just
// built, so it needs that release build in target/.
import { expect, test } from "@playwright/test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { joinRaffle, startRaffle } from "./fixtures/raffle";

const root = path.resolve(__dirname, "..", "..");
const port = Number(process.env.RAFFLER_ARTIFACT_PORT ?? 3019);
const url = `http://127.0.0.1:${port}`;
const scratch = mkdtempSync(path.join(os.tmpdir(), "raffler-artifact-"));
let server: ChildProcess | undefined;
let log = "";

test.use({ baseURL: url });

test.beforeAll(async () => {
  const packed = spawnSync("bash", [path.join(root, "scripts", "dist.sh"), "--no-build", path.join(scratch, "opt")], {
    encoding: "utf8",
  });
  expect(packed.status, `scripts/dist.sh --no-build failed: ${packed.stderr}`).toBe(0);
  const elsewhere = path.join(scratch, "elsewhere");
  mkdirSync(elsewhere);
  // A clean environment: no LEPTOS_* (the test run has them, from cargo-leptos), no cargo.
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    HOME: scratch,
    RAFFLER_LISTEN: `127.0.0.1:${port}`,
    RAFFLER_PUBLIC_URL: url,
    RAFFLER_SPIN_MS: "1200",
    // No internet in the tests: draws are seed only (verify_page.spec.ts has a local relay).
    RAFFLER_BEACON_RELAYS: "off",
    RUST_LOG: "info",
  };
  const child = spawn(path.join(scratch, "opt", "raffler", "raffler"), [], {
    cwd: elsewhere,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = child;
  child.stdout!.on("data", (chunk) => (log += chunk));
  child.stderr!.on("data", (chunk) => (log += chunk));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the artifact exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the artifact on port ${port} did not become healthy:\n${log}`);
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

test("the artifact, started alone from another folder, serves pages that hydrate: a phone joins and learns it won", async ({
  browser,
}) => {
  // Production mode, its site found beside it, its database where it was started.
  const plain = log.replace(/\x1b\[[0-9;]*m/g, "");
  expect(plain).toContain("serving the site found beside the binary");
  expect(plain).toContain("hashed_names=true");
  expect(plain).toContain("data/raffler.db");

  const { host, code } = await startRaffle(browser);
  const phone = await joinRaffle(browser, code, "Ada");
  await expect(host.getByRole("listitem").filter({ hasText: "Ada" })).toBeVisible();
  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(host.locator(".winner-name")).toHaveText("Ada");
  await expect(phone.getByText("You won!")).toBeVisible();
});

test("the artifact's page loads hashed assets, compressed and cached for a year, and no dev reload", async ({
  page,
}) => {
  const assets: { url: string; encoding?: string; cache?: string }[] = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname.startsWith("/pkg/")) {
      const headers = response.headers();
      assets.push({ url: response.url(), encoding: headers["content-encoding"], cache: headers["cache-control"] });
    }
  });
  const response = await page.goto("/join");
  expect(response!.headers()["cache-control"]).toBe("no-cache");
  await expect(page.getByRole("button", { name: "Join" })).toBeEnabled();
  const html = await response!.text();
  // cargo-leptos' live reload (DEV mode) would open a socket to port 3001.
  expect(html).not.toContain("3001");
  for (const kind of ["wasm", "js", "css"]) {
    const asset = assets.find((a) => a.url.endsWith(`.${kind}`));
    expect(asset, `the page loaded a .${kind} (${JSON.stringify(assets)})`).toBeDefined();
    expect(asset!.url).toMatch(new RegExp(`/pkg/raffler\\.[A-Za-z0-9_-]{22}\\.${kind}$`));
    // Chromium asks for br over HTTPS only; over plain HTTP it gets the gzip file.
    expect(["br", "gzip"]).toContain(asset!.encoding);
    expect(asset!.cache).toBe("public, max-age=31536000, immutable");
  }
});

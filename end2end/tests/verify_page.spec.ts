import { expect, test, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { joinRaffle, startRaffle } from "./fixtures/raffle";
import { ServerProcess } from "./fixtures/server_process";

// "Was it rigged?" A sceptical attendee opens the verify page after the evening: every draw is
// recomputed in the browser and ticked. Draws wait for a beacon served by a local drand relay
// (target/debug/relay-stub, which scripts/test.sh builds: a test chain, a round a second), as
// public rounds would be.
// Every other spec runs with the beacon off (scripts/test.sh).

const root = path.resolve(process.cwd(), "..");
const screenshots = path.join(root, "docs", "screenshots");
const beacon: Record<string, string> = { RAFFLER_SPIN_MS: "1000" };
const server = new ServerProcess(3023, beacon);
let relay: ChildProcess | undefined;

test.use({ baseURL: server.url });

test.beforeAll(async () => {
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
  const child = spawn(path.join(target, "debug", "relay-stub"), ["--port", "3024", "--period", "1"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  relay = child;
  // Its first line says which chain it serves and where.
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (data) => resolve(data.toString().split("\n")[0]));
    child.once("exit", (code) => reject(new Error(`relay-stub exited with ${code}`)));
  });
  const chain = JSON.parse(line);
  Object.assign(beacon, {
    RAFFLER_BEACON_RELAYS: chain.url,
    RAFFLER_BEACON_CHAIN_HASH: chain.hash,
    RAFFLER_BEACON_PUBLIC_KEY: chain.public_key,
    RAFFLER_BEACON_GENESIS: String(chain.genesis_time),
    RAFFLER_BEACON_PERIOD: String(chain.period),
  });
  await server.start();
});

test.afterAll(async () => {
  await server.stop("SIGKILL");
  relay?.kill("SIGKILL");
});

const FINGERPRINT = /^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/;

async function fingerprintOn(page: Page): Promise<string> {
  const shown = page.getByText(FINGERPRINT);
  await expect(shown).toBeVisible();
  return (await shown.textContent())!.trim();
}

test("after the evening the verify page ticks every draw, and a record edited by hand is caught by draw and field", async ({
  browser,
}) => {
  const { host, code } = await startRaffle(browser);
  const prizes = ["A signed book", "A mug", "A T-shirt"];
  for (const prize of prizes) {
    await host.getByLabel("New prize").fill(prize);
    await host.getByRole("button", { name: "Add prize" }).click();
    await expect(host.getByLabel(`Name of prize ${prize}`)).toBeVisible();
  }
  const phones = [];
  for (const name of ["Ada", "Bob", "Cy"]) phones.push(await joinRaffle(browser, code, name));

  // The fingerprint on every phone is the big screen's.
  const onStage = await fingerprintOn(host);
  for (const phone of phones) expect(await fingerprintOn(phone)).toBe(onStage);

  for (const [i, prize] of prizes.entries()) {
    await host.getByRole("button", { name: `Draw a winner for ${prize}` }).click();
    await expect(host.locator(".winner-label")).toHaveText(new RegExp(`^Winner #${i + 1}`), { timeout: 15_000 });
  }
  await host.getByRole("button", { name: "End raffle" }).click();
  await host.getByRole("button", { name: "Yes, end the raffle" }).click();
  await expect(host.getByText("The raffle has ended. Thank you, everyone!")).toBeVisible();

  // Anyone, on any device: the page recomputes each draw with the verifier's wasm.
  const attendee = await (await browser.newContext()).newPage();
  await attendee.goto(`/verify/${code}`);
  // The local relay's test chain is not drand quicknet, and the page says so.
  await expect(attendee.getByRole("status")).toHaveText(
    "All 3 draws recomputed, with a beacon chain that is not drand quicknet: its signatures are only as good as whoever holds its key.",
  );
  const draws = attendee.getByRole("listitem").filter({ has: attendee.getByRole("heading", { name: /^Draw \d/ }) });
  await expect(draws).toHaveCount(3);
  for (const [i, prize] of prizes.entries()) {
    const draw = draws.filter({ has: attendee.getByRole("heading", { name: `Draw ${i + 1}: ${prize}` }) });
    await expect(draw.locator(".status")).toHaveText("✓ Recomputed, with a beacon chain that is not drand quicknet");
  }
  await expect(attendee.getByText(onStage)).toBeVisible();
  await expect(attendee.getByRole("link", { name: "Download the record (JSON)" })).toBeVisible();
  await attendee.screenshot({ path: path.join(screenshots, "verify-page.png"), fullPage: true });

  // The same record with draw 2's winner swapped for someone else who could have won.
  const sceptic = await (await browser.newContext()).newPage();
  await sceptic.route("**/record.json", async (route) => {
    const record = await (await route.fetch()).json();
    const second = record.draws[1];
    second.winner = second.entries.find((e: { id: number }) => e.id !== second.winner.id);
    await route.fulfill({ json: record });
  });
  await sceptic.goto(`/verify/${code}`);
  await expect(sceptic.getByRole("status")).toHaveText("Draw 2 does not match: winner.");
  const tampered = sceptic.getByRole("listitem").filter({ has: sceptic.getByRole("heading", { name: /^Draw 2/ }) });
  await expect(tampered.locator(".status")).toHaveText("✗ Does not match: winner");
  await expect(
    sceptic.getByRole("listitem").filter({ has: sceptic.getByRole("heading", { name: /^Draw 1/ }) }).locator(".status"),
  ).toHaveText("✓ Recomputed, with a beacon chain that is not drand quicknet");
});

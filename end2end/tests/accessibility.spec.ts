// Every phone state at 375x667: axe-core finds no violation of serious or critical impact, and
// a screenshot of each goes to docs/screenshots/phone-state-*.png. The states: joining (the
// form), in (waiting), drawing…, not this time, won (claim button and countdown), claimed,
// reconnecting, removed, ended. The stage and the controls are checked in stage.spec.ts.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import * as path from "node:path";
import { joinRaffle, openJoinPage, startRaffle } from "./fixtures/raffle";
import { SocketControl } from "./fixtures/sockets";

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

/** axe-core on the page as it is now, then its screenshot as `phone-state-<state>.png`. */
async function check(page: Page, state: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${state}: ${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
  await page.screenshot({ path: path.join(screenshots, `phone-state-${state}.png`) });
}

/** A phone that joins from the QR code's link, its socket routed through the test. */
async function joinWithSockets(browser: Parameters<typeof openJoinPage>[0], code: string, name: string) {
  const { page, control } = await openJoinPage(browser, `/join/${code}`, (page) => SocketControl.install(page));
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.getByText("You're in!")).toBeVisible();
  return { page, sockets: control! };
}

test("every phone state passes axe-core", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  await host.getByLabel("New prize").fill("A signed book");
  await host.getByRole("button", { name: "Add prize" }).click();
  await expect(host.getByLabel("Name of prize A signed book")).toBeVisible();
  // A countdown, so that the win shows one.
  const countdown = host.getByLabel("Claim countdown (seconds, 0 for none)");
  await countdown.fill("90");
  await countdown.press("Enter");
  await countdown.blur();

  const { page: joining } = await openJoinPage(browser, "/join");
  await joining.getByLabel("Join code").fill(code);
  await joining.getByLabel("Your name").fill("Katherine Johnson");
  await check(joining, "joining");

  const phones = [
    await joinWithSockets(browser, code, "Ada Lovelace"),
    await joinWithSockets(browser, code, "Grace Hopper"),
  ];
  await check(phones[0].page, "in");

  // Removed: the host takes a player out.
  const mallory = await joinRaffle(browser, code, "Mallory");
  await host.getByRole("button", { name: "Remove Mallory" }).click();
  await expect(mallory.getByText("You were removed")).toBeVisible();
  await check(mallory, "removed");

  // Drawing…: the phones hear the draw start, and the reveal is held back for the checks.
  for (const { sockets } of phones) sockets.holdFrom(/"type":"winner_drawn"/);
  await host.getByRole("button", { name: "Draw a winner for A signed book" }).click();
  await expect(host.locator(".winner-name")).toBeVisible();
  await expect(phones[0].page.getByText("Drawing…")).toBeVisible();
  await check(phones[0].page, "drawing");
  for (const { sockets } of phones) sockets.release();

  for (const { page } of phones) await expect(page.getByText(/You won A signed book!|Not this time/)).toBeVisible();
  const winner = (await host.locator(".winner-name").textContent())!.trim();
  const won = winner === "Ada Lovelace" ? phones[0] : phones[1];
  const lost = won === phones[0] ? phones[1] : phones[0];
  await expect(won.page.getByRole("button", { name: "I'm here, claim it" })).toBeVisible();
  await expect(won.page.getByText(/Claim within 1:[23]\d/)).toBeVisible();
  await check(won.page, "won");
  await check(lost.page, "not-this-time");

  await won.page.getByRole("button", { name: "I'm here, claim it" }).click();
  await expect(won.page.getByText("Claimed: go and collect it.")).toBeVisible();
  await check(won.page, "claimed");

  // Reconnecting: the network goes; the phone says so, and comes back by itself.
  await lost.sockets.cut();
  await expect(lost.page.getByText("Reconnecting…")).toBeVisible();
  await check(lost.page, "reconnecting");
  lost.sockets.restore();
  await expect(lost.page.getByText("● Live")).toBeVisible({ timeout: 15_000 });

  await host.getByRole("button", { name: "End raffle" }).click();
  await host.getByRole("button", { name: "Yes, end the raffle" }).click();
  await expect(lost.page.getByText("The raffle has ended")).toBeVisible();
  await check(lost.page, "ended");
});

import { expect, test, type Browser, type Page } from "@playwright/test";
import path from "node:path";
import { joinRaffle, openJoinPage, startRaffle } from "./fixtures/raffle";
import { SocketControl } from "./fixtures/sockets";

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

// An evening has several draws, and phones sleep through some of them. A winner always learns
// that she won, and can claim, however many draws she slept through.

async function addPrizes(host: Page, prizes: string[]) {
  for (const prize of prizes) {
    await host.getByLabel("New prize").fill(prize);
    await host.getByRole("button", { name: "Add prize" }).click();
    await expect(host.getByLabel(`Name of prize ${prize}`)).toBeVisible();
  }
}

async function joinWithSockets(browser: Browser, code: string, name: string) {
  const { page, control } = await openJoinPage(browser, `/join/${code}`, (p) => SocketControl.install(p));
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.getByText("You're in!")).toBeVisible();
  return { page, sockets: control! };
}

test("phones asleep through their own win and the next draw show the win on waking, and it is claimed", async ({
  browser,
}) => {
  const { host, code } = await startRaffle(browser);
  await addPrizes(host, ["A signed book", "A mug"]);
  const phones = new Map<string, { page: Page; sockets: SocketControl }>();
  for (const name of ["Ada", "Bob", "Cy"]) phones.set(name, await joinWithSockets(browser, code, name));
  await expect(host.getByRole("heading", { name: "3 players" })).toBeVisible();

  // Every phone sleeps: its socket is cut and its network is off.
  for (const { page, sockets } of phones.values()) {
    await sockets.cut();
    await page.context().setOffline(true);
  }
  await host.getByRole("button", { name: "Draw a winner for A signed book" }).click();
  const winner = host.locator(".winner-name");
  await expect(winner).toHaveText(/^(Ada|Bob|Cy)$/);
  const first = (await winner.textContent())!.trim();
  await host.getByRole("button", { name: "Draw a winner for A mug" }).click();
  await expect(host.locator(".winner-label")).toHaveText(/^Winner #2/);
  await expect(winner).toHaveText(/^(Ada|Bob|Cy)$/);
  const second = (await winner.textContent())!.trim();
  // The first prize waits for its claim beside the stage, with a redraw at hand.
  const waiting = host.getByRole("region", { name: "Waiting for claims" });
  await expect(waiting).toContainText(`#1 A signed book: ${first}`);
  await expect(waiting.getByRole("button", { name: `Redraw: ${first} is not here` })).toBeVisible();
  await host.screenshot({ path: path.join(screenshots, "host-waiting-for-claims.png"), fullPage: true });

  // They wake up.
  for (const { page, sockets } of phones.values()) {
    sockets.restore();
    await page.context().setOffline(false);
  }
  const winnerPhone = phones.get(first)!.page;
  await expect(winnerPhone.getByText("You won A signed book!")).toBeVisible({ timeout: 15_000 });
  await expect(winnerPhone.getByText(`${second} won A mug.`)).toBeVisible();
  await winnerPhone.screenshot({ path: path.join(screenshots, "phone-woke-with-win.png"), fullPage: true });
  await winnerPhone.getByRole("button", { name: "I'm here, claim it" }).click();
  await expect(winnerPhone.getByText("Claimed: go and collect it.")).toBeVisible();

  // The big screen shows the claim.
  await expect(host.getByRole("row").filter({ hasText: "A signed book" })).toContainText("claimed");
  await expect(waiting).toHaveCount(0);
  // Someone who won nothing is told who did, and nothing else.
  const loser = [...phones.keys()].find((n) => n !== first && n !== second)!;
  await expect(phones.get(loser)!.page.getByText(`${second} won A mug.`)).toBeVisible();
  await expect(phones.get(loser)!.page.getByText(/You won/)).toHaveCount(0);
});

test("an awake winner who has not claimed yet can still claim once the next draw has started", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  await addPrizes(host, ["A signed book", "A mug"]);
  const phones = new Map<string, Page>();
  for (const name of ["Ada", "Bob", "Cy"]) phones.set(name, await joinRaffle(browser, code, name));
  await host.getByRole("button", { name: "Draw a winner for A signed book" }).click();
  const winner = host.locator(".winner-name");
  await expect(winner).toHaveText(/^(Ada|Bob|Cy)$/);
  const page = phones.get((await winner.textContent())!.trim())!;
  await expect(page.getByText("You won A signed book!")).toBeVisible();

  await host.getByRole("button", { name: "Draw a winner for A mug" }).click();
  await expect(page.getByText("Drawing…")).toBeVisible();
  await page.getByRole("button", { name: "I'm here, claim it" }).click();
  await expect(page.getByText("Claimed: go and collect it.")).toBeVisible();
  await expect(host.getByRole("row").filter({ hasText: "A signed book" })).toContainText("claimed");
  await expect(host.locator(".winner-label")).toHaveText(/^Winner #2/);
});

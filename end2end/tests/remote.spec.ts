// The remote on the host's phone: the controls show a one-time pairing code (never the stage);
// the phone that scans it gets a credential of its own and draws; the stage and the controls
// reveal the same winner; the link works once; the host can turn the remote off; and no
// address any screen loads ever holds the host token.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import * as path from "node:path";
import { joinRaffle, phone, startRaffle } from "./fixtures/raffle";

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

/** No violation of serious or critical impact on the page as it is now. */
async function expectAccessible(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

/** Every address a context asks for (pages, assets, sockets), to search for secrets. */
function recordUrls(context: BrowserContext, urls: string[]) {
  context.on("request", (request) => urls.push(request.url()));
  context.on("page", (page) => page.on("websocket", (ws) => urls.push(ws.url())));
  for (const page of context.pages()) page.on("websocket", (ws) => urls.push(ws.url()));
}

test("the host's phone pairs once as a remote, draws, and can be turned off", async ({ browser }) => {
  const urls: string[] = [];
  const { host, code } = await startRaffle(browser);
  recordUrls(host.context(), urls);
  urls.push(host.url());
  const hostToken = await host.evaluate((key) => localStorage.getItem(key), `raffler.host.${code}`);
  expect(hostToken).toMatch(/^[0-9a-f]{32}$/);

  await host.getByLabel("New prize").fill("A signed book");
  await host.getByLabel("New prize").press("Enter");
  const [stage] = await Promise.all([
    host.context().waitForEvent("page"),
    host.getByRole("link", { name: "Open the stage" }).click(),
  ]);
  await expect(stage.getByText("● Live")).toBeVisible();
  const names = ["Ada Lovelace", "Grace Hopper", "Linus Torvalds"];
  for (const name of names) await joinRaffle(browser, code, name);
  await expect(stage.getByText("3 joined · 3 connected now")).toBeVisible();

  // The controls open a pairing code; the stage shows none.
  await host.getByRole("button", { name: "Pair a phone" }).click();
  await expect(host.getByRole("img", { name: "QR code that pairs your phone as a remote" })).toBeVisible();
  await expect(stage.getByRole("img", { name: /pairs your phone/ })).toHaveCount(0);
  const pairingUrl = (await host.locator(".remote-url").textContent())!.trim();
  expect(pairingUrl).toMatch(new RegExp(`/remote/${code}\\?pair=[0-9a-f]{32}$`));
  const pairingPath = new URL(pairingUrl).pathname + new URL(pairingUrl).search;
  await expectAccessible(host);
  await host.locator(".remotes").screenshot({ path: path.join(screenshots, "controls-pair-a-phone.png") });

  // The phone scans it: a remote of its own, the link gone from its address bar.
  const remoteContext = await browser.newContext(phone);
  recordUrls(remoteContext, urls);
  const remote = await remoteContext.newPage();
  await remote.goto(pairingPath);
  await expect(remote.getByRole("heading", { name: `Remote · ${code}` })).toBeVisible();
  await expect(remote.getByText("● Live")).toBeVisible();
  await expect.poll(() => remote.url()).toMatch(new RegExp(`/remote/${code}$`));
  expect(await remote.evaluate((key) => localStorage.getItem(key), `raffler.host.${code}`)).toBeNull();
  // The controls list it, and the code is used up.
  await expect(host.getByText("Remote 1", { exact: true })).toBeVisible();
  await expect(host.getByRole("button", { name: "Pair a phone" })).toBeVisible();
  await expect(host.getByRole("img", { name: "QR code that pairs your phone as a remote" })).toHaveCount(0);

  // The remote draws; the stage and the controls reveal the same winner.
  await remote.getByRole("button", { name: "Draw a winner for A signed book" }).click();
  const winnerOnStage = stage.locator(".show-winner");
  await expect(winnerOnStage).toBeVisible();
  const winner = (await winnerOnStage.textContent())!.trim();
  expect(names).toContain(winner);
  await expect(host.locator(".winner-name")).toHaveText(winner);
  await expect(remote.locator(".winner-name")).toHaveText(winner);
  await remote.screenshot({ path: path.join(screenshots, "remote-after-draw.png") });
  await expectAccessible(remote);

  // A second use of the link (another phone, or a photo of the code) is refused.
  const latecomer = await (await browser.newContext(phone)).newPage();
  recordUrls(latecomer.context(), urls);
  await latecomer.goto(pairingPath);
  await expect(latecomer.getByRole("alert")).toContainText("has been used already");
  await expect(latecomer.getByRole("button", { name: /Draw a winner/ })).toHaveCount(0);

  // A reload keeps the remote (its own credential, kept on the phone).
  await remote.reload();
  await expect(remote.getByRole("heading", { name: `Remote · ${code}` })).toBeVisible();
  await expect(remote.getByText("● Live")).toBeVisible();

  // Turned off from the controls: the remote is told at once, and a reload does not bring it back.
  await host.getByRole("button", { name: "Turn off remote 1" }).click();
  await expect(remote.getByRole("alert")).toContainText("The host turned this remote off");
  await expect(host.getByText("Remote 1", { exact: true })).toHaveCount(0);
  await remote.reload();
  await expect(remote.getByRole("alert")).toContainText("not a remote");
  await expect(remote.getByRole("button", { name: /Draw a winner/ })).toHaveCount(0);

  // Nothing any of these screens loaded carried the host token.
  urls.push(host.url(), stage.url(), remote.url(), latecomer.url());
  expect(urls.length).toBeGreaterThan(10);
  expect(urls.filter((url) => url.includes(hostToken!))).toEqual([]);
});

import { expect, test } from "@playwright/test";
import { openJoinPage, startRaffle } from "./fixtures/raffle";
import { SocketControl } from "./fixtures/sockets";

test("a phone whose socket is cut during the draw shows its result when the network returns, with no click", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);

  const phone = await openJoinPage(browser, `/join/${code}`, async (page) => {
    return SocketControl.install(page);
  });
  const sockets = phone.control!;
  await phone.page.getByLabel("Your name").fill("Katherine Johnson");
  await phone.page.getByRole("button", { name: "Join" }).click();
  await expect(phone.page.getByText("You're in!")).toBeVisible();
  await expect(host.getByRole("heading", { name: "1 player" })).toBeVisible();

  await sockets.cut();
  await expect(phone.page.getByText("Reconnecting…")).toBeVisible();
  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(host.locator(".winner-name")).toHaveText("Katherine Johnson");
  // While the network is down the phone cannot know yet.
  await expect(phone.page.getByText("You won!")).toHaveCount(0);

  sockets.restore();
  await expect(phone.page.getByText("You won!")).toBeVisible({ timeout: 15_000 });
  await expect(phone.page.getByText("● Live")).toBeVisible();
});

test("a phone shown again with a dead socket reconnects at once and catches up", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  const phone = await openJoinPage(browser, `/join/${code}`, (page) => SocketControl.install(page));
  const sockets = phone.control!;
  await phone.page.getByLabel("Your name").fill("Dorothy Vaughan");
  await phone.page.getByRole("button", { name: "Join" }).click();
  await expect(phone.page.getByText("You're in!")).toBeVisible();
  const before = sockets.connections;

  // The phone sleeps: its socket looks open but is dead. The draw happens meanwhile.
  sockets.playDead();
  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(host.locator(".winner-name")).toHaveText("Dorothy Vaughan");
  await expect(phone.page.getByText("You're in!")).toBeVisible();

  // The phone wakes: the page becomes visible again.
  await phone.page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  await expect(phone.page.getByText("You won!")).toBeVisible({ timeout: 5_000 });
  expect(sockets.connections).toBe(before + 1);
});

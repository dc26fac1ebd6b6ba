import { expect, test } from "@playwright/test";
import { joinRaffle, startRaffle } from "./fixtures/raffle";

test("a host reload mid-raffle shows the same players and winners, and the next draw works", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  const phones = [await joinRaffle(browser, code, "Ada"), await joinRaffle(browser, code, "Grace")];
  await host.getByRole("button", { name: "Draw a winner" }).click();
  const winner = (await host.locator(".winner-name").textContent())!.trim();

  await host.reload();
  await expect(host.getByText(code, { exact: true })).toBeVisible();
  await expect(host).toHaveURL(new RegExp(`/host/${code}$`));
  await expect(host.getByRole("heading", { name: "2 players" })).toBeVisible();
  for (const name of ["Ada", "Grace"]) {
    await expect(host.getByRole("listitem").filter({ hasText: name })).toBeVisible();
  }
  await expect(host.locator(".winner-name")).toHaveText(winner);
  await expect(host.getByRole("cell", { name: winner })).toBeVisible();

  await host.getByRole("button", { name: "Draw a winner" }).click();
  const other = winner === "Ada" ? "Grace" : "Ada";
  await expect(host.locator(".winner-name")).toHaveText(other);
  const phoneOf = (name: string) => phones[name === "Ada" ? 0 : 1];
  await expect(phoneOf(other).getByText("You won!")).toBeVisible();
  await expect(phoneOf(winner).getByText("Not this time")).toBeVisible();
  // The first winner has not claimed: her win stays on her phone beside the new result.
  await expect(phoneOf(winner).getByText("You won!")).toBeVisible();
});

test("a reloaded phone is still the same player", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  const phone = await joinRaffle(browser, code, "Hedy Lamarr");
  await expect(phone).toHaveURL(new RegExp(`/join/${code}$`));
  await phone.reload();
  await expect(phone.getByText("You're in!")).toBeVisible();
  await expect(phone.getByText("Joined as Hedy Lamarr.")).toBeVisible();
  await expect(host.getByRole("heading", { name: "1 player" })).toBeVisible();

  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(phone.getByText("You won!")).toBeVisible();
  await phone.reload();
  await expect(phone.getByText("You won!")).toBeVisible();
  await expect(host.getByRole("heading", { name: "1 player" })).toBeVisible();
});

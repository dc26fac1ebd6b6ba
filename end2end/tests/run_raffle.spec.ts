import { expect, test } from "@playwright/test";
import * as path from "node:path";
import { joinRaffle, startRaffle } from "./fixtures/raffle";

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

test("a host draws one winner among three phones, and every phone learns the result", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  await expect(host.getByRole("heading", { name: "0 players" })).toBeVisible();

  const names = ["Ada Lovelace", "Grace Hopper", "Linus Torvalds"];
  const phones = [];
  for (const [i, name] of names.entries()) {
    phones.push(await joinRaffle(browser, code, name));
    // The name appears on the big screen as the phone joins.
    await expect(host.getByRole("listitem").filter({ hasText: name })).toBeVisible();
    await expect(host.getByRole("heading", { name: `${i + 1} player` })).toBeVisible();
  }
  await host.screenshot({ path: path.join(screenshots, "host-waiting.png") });

  await host.getByRole("button", { name: "Draw a winner" }).click();
  // During the spin, the phones say so and nobody knows the winner yet.
  await Promise.all(phones.map((p) => expect(p.getByText("Drawing…")).toBeVisible()));

  const winnerName = host.locator(".winner-name");
  await expect(winnerName).toBeVisible();
  const winner = (await winnerName.textContent())!.trim();
  expect(names).toContain(winner);
  await host.screenshot({ path: path.join(screenshots, "host-winner.png") });

  const outcomes = await Promise.all(
    phones.map(async (p) => {
      await expect(p.getByText(/You won!|Not this time/)).toBeVisible();
      return (await p.getByText("You won!").count()) > 0;
    }),
  );
  expect(outcomes.filter(Boolean)).toHaveLength(1);
  const winningPhone = phones[outcomes.indexOf(true)];
  await expect(winningPhone.getByText(`Congratulations, ${winner}!`)).toBeVisible();
  for (const p of phones.filter((_, i) => !outcomes[i])) {
    await expect(p.getByText("Not this time")).toBeVisible();
    await expect(p.getByText(`${winner} won.`)).toBeVisible();
  }
  await winningPhone.screenshot({ path: path.join(screenshots, "phone-won.png") });
  await phones[outcomes.indexOf(false)].screenshot({ path: path.join(screenshots, "phone-lost.png") });
});

test("the host cannot draw before anyone has joined", async ({ browser }) => {
  const { host } = await startRaffle(browser);
  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(host.getByRole("alert").filter({ hasText: "Nobody has joined yet" })).toBeVisible();
});

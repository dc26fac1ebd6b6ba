import { expect, test, type Page } from "@playwright/test";
import * as path from "node:path";
import { joinRaffle, startRaffle } from "./fixtures/raffle";

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

test("a winner who is not there is skipped, the prize is redrawn, and the new winner claims it", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  await host.getByLabel("New prize").fill("A signed book");
  await host.getByRole("button", { name: "Add prize" }).click();
  await expect(host.getByLabel("Name of prize A signed book")).toBeVisible();
  await host.getByLabel("Claim countdown (seconds, 0 for none)").fill("90");
  await host.getByLabel("Claim countdown (seconds, 0 for none)").press("Enter");
  await host.getByLabel("Claim countdown (seconds, 0 for none)").blur();

  const phones: Record<string, Page> = {
    "Annie Easley": await joinRaffle(browser, code, "Annie Easley"),
    "Mary Jackson": await joinRaffle(browser, code, "Mary Jackson"),
  };
  await host.getByRole("button", { name: "Draw a winner for A signed book" }).click();
  const absent = (await host.locator(".winner-name").textContent())!.trim();
  const present = absent === "Annie Easley" ? "Mary Jackson" : "Annie Easley";
  await expect(phones[absent].getByText("You won A signed book!")).toBeVisible();
  await expect(phones[absent].getByRole("button", { name: "I'm here, claim it" })).toBeVisible();
  await expect(phones[absent].getByText(/Claim within 1:[23]\d/)).toBeVisible();
  await expect(host.getByText(new RegExp(`Waiting for ${absent} to claim… 1:[23]\\d`))).toBeVisible();
  await host.screenshot({ path: path.join(screenshots, "host-claim.png"), fullPage: true });
  await phones[absent].screenshot({ path: path.join(screenshots, "phone-claim.png") });

  await host.getByRole("button", { name: `Redraw: ${absent} is not here` }).click();
  await expect(host.locator(".winner-name")).toHaveText(present);
  await expect(phones[absent].getByText("You missed A signed book: it was drawn again")).toBeVisible();
  await expect(phones[present].getByText("You won A signed book!")).toBeVisible();

  await phones[present].getByRole("button", { name: "I'm here, claim it" }).click();
  await expect(phones[present].getByText("Claimed: go and collect it.")).toBeVisible();
  await expect(host.getByText(`${present} claimed it`)).toBeVisible();

  // The history keeps both results.
  const rows = host.getByRole("row");
  await expect(rows.filter({ hasText: absent })).toContainText("skipped");
  await expect(rows.filter({ hasText: present })).toContainText("claimed (redraw of #1)");
  const download = host.waitForEvent("download");
  await host.getByRole("button", { name: "Download CSV" }).click();
  expect((await download).suggestedFilename()).toBe(`raffle-${code}.csv`);
});

test("the host closes joining, removes a player, and ends the raffle; every phone is told", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  const ada = await joinRaffle(browser, code, "Ada");
  const mallory = await joinRaffle(browser, code, "Mallory");

  await host.getByRole("button", { name: "Close joining" }).click();
  await expect(host.getByText("Joining is closed")).toBeVisible();
  const late = await browser.newPage();
  await late.goto(`/join/${code}`);
  await expect(late.getByRole("button", { name: "Join" })).toBeEnabled();
  await late.getByLabel("Your name").fill("Late Larry");
  await late.getByRole("button", { name: "Join" }).click();
  await expect(late.getByText("Joining is closed for this raffle.")).toBeVisible();

  await host.getByRole("button", { name: "Remove Mallory" }).click();
  await expect(mallory.getByText("You were removed")).toBeVisible();
  await expect(host.getByRole("heading", { name: "1 player" })).toBeVisible();

  await host.getByRole("button", { name: "End raffle" }).click();
  await host.getByRole("button", { name: "Yes, end the raffle" }).click();
  await expect(ada.getByText("The raffle has ended")).toBeVisible();
  await expect(host.getByText("This raffle has ended.")).toBeVisible();
  await expect(host.getByText("The raffle has ended. Thank you, everyone!")).toBeVisible();
  await expect(host.getByRole("button", { name: /Redraw/ })).toHaveCount(0);
  await expect(ada.getByRole("button", { name: "Leave raffle" })).toBeHidden();
});

test("a player can leave the raffle", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  const phone = await joinRaffle(browser, code, "Grace");
  await phone.getByRole("button", { name: "Leave raffle" }).click();
  await phone.getByRole("button", { name: "Yes, leave" }).click();
  await expect(phone.getByText("You left the raffle")).toBeVisible();
  await expect(host.getByRole("heading", { name: "0 players" })).toBeVisible();
});

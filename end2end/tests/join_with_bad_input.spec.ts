import { expect, test } from "@playwright/test";
import { joinRaffle, openJoinPage, startRaffle } from "./fixtures/raffle";

test("a wrong code is explained next to the code field", async ({ browser }) => {
  const { page: phone } = await openJoinPage(browser, "/join");
  await phone.getByLabel("Join code").fill("WRONG2");
  await phone.getByLabel("Your name").fill("Ada");
  await phone.getByRole("button", { name: "Join" }).click();
  await expect(phone.getByLabel("Join code")).toHaveAccessibleDescription(/No raffle has the code WRONG2/);
  await expect(phone.getByLabel("Join code")).toHaveAttribute("aria-invalid", "true");
});

test("a blank or taken name is explained next to the name field, and fixing it joins", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  await joinRaffle(browser, code, "Ada");

  const { page: phone } = await openJoinPage(browser, `/join/${code}`);
  const name = phone.getByLabel("Your name");
  await name.fill("   ");
  await phone.getByRole("button", { name: "Join" }).click();
  await expect(name).toHaveAccessibleDescription("Please type your name.");

  await name.fill("ADA");
  await phone.getByRole("button", { name: "Join" }).click();
  await expect(name).toHaveAccessibleDescription(/already called Ada/);

  await name.fill("Ada B.");
  await phone.getByRole("button", { name: "Join" }).click();
  await expect(phone.getByText("You're in!")).toBeVisible();
  await expect(host.getByRole("heading", { name: "2 players" })).toBeVisible();
});

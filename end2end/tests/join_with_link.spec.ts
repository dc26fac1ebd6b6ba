import { expect, test } from "@playwright/test";
import * as path from "node:path";
import { openJoinPage, startRaffle } from "./fixtures/raffle";

test("a phone that follows the QR link only types its name", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  // The big screen shows the address to type, and a QR code that opens it with the code in.
  await expect(host.getByText(/:\d+\/join$/)).toBeVisible();
  await expect(host.getByRole("img", { name: new RegExp(`QR code that opens .*/join/${code}$`) })).toBeVisible();

  const { page: phone } = await openJoinPage(browser, `/join/${code}`);
  await expect(phone.getByLabel("Join code")).toHaveCount(0);
  await expect(phone.getByText(code)).toBeVisible();
  await phone.screenshot({ path: path.join(__dirname, "..", "..", "docs", "screenshots", "phone-join.png") });
  await phone.getByLabel("Your name").fill("Margaret Hamilton");
  await phone.getByRole("button", { name: "Join" }).click();
  await expect(phone.getByText("You're in!")).toBeVisible();
  await expect(host.getByRole("listitem").filter({ hasText: "Margaret Hamilton" })).toBeVisible();
});

import { expect, test } from "@playwright/test";
import { joinRaffle, startRaffle } from "./fixtures/raffle";

test("a name with HTML and script in it shows as plain text on the host screen and the phones", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  let dialogs = 0;
  host.on("dialog", (dialog) => {
    dialogs += 1;
    void dialog.dismiss();
  });

  const script = "<script>alert(1)</script>";
  const image = "<img src=x onerror=alert(2)>";
  const phones = [await joinRaffle(browser, code, script), await joinRaffle(browser, code, image)];
  for (const phone of phones) {
    phone.on("dialog", (dialog) => {
      dialogs += 1;
      void dialog.dismiss();
    });
  }
  await expect(phones[0].getByText(`Joined as ${script}.`)).toBeVisible();
  for (const name of [script, image]) {
    await expect(host.getByRole("listitem").filter({ hasText: name })).toBeVisible();
  }
  await expect(host.locator(".player-list img")).toHaveCount(0);

  await host.getByRole("button", { name: "Draw a winner" }).click();
  const winner = (await host.locator(".winner-name").textContent())!.trim();
  expect([script, image]).toContain(winner);
  await expect(phones.find((_, i) => [script, image][i] !== winner)!.getByText(`${winner} won.`)).toBeVisible();
  expect(dialogs).toBe(0);
});

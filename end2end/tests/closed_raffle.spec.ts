import { expect, test } from "@playwright/test";

// A host screen for a raffle this browser cannot run shows why and a way home, not a raffle that
// looks live. ZZZZZZ stands for a raffle that closed (a day idle) or never ran on this server.
const host = { viewport: { width: 1280, height: 800 } };

test("a host screen whose raffle has closed says so and offers no raffle controls", async ({ browser }) => {
  const page = await (await browser.newContext(host)).newPage();
  await page.addInitScript(() => localStorage.setItem("raffler.host.ZZZZZZ", "0123456789abcdef0123456789abcdef"));
  await page.goto("/host/ZZZZZZ");
  await expect(page.getByRole("alert").filter({ hasText: "This raffle has closed, or this browser is not its host." })).toBeVisible();
  await expect(page.getByRole("link", { name: "Home" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Draw a winner" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "End raffle" })).toHaveCount(0);
});

test("a host screen in a browser without the host's token says so and offers no raffle controls", async ({
  browser,
}) => {
  const page = await (await browser.newContext(host)).newPage();
  await page.goto("/host/ZZZZZZ");
  await expect(page.getByRole("alert").filter({ hasText: "This raffle has closed, or this browser is not its host." })).toBeVisible();
  await expect(page.getByRole("button", { name: "Draw a winner" })).toHaveCount(0);
});

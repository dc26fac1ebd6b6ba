import { expect, test } from "@playwright/test";
import { joinRaffle, openJoinPage, startRaffle } from "./fixtures/raffle";
import { ServerProcess } from "./fixtures/server_process";

// A hall shares one address. These tests run a server of their own that locks an address out
// of guessing after three wrong codes a minute, and spins for eight seconds (long enough to
// end the raffle mid-spin).
const server = new ServerProcess(3018, { RAFFLER_WRONG_CODES_PER_MINUTE: "3", RAFFLER_SPIN_MS: "8000" });
test.use({ baseURL: server.url });
test.beforeAll(() => server.start());
test.afterAll(() => server.stop("SIGKILL"));

test("after wrong codes lock the hall's address out of guessing, a reloaded phone gets back in and hears the draw", async ({
  browser,
}) => {
  const { host, code } = await startRaffle(browser);
  const ada = await joinRaffle(browser, code, "Ada");

  // Someone in the hall (the same address) mistypes the code again and again.
  const { page: guesser } = await openJoinPage(browser, "/join");
  await guesser.getByLabel("Your name").fill("Eve");
  for (const guess of ["WRONG2", "WRONG3", "WRONG4"]) {
    await guesser.getByLabel("Join code").fill(guess);
    await guesser.getByRole("button", { name: "Join" }).click();
    await expect(guesser.getByLabel("Join code")).toHaveAccessibleDescription(`No raffle has the code ${guess}. Check the big screen.`);
  }
  await guesser.getByLabel("Join code").fill("WRONG5");
  await guesser.getByRole("button", { name: "Join" }).click();
  await expect(guesser.getByText(/Too many wrong codes from your network/)).toBeVisible();

  // Ada's phone reloads: its token brings it back, whatever the address did.
  await ada.reload();
  await expect(ada.getByText("You're in!")).toBeVisible();
  await expect(ada.getByText("● Live")).toBeVisible();
  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(ada.getByText("Drawing…")).toBeVisible();
  await expect(ada.getByText("You won!")).toBeVisible({ timeout: 15_000 });
});

test("ending during a spin reveals the draw; its winner claims after the end and the history says so", async ({
  browser,
}) => {
  const { host, code } = await startRaffle(browser);
  const ada = await joinRaffle(browser, code, "Ada");
  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(ada.getByText("Drawing…")).toBeVisible();
  await host.getByRole("button", { name: "End raffle" }).click();
  await host.getByRole("button", { name: "Yes, end the raffle" }).click();

  // Revealed at once, not after the spin; the raffle has ended; the prize can still be claimed.
  await expect(ada.getByText("You won!")).toBeVisible({ timeout: 4_000 });
  await expect(ada.getByText("The raffle has ended")).toBeVisible();
  await expect(host.getByText("The raffle has ended. Thank you, everyone!")).toBeVisible();
  const waiting = host.getByRole("region", { name: "Waiting for claims" });
  await expect(waiting).toContainText(/Ada.*may still claim for (9|10):\d\d/);
  await expect(host.getByRole("button", { name: /Redraw/ })).toHaveCount(0);

  await ada.getByRole("button", { name: "I'm here, claim it" }).click();
  await expect(ada.getByText("Claimed: go and collect it.")).toBeVisible();
  await expect(host.getByRole("row").filter({ hasText: "Ada" })).toContainText("claimed after the end");
  await expect(waiting).toHaveCount(0);
});

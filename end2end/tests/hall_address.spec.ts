import { expect, test } from "@playwright/test";
import { joinRaffle, openJoinPage, startRaffle } from "./fixtures/raffle";
import { ServerProcess } from "./fixtures/server_process";

// A hall shares one address. This test runs a server of its own that locks an address out of
// guessing after three wrong codes a minute (the lock would hold up every other test), with a
// spin of eight seconds.
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

import { expect, test } from "@playwright/test";
import { joinRaffle, startRaffle } from "./fixtures/raffle";
import { ServerProcess } from "./fixtures/server_process";

// The end of a raffle never strands a draw or a prize. A server of this test's own spins for
// eight seconds: long enough to end the raffle mid-spin.
const server = new ServerProcess(3021, { RAFFLER_SPIN_MS: "8000" });
test.use({ baseURL: server.url });
test.beforeAll(() => server.start());
test.afterAll(() => server.stop("SIGKILL"));

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

import { expect, test, type Page } from "@playwright/test";
import { joinRaffle, startRaffle } from "./fixtures/raffle";
import { ServerProcess } from "./fixtures/server_process";

// This file's tests run their own server, so that they can stop and start it.
const server = new ServerProcess(3017);
test.use({ baseURL: server.url });
test.beforeAll(() => server.start());
test.afterAll(() => server.stop("SIGKILL"));

async function live(page: Page) {
  await expect(page.getByText("● Live")).toBeVisible();
}

for (const signal of ["SIGTERM", "SIGKILL"] as const) {
  test(`after a ${signal} and a restart, the host and both phones recover by themselves and the next draw works`, async ({
    browser,
  }) => {
    const { host, code } = await startRaffle(browser);
    const ada = await joinRaffle(browser, code, "Ada");
    const grace = await joinRaffle(browser, code, "Grace");
    await host.getByRole("button", { name: "Draw a winner" }).click();
    const winner = host.locator(".winner-name");
    await expect(winner).toHaveText(/^(Ada|Grace)$/);
    const first = (await winner.textContent())!.trim();
    const [firstPhone, otherPhone] = first === "Ada" ? [ada, grace] : [grace, ada];
    await expect(firstPhone.getByText("You won!")).toBeVisible();
    await expect(otherPhone.getByText("Not this time")).toBeVisible();

    const tookMs = await server.stop(signal);
    if (signal === "SIGTERM") {
      expect(tookMs).toBeLessThan(5_000);
      // Told the server is restarting: no error, just a notice.
      await expect(host.getByText("Server restarting, back in a moment…")).toBeVisible();
      await expect(ada.getByText("Server restarting, back in a moment…")).toBeVisible();
    } else {
      // A crash says nothing: the pages notice the dead socket and keep trying.
      await expect(host.getByText(/Reconnecting…|Server restarting/)).toBeVisible();
    }
    await server.start();

    for (const page of [host, ada, grace]) await live(page);
    await expect(host.getByRole("heading", { name: "2 players" })).toBeVisible();
    await expect(winner).toHaveText(first);
    await expect(firstPhone.getByText("You won!")).toBeVisible();

    await host.getByRole("button", { name: "Draw a winner" }).click();
    await expect(winner).toHaveText(first === "Ada" ? "Grace" : "Ada");
    await expect(otherPhone.getByText("You won!")).toBeVisible();
  });
}

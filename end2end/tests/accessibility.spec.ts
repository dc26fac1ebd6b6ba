// axe-core on the phone's states (joining, in, drawing, won, not this time): no violation of
// serious or critical impact. The stage and the controls are checked in stage.spec.ts.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { joinRaffle, openJoinPage, startRaffle } from "./fixtures/raffle";

async function expectAccessible(page: Page, state: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${state}: ${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

test("every phone state passes axe-core", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  const { page: joining } = await openJoinPage(browser, "/join");
  await expectAccessible(joining, "joining");

  const phones = [await joinRaffle(browser, code, "Ada Lovelace"), await joinRaffle(browser, code, "Grace Hopper")];
  await expectAccessible(phones[0], "in");

  await host.getByRole("button", { name: "Draw a winner" }).click();
  await expect(phones[0].getByText(/Drawing…|You won!|Not this time/)).toBeVisible();
  await expectAccessible(phones[0], "drawing or result");

  for (const p of phones) await expect(p.getByText(/You won!|Not this time/)).toBeVisible();
  const won = (await phones[0].getByText("You won!").count()) > 0 ? phones[0] : phones[1];
  const lost = won === phones[0] ? phones[1] : phones[0];
  await expectAccessible(won, "won");
  await expectAccessible(lost, "not this time");

  await host.getByRole("button", { name: "End raffle" }).click();
  await host.getByRole("button", { name: "Yes, end the raffle" }).click();
  await expect(lost.getByText(/ended/i).first()).toBeVisible();
  await expectAccessible(lost, "ended");
});

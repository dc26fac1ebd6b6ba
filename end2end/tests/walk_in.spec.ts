// A walk-in: the host types in the name of someone whose phone is dead. They can win; the stage
// announces them; the host claims for them; the history and both exports mark them.
import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { startRaffle } from "./fixtures/raffle";

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

test("a walk-in entered by the host wins, shows on the stage and in the export", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  await host.getByLabel("New prize").fill("A signed book");
  await host.getByLabel("New prize").press("Enter");
  await host.getByLabel("Add a walk-in (no phone)").fill("Ada Lovelace");
  await host.getByRole("button", { name: "Add walk-in" }).click();
  await expect(host.getByRole("listitem").filter({ hasText: "Ada Lovelace" })).toContainText("entered by the host");
  await expect(host.getByRole("heading", { name: "1 player" })).toBeVisible();

  const [stage] = await Promise.all([
    host.context().waitForEvent("page"),
    host.getByRole("link", { name: "Open the stage" }).click(),
  ]);
  await stage.setViewportSize({ width: 1280, height: 720 });
  await expect(stage.getByRole("list", { name: "Players, newest first" }).getByText("Ada Lovelace")).toBeVisible();
  expect(stage.url()).toMatch(new RegExp(`/host/${code}/stage$`));

  await stage.keyboard.press(" ");
  await expect(stage.locator(".show-winner")).toHaveText("Ada Lovelace");
  await expect(stage.getByText("Entered by the host")).toBeVisible();
  await expect(stage.getByText("Come to the host to claim it!")).toBeVisible();
  await stage.screenshot({ path: path.join(screenshots, "stage-walk-in-won.png") });

  // Ada has no phone: the host claims for her, and the stage says so.
  await host.getByRole("button", { name: "Claim for Ada Lovelace" }).click();
  await expect(stage.getByText("Ada Lovelace claimed it!")).toBeVisible();
  await expect(host.locator(".history tbody tr")).toContainText("Ada Lovelace (entered by the host)");

  const [csv] = await Promise.all([
    host.waitForEvent("download"),
    host.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  const rows = fs.readFileSync((await csv.path())!, "utf8").trim().split("\n");
  expect(rows[0]).toContain("winner,entered_by_host,result");
  expect(rows[1]).toMatch(/^1,A signed book,Ada Lovelace,yes,claimed,/);

  const [json] = await Promise.all([
    host.waitForEvent("download"),
    host.getByRole("button", { name: "Download JSON" }).click(),
  ]);
  const draws = JSON.parse(fs.readFileSync((await json.path())!, "utf8"));
  expect(draws[0].winner.name).toBe("Ada Lovelace");
  expect(draws[0].entered_by_host).toBe(true);
});

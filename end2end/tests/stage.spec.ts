// The stage: the projector's show in a window of its own, driven by the same browser's host
// token (never by a URL). Space draws from it; the controls and the stage show the same winner;
// it reads at 1920x1080 and 1280x720, before, during and after a draw, and with reduced motion.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import * as path from "node:path";
import { joinRaffle, startRaffle } from "./fixtures/raffle";

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

/** Opens the stage from the controls, as the host does: a new window of the same browser. */
async function openStage(host: Page, size: { width: number; height: number }): Promise<Page> {
  const [stage] = await Promise.all([
    host.context().waitForEvent("page"),
    host.getByRole("link", { name: "Open the stage" }).click(),
  ]);
  await stage.setViewportSize(size);
  await expect(stage.getByText("● Live")).toBeVisible();
  return stage;
}

/** No violation of serious or critical impact on the page as it is now. */
async function expectAccessible(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

for (const size of [
  { width: 1920, height: 1080 },
  { width: 1280, height: 720 },
]) {
  test(`Space on the stage draws, at ${size.width}x${size.height}, and the controls show the same winner`, async ({ browser }) => {
    const { host, code } = await startRaffle(browser);
    await host.getByLabel("New prize").fill("A signed book");
    await host.getByLabel("New prize").press("Enter");
    await host.getByLabel("New prize").fill("A mug");
    await host.getByLabel("New prize").press("Enter");
    await expect(host.getByRole("button", { name: "Draw a winner for A signed book" })).toBeVisible();

    const stage = await openStage(host, size);
    // The host token stays in localStorage: the stage's address holds only the code.
    expect(stage.url()).toMatch(new RegExp(`/host/${code}/stage$`));
    await expect(stage.getByText(code, { exact: true })).toBeVisible();
    await expect(stage.getByText("Scan the code to join!")).toBeVisible();
    await expect(stage.getByRole("img", { name: /QR code that opens/ })).toBeVisible();

    const names = ["Ada Lovelace", "Grace Hopper", "Linus Torvalds"];
    const phones = new Map<string, Page>();
    for (const name of names) {
      phones.set(name, await joinRaffle(browser, code, name));
      await expect(stage.getByRole("list", { name: "Players, newest first" }).getByText(name)).toBeVisible();
    }
    await expect(stage.getByText("3 joined · 3 connected now")).toBeVisible();
    await expect(stage.getByText("Next prize", { exact: true })).toBeVisible();
    const tag = `${size.width}x${size.height}`;
    await stage.screenshot({ path: path.join(screenshots, `stage-before-${tag}.png`) });
    await expectAccessible(stage);

    // Space, twice in a row: one draw.
    await stage.keyboard.press(" ");
    await stage.keyboard.press(" ");
    await expect(stage.getByText("Now drawing", { exact: true })).toBeVisible();
    await stage.screenshot({ path: path.join(screenshots, `stage-during-${tag}.png`) });

    const winnerOnStage = stage.locator(".show-winner");
    await expect(winnerOnStage).toBeVisible();
    const winner = (await winnerOnStage.textContent())!.trim();
    expect(names).toContain(winner);
    await expect(host.locator(".winner-name")).toHaveText(winner);
    await expect(stage.getByText("Winner #1 · A signed book")).toBeVisible();
    await expect(stage.getByRole("heading", { name: "Tonight's winners" })).toBeVisible();
    await expect(stage.locator(".confetti")).toBeAttached();
    // The next Space is for the mug: the double press drew only once.
    await expect(host.getByRole("button", { name: "Draw a winner for A mug" })).toBeVisible();
    await expect(host.locator(".history tbody tr")).toHaveCount(1);
    await stage.screenshot({ path: path.join(screenshots, `stage-after-${tag}.png`) });
    await expectAccessible(stage);
    await expectAccessible(host);

    // The winner claims on their phone; the stage says so.
    await phones.get(winner)!.getByRole("button", { name: "I'm here, claim it" }).click();
    await expect(stage.getByText(`${winner} claimed it!`)).toBeVisible();

    // With reduced motion: no reel and no confetti, a fade.
    await stage.emulateMedia({ reducedMotion: "reduce" });
    await stage.keyboard.press(" ");
    await expect(stage.getByText("Drawing…", { exact: true })).toBeVisible();
    await expect(stage.locator(".reel-window")).toBeHidden();
    await stage.screenshot({ path: path.join(screenshots, `stage-reduced-motion-during-${tag}.png`) });
    await expect(stage.getByText("Winner #2 · A mug")).toBeVisible();
    await expect(stage.locator(".confetti")).toBeHidden();
    // The fade run to its end: the picture the room sees a second later.
    await stage.screenshot({ path: path.join(screenshots, `stage-reduced-motion-after-${tag}.png`), animations: "disabled" });
  });
}

test("F puts the stage full screen and Esc takes it out; Space with nobody in says so", async ({ browser }) => {
  const { host } = await startRaffle(browser);
  const stage = await openStage(host, { width: 1280, height: 720 });
  await stage.keyboard.press(" ");
  await expect(stage.getByText("Nobody has joined yet.")).toBeVisible();
  await expect(host.locator(".history tbody tr")).toHaveCount(0);
  const fullScreen = () => stage.evaluate(() => document.fullscreenElement !== null);
  await stage.keyboard.press("f");
  await expect.poll(fullScreen).toBe(true);
  await stage.keyboard.press("Escape");
  await expect.poll(fullScreen).toBe(false);
  await stage.getByRole("button", { name: "Full screen" }).click();
  await expect.poll(fullScreen).toBe(true);
  // In full screen the hall sees the show only: no sound switch.
  await expect(stage.getByRole("button", { name: /^Sound:/ })).toBeHidden();
});

test("the reveal sound is off until turned on, then chimes at each reveal, and is remembered", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  // Count the chimes: every oscillator the stage starts.
  await host.context().addInitScript(() => {
    const counter = window as unknown as { chimes: number };
    counter.chimes = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
      counter.chimes += 1;
      return start.call(this, when);
    };
  });
  const stage = await openStage(host, { width: 1280, height: 720 });
  const chimes = () => stage.evaluate(() => (window as unknown as { chimes: number }).chimes);
  for (const name of ["Ada Lovelace", "Grace Hopper"]) await joinRaffle(browser, code, name);
  await expect(stage.getByText("2 joined · 2 connected now")).toBeVisible();

  // Off by default: a reveal is silent.
  await expect(stage.getByRole("button", { name: "Sound: off" })).toBeVisible();
  await stage.keyboard.press(" ");
  // The reveal itself (the spin shows "Winner #1" too, as the label of a draw without a prize).
  await expect(stage.locator(".show-winner")).toBeVisible();
  expect(await chimes()).toBe(0);

  // Turned on by keyboard, and kept across a reload.
  await stage.getByRole("button", { name: "Sound: off" }).focus();
  await stage.keyboard.press("Enter");
  await expect(stage.getByRole("button", { name: "Sound: on" })).toBeFocused();
  await stage.reload();
  await expect(stage.getByText("● Live")).toBeVisible();
  await expect(stage.getByRole("button", { name: "Sound: on" })).toBeVisible();
  await expect(stage.locator(".show-winner")).toBeVisible();
  expect(await chimes()).toBe(0);
  await expectAccessible(stage);

  // The next reveal chimes, once.
  await stage.keyboard.press(" ");
  await expect(stage.getByText("Winner #2")).toBeVisible();
  await expect.poll(chimes).toBe(1);
});

test("a browser without the host token gets no stage", async ({ browser }) => {
  const { code } = await startRaffle(browser);
  const other = await (await browser.newContext()).newPage();
  await other.goto(`/host/${code}/stage`);
  await expect(other.getByRole("alert")).toContainText("this browser is not its host");
  await expect(other.getByText(code, { exact: true })).toHaveCount(0);
});

test("the controls start a raffle and add a prize by keyboard alone", async ({ browser }) => {
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Start a raffle" })).toBeVisible();
  // Tab to "Start a raffle", press Enter.
  await tabTo(page, (el) => el.textContent?.trim() === "Start a raffle");
  await page.keyboard.press("Enter");
  await expect(page.getByText(/^[A-Z2-9]{6}$/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Draw a winner" })).toBeEnabled();
  // Tab to the new prize's field, type, press Enter.
  await tabTo(page, (el) => el.id === "new-prize");
  await page.keyboard.type("A signed book");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Draw a winner for A signed book" })).toBeVisible();
  await expectAccessible(page);
});

/** Presses Tab until the focused element passes `is` (at most 60 times), as a keyboard user would. */
async function tabTo(page: Page, is: (el: Element) => boolean) {
  const check = is.toString();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const found = await page.evaluate((src) => {
      const el = document.activeElement;
      // eslint-disable-next-line no-new-func
      return el !== null && (new Function(`return (${src})`)() as (e: Element) => boolean)(el);
    }, check);
    if (found) return;
  }
  throw new Error("never reached by Tab");
}

test("a name the host hides leaves the stage, still wins, and the stage does not show it", async ({ browser }) => {
  const { host, code } = await startRaffle(browser);
  const stage = await openStage(host, { width: 1280, height: 720 });
  const rude = await joinRaffle(browser, code, "Rude Name");
  const wall = stage.getByRole("list", { name: "Players, newest first" });
  await expect(wall.getByText("Rude Name")).toBeVisible();

  await host.getByRole("button", { name: "Hide Rude Name on the stage" }).click();
  await expect(wall.getByText("Rude Name")).toHaveCount(0);
  await expect(host.getByText("· hidden on the stage")).toBeVisible();
  await expect(stage.getByText("1 joined · 1 connected now")).toBeVisible();

  // The only player wins: the phone knows, the stage does not say who.
  await stage.keyboard.press(" ");
  await expect(stage.locator(".show-winner")).toHaveText("Name hidden");
  await expect(rude.getByText("You won!")).toBeVisible();
  await expect(stage.getByText("Rude Name")).toHaveCount(0);
  await stage.screenshot({ path: path.join(screenshots, "stage-name-hidden-1280x720.png") });

  // Shown again, it is back on the stage.
  await host.getByRole("button", { name: "Show Rude Name on the stage" }).click();
  await expect(stage.locator(".show-winner")).toHaveText("Rude Name");
});

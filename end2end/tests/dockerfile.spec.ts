// The Dockerfile, checked without a Docker daemon (CI may have none, so the image is not built
// here): its syntax by dockerfile-utils (the validator behind VS Code's Docker support:
// instructions, their arguments and flags, JSON forms, stages), and that it builds what README
// says: every file it copies from the repository exists and is not excluded by .dockerignore,
// both stages are Debian 12 (the binary needs the build stage's glibc), its Rust is the
// workspace's rust-version, the build runs scripts/dist.sh and the image starts the artifact.
import { expect, test } from "@playwright/test";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const text = readFileSync(path.join(root, "Dockerfile"), "utf8");
const instructions = DockerfileParser.parse(text).getInstructions();

/** Each `keyword` instruction's words, its flags first (`--from=build`). */
function args(keyword: string): string[][] {
  return instructions
    .filter((i) => i.getKeyword() === keyword)
    .map((i) => {
      const flags = "getFlags" in i ? (i as unknown as { getFlags(): { toString(): string }[] }).getFlags() : [];
      return [...flags.map((f) => f.toString()), ...i.getArguments().map((a) => a.getValue())];
    });
}

test("the Dockerfile has no syntax error nor warning", () => {
  const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  expect(problems).toEqual([]);
});

test("the Dockerfile copies files that exist and builds and starts the deploy artifact", () => {
  const ignored = readFileSync(path.join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  for (const copy of args("COPY").filter((a) => !a[0].startsWith("--from="))) {
    for (const source of copy.slice(0, -1)) {
      expect(existsSync(path.join(root, source)), `COPY ${source}: no such file`).toBe(true);
      if (source !== ".") {
        expect(ignored.some((i) => source === i || source.startsWith(`${i}/`)), `${source} is in .dockerignore`).toBe(false);
      }
    }
  }
  for (const needed of ["target", "end2end/node_modules", ".git"]) expect(ignored).toContain(needed);

  const images = args("FROM").map((a) => a[0]);
  expect(images.length).toBe(2);
  for (const image of images) expect(image).toMatch(/bookworm/);
  const rustVersion = /rust-version = "([0-9.]+)"/.exec(readFileSync(path.join(root, "Cargo.toml"), "utf8"))![1];
  for (const copy of args("COPY").filter((a) => a[0].startsWith("--from=rust:"))) {
    expect(copy[0]).toBe(`--from=rust:${rustVersion}-bookworm`);
  }

  expect(args("RUN").map((a) => a.join(" "))).toContain("scripts/dist.sh");
  expect(args("COPY")).toContainEqual(["--from=build", "/src/target/dist/raffler", "/opt/raffler"]);
  // scripts/dist.sh packs the binary as raffler/raffler beside site/ and hash.txt.
  expect(readFileSync(path.join(root, "scripts", "dist.sh"), "utf8")).toContain('"$out/raffler/raffler"');
  expect(args("ENTRYPOINT")).toEqual([['["/opt/raffler/raffler"]']]);
  expect(args("STOPSIGNAL")).toEqual([["SIGTERM"]]);
});

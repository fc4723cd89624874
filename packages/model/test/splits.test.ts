import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadCorpus } from "../src/data/index.ts";

const run = promisify(execFile);
const dataDir = fileURLToPath(new URL("./fixtures/text/data", import.meta.url));
const cli = fileURLToPath(new URL("../src/cli/splits.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

describe("npm run splits", () => {
  it("writes the recipe's dev/test splits (whole and per source) with weak entity labels", async () => {
    const out = await mkdtemp(join(tmpdir(), "finsentry-splits-"));
    await run(tsx, [cli, "--data-dir", dataDir, "--out", out]);
    const corpus = await loadCorpus({ dataDir, log: () => {} });
    const read = async (f: string) =>
      (await readFile(join(out, f), "utf8"))
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    const dev = await read("dev.jsonl");
    const test = await read("test.jsonl");
    expect(dev.map((e) => e.text)).toEqual(corpus.dev.map((e) => e.text));
    expect(test.map((e) => e.text)).toEqual(corpus.test.map((e) => e.text));
    // Weak labelling ran: every text carries an entities array (possibly empty), not only the gold-annotated ones.
    for (const e of [...dev, ...test]) expect(Array.isArray(e.entities)).toBe(true);
    const files = (await readdir(out)).sort();
    expect(files).toContain("dev.jsonl");
    const perSource = files.filter((f) => /^(dev|test)\..+\.jsonl$/.test(f));
    let n = 0;
    for (const f of perSource) n += (await read(f)).length;
    expect(n).toBe(dev.length + test.length);
  });

  it("refuses to write inside the repository", async () => {
    const inside = fileURLToPath(new URL("./fixtures/splits-out", import.meta.url));
    await expect(run(tsx, [cli, "--data-dir", dataDir, "--out", inside])).rejects.toMatchObject({
      stderr: expect.stringMatching(/inside the repository/),
    });
  });
});

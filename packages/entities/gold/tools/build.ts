/**
 * Writes gold/mentions.jsonl from a reviewed candidate sample kept OUTSIDE the repository.
 * Inputs: the scan TSV subset (/tmp/sample.tsv: source, row, start, end, type, surface, category, guess, sentence)
 * and the reviewer's decisions (/tmp/labels.txt: `<1-based line> DROP` or `<line> <expected|null> <category>`;
 * lines without a decision keep the scanner's guess, which the reviewer accepted after reading the sentence).
 * Only references, spans, a surface hash and labels are written: no source text.
 * Usage: tsx packages/entities/gold/tools/build.ts <dataDir> <sample.tsv> <labels.txt> > packages/entities/gold/mentions.jsonl
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadSourceRows } from "../../src/cli/sources.ts";

const [dataDir = "../shared/data", samplePath = "/tmp/sample.tsv", labelsPath = "/tmp/labels.txt"] = process.argv.slice(2);
const decisions = new Map<number, string[]>();
for (const line of readFileSync(labelsPath, "utf8").split("\n")) {
  const f = line.trim().split(/\s+/);
  if (f.length >= 2) decisions.set(Number(f[0]), f.slice(1));
}
const sha8 = (s: string) => createHash("sha1").update(s, "utf8").digest("hex").slice(0, 8);
const perCategory = new Map<string, number>();
const out: string[] = [];
readFileSync(samplePath, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .forEach((line, i) => {
    const [source, row, start, end, type, surface, category, guess] = line.split("\t") as string[];
    const d = decisions.get(i + 1);
    if (d?.[0] === "DROP") return;
    const expected = d ? d[0]! : guess!;
    const cat = d ? d[1]! : category!;
    if (expected === "?") throw new Error(`line ${i + 1}: no decision`);
    const text = loadSourceRows(dataDir, source!)[Number(row)]!;
    if (text.slice(Number(start), Number(end)) !== surface) throw new Error(`line ${i + 1}: span does not match`);
    const k = perCategory.get(cat) ?? 0;
    perCategory.set(cat, k + 1);
    out.push(
      JSON.stringify({
        source,
        row: Number(row),
        start: Number(start),
        end: Number(end),
        type,
        surface_sha1: sha8(surface!),
        expected: expected === "null" ? null : expected,
        category: cat,
        split: k % 2 === 0 ? "dev" : "test",
      }),
    );
  });
process.stdout.write(out.join("\n") + "\n");
process.stderr.write(`${out.length} mentions; ${[...perCategory].map(([c, n]) => `${c}=${n}`).join(" ")}\n`);

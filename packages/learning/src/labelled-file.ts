import { readFile } from "node:fs/promises";
import { z } from "zod";
import { EntitySpan, SentimentLabel, TopicLabel } from "@finsentry/schemas";
import type { LabelledText } from "./evaluate.ts";

const Line = z.object({
  text: z.string().min(1),
  sentiment: SentimentLabel.optional(),
  topic: TopicLabel.optional(),
  entities: z.array(EntitySpan).optional(),
});

/** Reads a golden or replay set: JSONL of `{text, sentiment?, topic?, entities?}`; errors name the line. */
export async function loadLabelledFile(path: string): Promise<LabelledText[]> {
  const out: LabelledText[] = [];
  const lines = (await readFile(path, "utf8")).split(/\r?\n/);
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(l);
    } catch (err) {
      throw new Error(`${path}:${i + 1}: ${(err as Error).message}`);
    }
    const p = Line.safeParse(json);
    if (!p.success) throw new Error(`${path}:${i + 1}: ${p.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
    out.push(p.data);
  });
  return out;
}

import { readFile } from "node:fs/promises";
import { z } from "zod";
import { N_SENTIMENT, N_TOPIC } from "../nn/config.ts";

/** Longest `features` vector a teacher row may carry. */
export const MAX_FEATURES = 1024;

/**
 * One line of a teacher file: a text and a teacher model's logits for it, in the project's label order
 * (sentiment: bearish, neutral, bullish; topic: the 20 topic labels). Either task may be absent. `features`, when
 * present, is a vector describing the text in the teacher's representation (e.g. its pooled state reduced by PCA),
 * the target of the student's feature term (`TrainOptions.featureWeight`); every row of a file has the same length.
 */
export const TeacherRow = z
  .object({
    text: z.string().min(1),
    sentiment: z.array(z.number().finite()).length(N_SENTIMENT).optional(),
    topic: z.array(z.number().finite()).length(N_TOPIC).optional(),
    features: z.array(z.number().finite()).min(1).max(MAX_FEATURES).optional(),
  })
  .refine((r) => r.sentiment !== undefined || r.topic !== undefined, { message: "needs sentiment and/or topic logits" });
export type TeacherRow = z.infer<typeof TeacherRow>;

/** A teacher's logits (and optional feature vector) for one text. */
export type TeacherTargets = { sentiment?: Float32Array; topic?: Float32Array; features?: Float32Array };
/** Teacher logits by exact text. */
export type TeacherLogits = Map<string, TeacherTargets>;

/** Reads a teacher JSONL file; a bad line fails the whole load with its line number and reason. */
export async function loadTeacher(path: string): Promise<TeacherLogits> {
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch (e) {
    throw new Error(`teacher file ${path}: ${(e as Error).message}`);
  }
  const out: TeacherLogits = new Map();
  let featureDim: number | undefined;
  const lines = raw.split("\n");
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`teacher file ${path} line ${i + 1}: not JSON`);
    }
    const r = TeacherRow.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new Error(`teacher file ${path} line ${i + 1}: ${issue.path.join(".") || "row"}: ${issue.message}`);
    }
    const f = r.data.features;
    if (f) {
      featureDim ??= f.length;
      if (f.length !== featureDim)
        throw new Error(`teacher file ${path} line ${i + 1}: features: ${f.length} values, earlier rows have ${featureDim}`);
    }
    out.set(r.data.text, {
      ...(r.data.sentiment ? { sentiment: Float32Array.from(r.data.sentiment) } : {}),
      ...(r.data.topic ? { topic: Float32Array.from(r.data.topic) } : {}),
      ...(f ? { features: Float32Array.from(f) } : {}),
    });
  }
  if (out.size === 0) throw new Error(`teacher file ${path}: no rows`);
  return out;
}

/** softmax(logits / T): the teacher's "dark knowledge" is in the relative sizes of the wrong classes. */
export function softTargets(logits: Float32Array, temperature: number): Float32Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v / temperature);
  const p = Float32Array.from(logits, (v) => Math.exp(v / temperature - max));
  const s = p.reduce((a, b) => a + b, 0);
  for (let i = 0; i < p.length; i++) p[i] = p[i]! / s;
  return p;
}

/** The length of the feature vectors in teacher files (they must agree), or undefined when none has any. */
export function featureDimOf(...files: (TeacherLogits | undefined)[]): number | undefined {
  let dim: number | undefined;
  for (const file of files) {
    for (const t of file?.values() ?? []) {
      if (!t.features) continue;
      if (dim !== undefined && t.features.length !== dim)
        throw new Error(`teacher files disagree on the feature length (${dim} vs ${t.features.length})`);
      dim = t.features.length;
      break; // rows within one file are checked by loadTeacher
    }
  }
  return dim;
}

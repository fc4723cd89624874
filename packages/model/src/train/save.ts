import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Example } from "../data/example.ts";
import { writeModelDir } from "../runtime/write.ts";
import { MODEL_FILES } from "../runtime/manifest.ts";
import type { Manifest } from "../runtime/manifest.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import { modelCard, SOURCE_LICENCES } from "./card.ts";
import type { TrainResult } from "./trainer.ts";

/** Per-source counts and tasks of the training examples, for the manifest's data card. */
export function dataCard(train: readonly Example[], note?: string): Manifest["data"] {
  const by = new Map<string, { n: number; tasks: Set<"sentiment" | "topic" | "entities"> }>();
  for (const e of train) {
    const s = by.get(e.source) ?? { n: 0, tasks: new Set() };
    s.n++;
    if (e.sentiment) s.tasks.add("sentiment");
    if (e.topic !== undefined) s.tasks.add("topic");
    if (e.entities?.length) s.tasks.add("entities");
    by.set(e.source, s);
  }
  return {
    sources: [...by].map(([name, s]) => ({ name, licence: SOURCE_LICENCES[name] ?? "see source", examples: s.n, tasks: [...s.tasks] })),
    ...(note ? { note } : {}),
  };
}

/** Writes a trained model directory with manifest (metrics + data card + recipe) and MODEL_CARD.md. */
export async function saveTrained(
  dir: string,
  r: TrainResult,
  o: {
    id: string;
    parent?: string | null;
    tokenizer: Tokenizer;
    train: readonly Example[];
    dataNote?: string;
    command: string;
    cardNotes?: string[];
    backend: string;
  },
): Promise<Manifest> {
  const metrics: Manifest["metrics"] = {};
  for (const [k, v] of Object.entries(r.best ?? {})) if (typeof v === "object") metrics[k] = v;
  const base = {
    id: o.id,
    parent: o.parent ?? null,
    config: r.config,
    raw: r.raw,
    tokenizer: o.tokenizer,
    metrics,
    data: dataCard(o.train, o.dataNote),
    training: {
      options: r.options,
      bestEpoch: r.bestEpoch,
      ...(r.averaged ? { averaged: r.averaged } : {}),
      examplesPerSec: r.examplesPerSec,
      backend: o.backend,
      command: o.command,
    },
  };
  const m = await writeModelDir(dir, base);
  const onnxBytes = (await stat(join(dir, MODEL_FILES.onnx))).size;
  // Second write only to add the card, which needs the manifest (hashes are unchanged: same weights, same graph).
  return writeModelDir(dir, {
    ...base,
    createdAt: new Date(m.created_at),
    card: modelCard(m, r, { command: o.command, onnxBytes, notes: o.cardNotes }),
  });
}

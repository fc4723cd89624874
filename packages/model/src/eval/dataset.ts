import { readFile } from "node:fs/promises";
import { ENTITY_TYPES, EntitySpan, TOPIC_LABELS, type SentimentLabel } from "@finsentry/schemas";
import { z } from "zod";
import { readCsvTable } from "../data/csv.ts";
import { SentimentInput, topicIndex } from "../data/labels.ts";

export const EVAL_TASKS = ["sentiment", "topic", "entities"] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

export type EvalItem =
  | { line: number; text: string; task: "sentiment"; label: SentimentLabel }
  | { line: number; text: string; task: "topic"; label: (typeof TOPIC_LABELS)[number] }
  | { line: number; text: string; task: "entities"; spans: EntitySpan[] };

export interface ReadEvalOptions {
  task: EvalTask;
  format?: "csv" | "jsonl";
  /** Column (CSV) or key (JSONL) holding the text; default "text". */
  textCol?: string;
  /** Column/key holding the label; default "label" for CSV, the task name for JSONL. */
  labelCol?: string;
  /** Raw label → label name (or topic index), e.g. parsed from "0=bearish,1=bullish,2=neutral". */
  labelMap?: ReadonlyMap<string, string>;
}

/** Parses "0=bearish,1=bullish,2=neutral" (values may contain spaces and "|", e.g. "3=Fed | Central Banks"). */
export function parseLabelMap(spec: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of spec.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`--label-map: expected raw=label pairs separated by commas, got ${JSON.stringify(part)}`);
    const raw = part.slice(0, eq).trim();
    if (map.has(raw)) throw new Error(`--label-map: ${JSON.stringify(raw)} is mapped twice`);
    map.set(raw, part.slice(eq + 1).trim());
  }
  return map;
}

const Spans = z.array(EntitySpan);

/** Canonical label for one raw value, or throws a message (the caller adds file:line). */
function toItem(task: EvalTask, line: number, text: string, raw: unknown, map?: ReadonlyMap<string, string>): EvalItem {
  if (task === "entities") {
    let value = raw;
    if (typeof raw === "string") {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new Error(`entities must be a JSON array of {start,end,type}, got ${JSON.stringify(raw.slice(0, 60))}`);
      }
    }
    const spans = Spans.safeParse(value);
    if (!spans.success)
      throw new Error(
        `entities: ${spans.error.issues[0]!.path.join(".")}: ${spans.error.issues[0]!.message} (types: ${ENTITY_TYPES.join(", ")})`,
      );
    for (const s of spans.data)
      if (s.end > text.length) throw new Error(`entity span [${s.start}, ${s.end}) is beyond the text (length ${text.length})`);
    return { line, text, task, spans: spans.data };
  }
  if (typeof raw !== "string" && typeof raw !== "number")
    throw new Error(`${task} label must be a string or number, got ${JSON.stringify(raw)}`);
  let value = String(raw).trim();
  if (map) {
    const mapped = map.get(value);
    if (mapped === undefined) throw new Error(`label ${JSON.stringify(value)} is not in --label-map (${[...map.keys()].join(", ")})`);
    value = mapped;
  }
  if (task === "sentiment") {
    const s = SentimentInput.safeParse(value);
    if (!s.success) throw new Error(s.error.issues[0]!.message);
    return { line, text, task, label: s.data };
  }
  const t = topicIndex(value);
  if (t === undefined) throw new Error(`unknown topic ${JSON.stringify(value)} (expected 0-19 or one of the topic names)`);
  return { line, text, task, label: TOPIC_LABELS[t]! };
}

function withLocation<T>(file: string, line: number, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new Error(`${file}:${line}: ${(err as Error).message}`);
  }
}

export interface EvalData {
  items: EvalItem[];
  /** JSONL lines without the task's label (other tasks' examples in a mixed file). */
  skipped: number;
}

/** Reads a labelled CSV or JSONL file for one task; every problem is reported as file:line. */
export async function readEvalData(file: string, opts: ReadEvalOptions): Promise<EvalData> {
  const format = opts.format ?? (file.endsWith(".csv") ? "csv" : /\.jsonl?$/.test(file) ? "jsonl" : undefined);
  if (!format) throw new Error(`${file}: cannot infer the format from the extension; pass --format csv|jsonl`);
  const textCol = opts.textCol ?? "text";
  const content = await readFile(file, "utf8");
  if (format === "csv") {
    const labelCol = opts.labelCol ?? "label";
    const table = readCsvTable(content, file);
    for (const col of [textCol, labelCol])
      if (!table.header.includes(col)) throw new Error(`${file}:1: no column ${JSON.stringify(col)} (columns: ${table.header.join(", ")})`);
    const items = table.records.map(({ line, fields }) =>
      withLocation(file, line, () => {
        const text = fields[textCol]!;
        if (!text.trim()) throw new Error(`empty ${textCol}`);
        return toItem(opts.task, line, text, fields[labelCol], opts.labelMap);
      }),
    );
    return { items, skipped: 0 };
  }
  const labelCol = opts.labelCol ?? opts.task;
  const items: EvalItem[] = [];
  let skipped = 0;
  content.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    withLocation(file, line, () => {
      let obj: unknown;
      try {
        obj = JSON.parse(raw);
      } catch (err) {
        throw new Error(`invalid JSON (${(err as Error).message})`);
      }
      if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new Error("expected a JSON object");
      const rec = obj as Record<string, unknown>;
      const text = rec[textCol];
      if (typeof text !== "string" || !text.trim()) throw new Error(`missing or empty string ${JSON.stringify(textCol)}`);
      if (rec[labelCol] === undefined || rec[labelCol] === null) {
        skipped++;
        return;
      }
      items.push(toItem(opts.task, line, text, rec[labelCol], opts.labelMap));
    });
  });
  return { items, skipped };
}

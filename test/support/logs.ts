import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "@finsentry/core";

/** A logger whose JSON lines are kept for assertions: parsed (`lines`) and as written (`raw`, for leak checks). */
export function capturingLogger(level = "warn"): { log: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      raw.push(String(chunk));
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level }, sink), lines, raw };
}

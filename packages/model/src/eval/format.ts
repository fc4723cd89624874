import type { EvalResult } from "./evaluate.ts";

const pct = (x: number): string => (100 * x).toFixed(1).padStart(5);

/** Human-readable report (the --json form is the stable, machine-readable one). */
export function formatReport(r: EvalResult): string {
  const lines: string[] = [];
  if (r.task === "entities") {
    lines.push(
      `task entities  n=${r.n}  precision ${pct(r.precision)}  recall ${pct(r.recall)}  f1 ${pct(r.f1)}  macro-F1 ${pct(r.macro_f1)}  exact-set ${pct(r.accuracy)}`,
    );
  } else {
    lines.push(`task ${r.task}  n=${r.n}  accuracy ${pct(r.accuracy)}  macro-F1 ${pct(r.macro_f1)}`);
  }
  const names = Object.keys(r.per_class);
  const w = Math.max(5, ...names.map((n) => n.length));
  lines.push(`${"class".padEnd(w)}   prec    rec     f1  support`);
  for (const name of names) {
    const c = r.per_class[name]!;
    lines.push(`${name.padEnd(w)}  ${pct(c.precision)}  ${pct(c.recall)}  ${pct(c.f1)}  ${String(c.support).padStart(7)}`);
  }
  if (r.confusion) {
    lines.push("", "confusion (rows gold, columns predicted, in the order above):");
    for (const row of r.confusion.matrix) lines.push(row.map((v) => String(v).padStart(5)).join(""));
  }
  return lines.join("\n");
}

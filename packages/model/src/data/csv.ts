import { z } from "zod";

/** One CSV record with the 1-based physical line it starts on (records may span lines inside quotes). */
export interface CsvRow {
  line: number;
  values: string[];
}

export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = "CsvError";
  }
}

/**
 * RFC 4180 reader: quoted fields with "" escapes, embedded delimiters and newlines, CRLF or LF, optional BOM.
 * Lenient only where the data needs it: a quote inside an UNquoted field is kept literally. Fully blank lines are
 * skipped (the NASDAQ listings end with one).
 */
export function parseCsv(text: string, file = "<csv>", delimiter = ","): CsvRow[] {
  const rows: CsvRow[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const values: string[] = [];
    let endOfRecord = false;
    while (!endOfRecord) {
      let value = "";
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new CsvError(file, startLine, "unterminated quoted field");
          for (let nl = text.indexOf("\n", i); nl >= 0 && nl < q; nl = text.indexOf("\n", nl + 1)) line++;
          value += text.slice(i, q);
          if (text[q + 1] === '"') {
            value += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        const after = text[i];
        if (after !== undefined && after !== delimiter && after !== "\n" && after !== "\r") {
          throw new CsvError(file, line, `unexpected ${JSON.stringify(after)} after closing quote`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== delimiter && text[i] !== "\n" && text[i] !== "\r") i++;
        value = text.slice(start, i);
      }
      values.push(value);
      if (i >= n) endOfRecord = true;
      else if (text[i] === delimiter) i++;
      else {
        if (text[i] === "\r") i++;
        if (text[i] === "\n") i++;
        line++;
        endOfRecord = true;
      }
    }
    if (!(values.length === 1 && values[0] === "")) rows.push({ line: startLine, values });
  }
  return rows;
}

/** A parsed CSV with a header row: records keyed by column name. */
export interface CsvTable {
  header: string[];
  records: { line: number; fields: Record<string, string> }[];
}

/** Parses and checks every record has the header's column count (error names file and line). */
export function readCsvTable(text: string, file = "<csv>"): CsvTable {
  const rows = parseCsv(text, file);
  const head = rows.shift();
  if (!head) throw new CsvError(file, 1, "empty file (expected a header row)");
  const header = head.values.map((h) => h.trim());
  const records = rows.map((r) => {
    if (r.values.length !== header.length) {
      throw new CsvError(file, r.line, `expected ${header.length} columns (${header.join(",")}), got ${r.values.length}`);
    }
    const fields: Record<string, string> = {};
    header.forEach((h, k) => (fields[h] = r.values[k]!));
    return { line: r.line, fields };
  });
  return { header, records };
}

/** Validates each record with `schema`; the first failure throws with file:line and the zod message. */
export function parseCsvRecords<T>(table: CsvTable, schema: z.ZodType<T>, file = "<csv>"): { line: number; value: T }[] {
  return table.records.map((r) => {
    const parsed = schema.safeParse(r.fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CsvError(file, r.line, `${issue.path.join(".") || "record"}: ${issue.message}`);
    }
    return { line: r.line, value: parsed.data };
  });
}

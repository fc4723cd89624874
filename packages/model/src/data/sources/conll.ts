import type { EntityType } from "@finsentry/schemas";
import type { Example } from "../example.ts";

/** CoNLL class → our entity type; MISC (and anything else) is dropped: it has no counterpart in ENTITY_TYPES. */
const TYPE_MAP: Record<string, EntityType> = { PER: "PERSON", LOC: "LOCATION", ORG: "ORG" };

// Tokens glued to the previous token when re-joining text, so spans read naturally ("Bank," not "Bank ,").
const NO_SPACE_BEFORE = /^(?:[,.;:!?%)\]}]|'s|n't|'re|'ll|'ve|'d|'m)$/i;
const NO_SPACE_AFTER = /^[([{$]$/;

export interface ConllSentence {
  /** 1-based line of the sentence's first token. */
  line: number;
  tokens: string[];
  tags: string[];
}

/** Splits CoNLL text (token … tag per line, blank line between sentences, -DOCSTART- ignored). */
export function parseConll(text: string, file: string): ConllSentence[] {
  const out: ConllSentence[] = [];
  let cur: ConllSentence | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("-DOCSTART-")) {
      if (cur && cur.tokens.length > 0) out.push(cur);
      cur = null;
      return;
    }
    const cols = line.split(/\s+/);
    if (cols.length < 2) throw new Error(`${file}:${i + 1}: expected "token … tag", got ${JSON.stringify(raw)}`);
    const tag = cols[cols.length - 1]!;
    if (!/^(?:O|[BI]-[A-Z]+)$/.test(tag)) throw new Error(`${file}:${i + 1}: bad tag ${JSON.stringify(tag)}`);
    cur ??= { line: i + 1, tokens: [], tags: [] };
    cur.tokens.push(cols[0]!);
    cur.tags.push(tag);
  });
  if (cur && (cur as ConllSentence).tokens.length > 0) out.push(cur);
  return out;
}

/**
 * Re-joins a sentence into text and turns IOB1/IOB2 tags into character spans: a span runs over consecutive
 * tokens of one class and a B- tag starts a new one. `keep` may veto spans (e.g. role words tagged PER).
 */
export function conllToExample(
  s: ConllSentence,
  source: string,
  keep: (span: { type: EntityType; text: string }) => boolean = () => true,
): { example: Example; dropped: number } {
  let text = "";
  const starts: number[] = [];
  s.tokens.forEach((tok, k) => {
    if (k > 0 && !NO_SPACE_BEFORE.test(tok) && !NO_SPACE_AFTER.test(s.tokens[k - 1]!)) text += " ";
    starts.push(text.length);
    text += tok;
  });
  const entities: Example["entities"] & object = [];
  let dropped = 0;
  let open: { cls: string; start: number; end: number } | null = null;
  const close = (): void => {
    if (!open) return;
    const type = TYPE_MAP[open.cls];
    if (type && keep({ type, text: text.slice(open.start, open.end) })) entities.push({ start: open.start, end: open.end, type });
    else dropped++;
    open = null;
  };
  s.tags.forEach((tag, k) => {
    const end = starts[k]! + s.tokens[k]!.length;
    if (tag === "O") return close();
    const [prefix, cls] = tag.split("-") as [string, string];
    if (open && open.cls === cls && prefix === "I") open.end = end;
    else {
      close();
      open = { cls, start: starts[k]!, end };
    }
  });
  close();
  return { example: { text, entities, source }, dropped };
}

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Example } from "../example.ts";
import { conllToExample, parseConll } from "./conll.ts";
import { bumpNote, type LoadedSource, type SourceLoader } from "./types.ts";

const NAME = "sec-filings-ner";

/**
 * Loan agreements annotate the contract roles "Borrower"/"Lender" as PER (most PER tokens in FIN5). They are not
 * people and would teach PERSON = "capitalised legal role", so such spans are dropped (counted in the notes).
 */
const ROLE_WORDS = new Set([
  "borrower",
  "borrowers",
  "lender",
  "lenders",
  "guarantor",
  "guarantors",
  "agent",
  "holder",
  "holders",
  "trustee",
]);

/**
 * SEC filings NER (Alvarado et al. 2015), CoNLL: FIN5 + FIN3, one example per sentence. PER→PERSON, LOC→LOCATION,
 * ORG→ORG, MISC dropped. Spans are complete for those three types; MONEY/PERCENT/TICKER are unannotated, so weak
 * labels may fill them (gold wins on overlap).
 */
export const secNer: SourceLoader = {
  name: NAME,
  async load(dir): Promise<LoadedSource> {
    const notes: Record<string, number> = {};
    const examples: Example[] = [];
    for (const name of ["FIN5.txt", "FIN3.txt"]) {
      const file = join(dir, name);
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch {
        bumpNote(notes, `missing ${name}`);
        continue;
      }
      for (const sentence of parseConll(text, file)) {
        const { example, dropped } = conllToExample(sentence, NAME, (s) => {
          const role = s.type === "PERSON" && ROLE_WORDS.has(s.text.toLowerCase());
          if (role) bumpNote(notes, "roleWordPersonsDropped");
          return !role;
        });
        if (dropped) bumpNote(notes, "spansDropped(MISC+roles)", dropped);
        examples.push(example);
      }
    }
    return { examples, notes };
  },
};

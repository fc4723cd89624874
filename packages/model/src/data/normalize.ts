import { unescapeHtml } from "../tokenizer/normalize.ts";

const URL_RE = /(?:https?:\/\/|www\.)\S+/gi;

/** Removes links: re-posts of the same tweet differ only in their t.co short link. */
export function stripUrls(text: string): string {
  return text.replace(URL_RE, " ");
}

/** Cleans a loaded text: unescapes `&amp;`-style entities, trims, collapses runs of spaces/tabs. */
export function cleanText(text: string): string {
  return unescapeHtml(text)
    .replace(/[ \t]+/g, " ")
    .trim();
}

/**
 * Duplicate/split key: lowercase, no links, no punctuation, single spaces. Two texts with the same key are treated as
 * the same example (deduped, and always assigned to the same split).
 */
export function dedupeKey(text: string): string {
  return unescapeHtml(stripUrls(text))
    .toLowerCase()
    .replace(/[^\p{L}\p{N}$%]+/gu, " ")
    .trim();
}

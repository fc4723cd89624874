import { entityKey, type EntityMention, type ModelOutput } from "@finsentry/schemas";

export { entityKey };

export function mentionsOf(output: ModelOutput): EntityMention[] {
  const out: EntityMention[] = [];
  const seen = new Set<string>();
  for (const e of output.entities) {
    const key = entityKey(e.type, e.text);
    const spanKey = `${e.start}:${e.end}`;
    if (!key || seen.has(spanKey)) continue;
    seen.add(spanKey);
    out.push({ key, type: e.type, text: e.text, start: e.start, end: e.end });
  }
  return out;
}

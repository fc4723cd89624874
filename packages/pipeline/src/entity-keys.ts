import { entityKey, type EntityMention, type ModelOutput } from "@finsentry/schemas";
import { resolveTaggedTicker, type EntityResolver } from "@finsentry/entities";

export { entityKey };

/**
 * The item's entity mentions with their keys. With a resolver, a mention of a registered entity gets its canonical
 * key (`E:<id>`, issue 20), registered tickers written as $XYZ/#XYZ that the model missed are added, and a span the
 * model tagged without its leading `$`/`#` is widened to it (so evidence shows the form the author wrote). Without
 * one, or for a mention the registry does not know, the key is the surface key as before: nothing is dropped.
 * A `$`/`#` span whose body is a registered ticker is that instrument's mention (type TICKER) whatever type the model
 * gave it: the model sometimes tags "#NWM" as PERSON or LOCATION. A name span cut short inside a registered name
 * ("Retail" or "Woodgrove" of "Woodgrove Retail") becomes a mention of that name, so single words of company names do
 * not key entities of their own; two fragments of one name become one mention.
 */
export function mentionsOf(output: ModelOutput, text = "", resolver: EntityResolver | null = null): EntityMention[] {
  const out: EntityMention[] = [];
  const seen = new Set<string>();
  const add = (type: EntityMention["type"], surface: string, start: number, end: number, key: string | null) => {
    const spanKey = `${start}:${end}`;
    if (!key || seen.has(spanKey)) return;
    seen.add(spanKey);
    out.push({ key, type, text: surface, start, end });
  };
  for (const e of output.entities) {
    if (!resolver) {
      add(e.type, e.text, e.start, e.end, entityKey(e.type, e.text));
      continue;
    }
    const sigil = e.start > 0 && e.text === text.slice(e.start, e.end) ? text[e.start - 1] : undefined;
    const widen = (sigil === "$" || sigil === "#") && !/^[$#]/.test(e.text);
    const start = widen ? e.start - 1 : e.start;
    const surface = widen ? sigil + e.text : e.text;
    const m = { type: e.type, text: surface, start, end: e.end };
    const tagged = resolveTaggedTicker(resolver, m, text);
    if (tagged) {
      add("TICKER", surface, start, e.end, tagged.key);
      continue;
    }
    const own = resolver.resolve(m, text);
    const enclosing = own.entityId ? null : resolver.resolveEnclosing(m, text);
    if (enclosing) {
      const w = enclosing.mention;
      add(w.type as EntityMention["type"], w.text, w.start, w.end, enclosing.resolution.key);
    } else add(e.type, surface, start, e.end, own.key);
  }
  if (resolver) {
    for (const t of resolver.findTickerMentions(text, out)) {
      add("TICKER", t.text, t.start, t.end, resolver.resolve(t, text).key);
    }
  }
  return out;
}

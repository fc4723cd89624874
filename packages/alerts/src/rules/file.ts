import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { Rule, RuleValidationError } from "./schema.ts";
import { describeIssues } from "@finsentry/schemas";

export const DEFAULT_RULES_FILE = fileURLToPath(new URL("../../rules.default.yaml", import.meta.url));
/** Short-window rules for the demo stream only (seeded by `npm start` while the demo runs). */
export const DEMO_RULES_FILE = fileURLToPath(new URL("../../rules.demo.yaml", import.meta.url));

const RulesFile = z.strictObject({ rules: z.array(Rule) }).superRefine((f, ctx) => {
  const seen = new Set<string>();
  f.rules.forEach((r, i) => {
    if (seen.has(r.id)) ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id '${r.id}'` });
    seen.add(r.id);
  });
});

/** Parses a YAML or JSON rules document (`{ rules: [...] }` or a bare list); errors name the rule index and field. */
export function parseRulesText(text: string): Rule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new RuleValidationError([{ path: "(root)", message: `not valid YAML/JSON: ${(err as Error).message}` }]);
  }
  // A bare list is accepted as shorthand for `{ rules: [...] }`.
  const r = RulesFile.safeParse(Array.isArray(doc) ? { rules: doc } : doc);
  if (!r.success) throw new RuleValidationError(describeIssues(r.error));
  return r.data.rules;
}

export async function loadRulesFile(path: string = DEFAULT_RULES_FILE): Promise<Rule[]> {
  return parseRulesText(await readFile(path, "utf8"));
}

import { asc, eq, sql } from "drizzle-orm";
import { alertRules, type Db } from "@finsentry/db";
import { compileRule, type CompiledRule } from "./compile.ts";
import { Rule, RuleValidationError, parseRule, safeParseRule } from "./schema.ts";

export type RuleRow = typeof alertRules.$inferSelect;

export class RuleConflictError extends Error {}
export class RuleNotFoundError extends Error {}

export interface StoredRule {
  rule: Rule;
  version: number;
  source: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string | null;
}

const toStored = (row: RuleRow, rule: Rule): StoredRule => ({
  rule,
  version: row.version,
  source: row.source,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  updatedBy: row.updatedBy,
});

const columns = (rule: Rule) => ({ name: rule.name, type: rule.type, severity: rule.severity, enabled: rule.enabled, definition: rule });

/** Stored rules; one whose definition no longer validates is reported rather than thrown. */
export async function listRules(
  db: Db,
): Promise<{ stored: StoredRule[]; invalid: { id: string; problems: { path: string; message: string }[] }[]; signature: string }> {
  const rows = await db.select().from(alertRules).orderBy(asc(alertRules.id));
  const signature = rows.map((r) => `${r.id}@${r.version}`).join(",");
  const stored: StoredRule[] = [];
  const invalid: { id: string; problems: { path: string; message: string }[] }[] = [];
  for (const row of rows) {
    const r = safeParseRule(row.definition);
    if (r.ok) stored.push(toStored(row, r.rule));
    else invalid.push({ id: row.id, problems: r.problems });
  }
  return { stored, invalid, signature };
}

export async function getRule(db: Db, id: string): Promise<StoredRule | null> {
  const [row] = await db.select().from(alertRules).where(eq(alertRules.id, id));
  if (!row) return null;
  return toStored(row, parseRule(row.definition));
}

export async function createRule(db: Db, input: unknown, by: string, source = "api"): Promise<StoredRule> {
  const rule = parseRule(input);
  const rows = await db
    .insert(alertRules)
    .values({ id: rule.id, ...columns(rule), source, updatedBy: by })
    .onConflictDoNothing()
    .returning();
  if (!rows[0]) throw new RuleConflictError(`rule '${rule.id}' already exists`);
  return toStored(rows[0], rule);
}

/** Replaces a rule's definition (the id comes from the path; a different id in the body is an error). */
export async function replaceRule(db: Db, id: string, input: unknown, by: string): Promise<StoredRule> {
  const body = input && typeof input === "object" && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : input;
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    if (b.id !== undefined && b.id !== id) throw new RuleValidationError([{ path: "id", message: `must match the path id '${id}'` }]);
    b.id = id;
  }
  const rule = parseRule(body);
  const rows = await db
    .update(alertRules)
    .set({ ...columns(rule), version: sql`${alertRules.version} + 1`, updatedAt: sql`now()`, updatedBy: by })
    .where(eq(alertRules.id, id))
    .returning();
  if (!rows[0]) throw new RuleNotFoundError(`rule '${id}' not found`);
  return toStored(rows[0], rule);
}

/** Shallow-merges fields into the stored definition (e.g. `{ enabled: false }`), then validates the result. */
export async function patchRule(db: Db, id: string, patch: unknown, by: string): Promise<StoredRule> {
  if (!patch || typeof patch !== "object" || Array.isArray(patch))
    throw new RuleValidationError([{ path: "(root)", message: "expected an object" }]);
  const current = await getRule(db, id);
  if (!current) throw new RuleNotFoundError(`rule '${id}' not found`);
  return replaceRule(db, id, { ...current.rule, ...(patch as Record<string, unknown>) }, by);
}

export async function deleteRule(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(alertRules).where(eq(alertRules.id, id)).returning({ id: alertRules.id });
  return rows.length > 0;
}

/** Inserts file rules whose id is not stored yet; rules edited through the API are never overwritten. */
export async function seedRules(db: Db, rules: Rule[]): Promise<number> {
  if (rules.length === 0) return 0;
  const rows = await db
    .insert(alertRules)
    .values(rules.map((r) => ({ id: r.id, ...columns(r), source: "file", updatedBy: "seed" })))
    .onConflictDoNothing()
    .returning({ id: alertRules.id });
  return rows.length;
}

/** Cheap change detector: the engine reloads when this differs from what it runs. */
export async function ruleSignature(db: Db): Promise<string> {
  const rows = await db.select({ id: alertRules.id, version: alertRules.version }).from(alertRules).orderBy(asc(alertRules.id));
  return rows.map((r) => `${r.id}@${r.version}`).join(",");
}

export async function loadCompiledRules(
  db: Db,
): Promise<{ rules: CompiledRule[]; invalid: { id: string; problems: { path: string; message: string }[] }[]; signature: string }> {
  const { stored, invalid, signature } = await listRules(db);
  return { rules: stored.map((s) => compileRule(s.rule, s.version)), invalid, signature };
}

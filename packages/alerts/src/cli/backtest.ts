/**
 * Replays stored history through one rule and prints the alerts it would have fired.
 *
 *   tsx packages/alerts/src/cli/backtest.ts --rule <id | rules.yaml#id | rule.json> --from 2025-03-01T00:00:00Z --to 2025-03-08T00:00:00Z
 *     [--warmup 3d] [--db postgres://… (default DATABASE_URL, else PGlite at DB_PATH / in memory)] [--json]
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { openDb } from "@finsentry/db";
import { backtestRule, BacktestRequest } from "../backtest.ts";
import { parseRulesText } from "../rules/file.ts";
import { RuleValidationError, type Rule } from "../rules/schema.ts";
import { getRule } from "../rules/store.ts";
import { describeIssues } from "@finsentry/schemas";

const { values: args } = parseArgs({
  options: {
    rule: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    warmup: { type: "string" },
    db: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

function fail(msg: string): never {
  console.error(msg);
  process.exit(2);
}

const range = BacktestRequest.safeParse({ from: args.from, to: args.to, ...(args.warmup ? { warmup: args.warmup } : {}) });
if (!range.success)
  fail(
    describeIssues(range.error)
      .map((p) => `--${p.path}: ${p.message}`)
      .join("\n"),
  );
if (!args.rule) fail("--rule is required (a stored rule id, a rules file, or file#id)");

const handle = await openDb(args.db ?? process.env.DATABASE_URL ?? process.env.DB_PATH);
try {
  let rule: Rule | null = null;
  const [file, id] = args.rule.split("#") as [string, string | undefined];
  if (existsSync(file)) {
    const rules = parseRulesText(readFileSync(file, "utf8"));
    rule =
      (id ? rules.find((r) => r.id === id) : rules.length === 1 ? rules[0] : undefined) ??
      fail(`pick one rule of ${file} with ${file}#<id>: ${rules.map((r) => r.id).join(", ")}`);
  } else {
    rule = (await getRule(handle.db, args.rule))?.rule ?? fail(`no stored rule '${args.rule}'`);
  }
  const result = await backtestRule(handle.db, rule, range.data);
  if (args.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `${result.rule_id}: ${result.alerts.length} alert(s) over ${result.items} item-mentions, ${result.entities} entities, ${result.evaluations} evaluations (replayed from ${result.replay_from})`,
    );
    for (const a of result.alerts) {
      console.log(`  ${a.fired_at} → ${a.resolved_at ?? "still open"}  ${a.severity.padEnd(8)} ${a.entity_key}  ${a.summary}`);
      console.log(`      evidence: ${a.evidence_item_ids.join(", ")}`);
    }
  }
} catch (err) {
  if (err instanceof RuleValidationError) fail(err.message);
  throw err;
} finally {
  await handle.close();
}

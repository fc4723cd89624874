import type { Logger } from "@finsentry/core";
import type { Db } from "@finsentry/db";
import { bootstrapAdmin } from "./auth.ts";

/** Creates the first admin on an empty database and prints the one-time credential to the terminal (never to logs). */
export async function ensureAdmin(db: Db, log: Logger): Promise<void> {
  const created = await bootstrapAdmin(db);
  if (!created) return;
  log.info({ user: created.name }, "first run: created the admin user");
  if (created.generated) {
    console.log(
      `\n  First run: sign in as '${created.name}' with password  ${created.password}\n  (shown once; create more users and API keys from the API or dashboard)\n`,
    );
  }
}

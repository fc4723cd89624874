import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import type { Db } from "@finsentry/db";
import { LabelV1, TOPICS } from "@finsentry/schemas";
import { LabelError, saveLabel } from "./store.ts";

/**
 * Labels produced by other systems on the `labels` topic. Labels the API already stored are published there too;
 * saving is idempotent on the label id, so they are not stored twice. Invalid ones are logged and counted.
 */
export async function startLabelConsumer(deps: { bus: Bus; db: Db; log: Logger; groupId?: string }) {
  return deps.bus.subscribe({
    groupId: deps.groupId ?? "labels",
    topics: [TOPICS.labels],
    eachBatch: async ({ messages }) => {
      for (const msg of messages) {
        let json: unknown;
        try {
          json = JSON.parse(msg.value.toString());
        } catch {
          deps.log.warn({ offset: msg.offset }, "label message is not JSON; skipped");
          continue;
        }
        const p = LabelV1.safeParse(json);
        if (!p.success) {
          deps.log.warn({ offset: msg.offset, problems: p.error.issues.slice(0, 5) }, "invalid label on the labels topic; skipped");
          continue;
        }
        try {
          await saveLabel(deps.db, p.data, "kafka");
        } catch (err) {
          if (!(err instanceof LabelError)) throw err;
          deps.log.warn({ offset: msg.offset, path: err.path, err: err.message }, "label refused");
        }
      }
    },
  });
}

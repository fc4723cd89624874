import { randomUUID } from "node:crypto";
import { and, desc, eq, ne } from "drizzle-orm";
import { modelPromotions, modelVersions, type Db } from "@finsentry/db";

export type ModelVersionRow = typeof modelVersions.$inferSelect;

/** The model index in Postgres: versions, the champion, and promotion history. */
export class ModelRegistry {
  constructor(private db: Db) {}

  async register(v: {
    id: string;
    parentId: string | null;
    uri: string;
    metrics: Record<string, unknown>;
    dataSummary: Record<string, unknown>;
    status?: "registered" | "rejected";
  }) {
    await this.db
      .insert(modelVersions)
      .values({ ...v, status: v.status ?? "registered" })
      .onConflictDoNothing();
  }

  async get(id: string): Promise<ModelVersionRow | null> {
    const [r] = await this.db.select().from(modelVersions).where(eq(modelVersions.id, id));
    return r ?? null;
  }

  async list(): Promise<ModelVersionRow[]> {
    return this.db.select().from(modelVersions).orderBy(desc(modelVersions.createdAt));
  }

  async champion(): Promise<ModelVersionRow | null> {
    const [r] = await this.db.select().from(modelVersions).where(eq(modelVersions.status, "champion"));
    return r ?? null;
  }

  /** Makes `id` the champion in one transaction; returns the version it replaced. */
  async promote(id: string, by: string, kind: "promote" | "rollback" = "promote"): Promise<{ previous: string | null }> {
    return this.db.transaction(async (tx) => {
      const [target] = await tx.select().from(modelVersions).where(eq(modelVersions.id, id));
      if (!target) throw new Error(`no model version ${id}`);
      const [current] = await tx.select().from(modelVersions).where(eq(modelVersions.status, "champion"));
      if (current?.id === id) return { previous: null };
      if (current) await tx.update(modelVersions).set({ status: "retired" }).where(eq(modelVersions.id, current.id));
      await tx
        .update(modelVersions)
        .set({ status: "champion", promotedAt: new Date().toISOString(), promotedBy: by })
        .where(eq(modelVersions.id, id));
      await tx.insert(modelPromotions).values({ id: randomUUID(), versionId: id, previousId: current?.id ?? null, kind, by });
      return { previous: current?.id ?? null };
    });
  }

  /** The version that served before the current champion (from promotion history). */
  async previousChampion(): Promise<string | null> {
    const current = await this.champion();
    if (!current) return null;
    const [last] = await this.db
      .select()
      .from(modelPromotions)
      .where(and(eq(modelPromotions.versionId, current.id), ne(modelPromotions.kind, "noop")))
      .orderBy(desc(modelPromotions.at))
      .limit(1);
    return last?.previousId ?? current.parentId;
  }
}

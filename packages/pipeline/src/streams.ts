import { eq } from "drizzle-orm";
import { z } from "zod";
import { streams, type Db } from "@finsentry/db";
import { FieldMapping } from "@finsentry/ingest";
import { TOPICS } from "@finsentry/schemas";

const RESERVED_TOPICS = new Set<string>(Object.values(TOPICS).filter((t) => t !== TOPICS.news && t !== TOPICS.social));

/** A user-registered stream: a Kafka topic with a field mapping, or an HTTP endpoint (POST …/streams/:id/items). */
export const StreamSpec = z.discriminatedUnion("kind", [
  z
    .object({
      id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and dashes, 2-63 chars"),
      kind: z.literal("kafka"),
      topic: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,249}$/, "a valid Kafka topic name")
        .refine((t) => !RESERVED_TOPICS.has(t), { message: "is one of finsentry's internal topics" }),
      mapping: FieldMapping,
      enabled: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and dashes, 2-63 chars"),
      kind: z.literal("http"),
      mapping: FieldMapping,
      enabled: z.boolean().default(true),
    })
    .strict(),
]);
export type StreamSpec = z.infer<typeof StreamSpec>;

/** Built-in streams: items on these topics already follow the item schema, no mapping. */
export const BUILTIN_STREAMS = ["news", "social"] as const;

function toSpec(row: typeof streams.$inferSelect): StreamSpec {
  return StreamSpec.parse({
    id: row.id,
    kind: row.kind,
    ...(row.topic ? { topic: row.topic } : {}),
    mapping: row.mapping,
    enabled: row.enabled,
  });
}

export class StreamRegistry {
  constructor(private db: Db) {}

  async list(): Promise<StreamSpec[]> {
    const rows = await this.db.select().from(streams).orderBy(streams.createdAt);
    return rows.map(toSpec);
  }

  async get(id: string): Promise<StreamSpec | null> {
    const [row] = await this.db.select().from(streams).where(eq(streams.id, id));
    return row ? toSpec(row) : null;
  }

  /** Returns false when the id is taken (built-in names are always taken). */
  async create(spec: StreamSpec): Promise<boolean> {
    if ((BUILTIN_STREAMS as readonly string[]).includes(spec.id)) return false;
    const inserted = await this.db
      .insert(streams)
      .values({
        id: spec.id,
        kind: spec.kind,
        topic: spec.kind === "kafka" ? spec.topic : null,
        mapping: spec.mapping,
        enabled: spec.enabled,
      })
      .onConflictDoNothing()
      .returning({ id: streams.id });
    return inserted.length === 1;
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.db.delete(streams).where(eq(streams.id, id)).returning({ id: streams.id });
    return r.length === 1;
  }
}

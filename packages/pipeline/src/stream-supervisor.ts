import type { Logger } from "@finsentry/core";
import type { Bus, Subscription } from "@finsentry/bus";
import { TOPICS } from "@finsentry/schemas";
import { startTopicIngest, type IngestWriter } from "./ingest-service.ts";
import type { StreamRegistry, StreamSpec } from "./streams.ts";

/**
 * Keeps one consumer per enabled Kafka stream (built-in news/social plus user-registered ones), starting and stopping
 * them as the registry changes — no restart needed. Polls the registry; `refresh()` applies a change at once.
 */
export class StreamSupervisor {
  private running = new Map<string, { sub: Subscription; fingerprint: string }>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private deps: { bus: Bus; log: Logger; writer: IngestWriter; registry: StreamRegistry; pollMs?: number }) {}

  async start(): Promise<void> {
    await this.deps.bus.ensureTopics([TOPICS.news, TOPICS.social, TOPICS.raw, TOPICS.deadLetter].map((name) => ({ name })));
    for (const stream of ["news", "social"]) {
      const sub = await startTopicIngest(this.deps, { stream, topic: stream });
      this.running.set(stream, { sub, fingerprint: "builtin" });
    }
    await this.refresh();
    this.timer = setInterval(
      () => void this.refresh().catch((err) => this.deps.log.error({ err }, "stream refresh failed")),
      this.deps.pollMs ?? 2000,
    );
    this.timer.unref();
  }

  refresh(): Promise<void> {
    // A failed refresh must not poison the chain: the next poll tries again.
    this.refreshing = this.refreshing.catch(() => undefined).then(() => this.apply());
    return this.refreshing;
  }

  private async apply(): Promise<void> {
    const wanted = new Map<string, StreamSpec & { kind: "kafka" }>();
    for (const s of await this.deps.registry.list()) if (s.kind === "kafka" && s.enabled) wanted.set(s.id, s);
    for (const [id, r] of this.running) {
      if (r.fingerprint === "builtin") continue;
      const w = wanted.get(id);
      if (!w || JSON.stringify(w) !== r.fingerprint) {
        await r.sub.stop();
        this.running.delete(id);
        this.deps.log.info({ stream: id }, "stopped stream consumer");
      }
    }
    for (const [id, spec] of wanted) {
      if (this.running.has(id)) continue;
      await this.deps.bus.ensureTopics([{ name: spec.topic }]);
      const sub = await startTopicIngest(this.deps, { stream: id, topic: spec.topic, mapping: spec.mapping });
      this.running.set(id, { sub, fingerprint: JSON.stringify(spec) });
      this.deps.log.info({ stream: id, topic: spec.topic }, "started stream consumer");
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.refreshing.catch(() => undefined);
    await Promise.all([...this.running.values()].map((r) => r.sub.stop()));
    this.running.clear();
  }
}

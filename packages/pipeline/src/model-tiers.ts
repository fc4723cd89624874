import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseEnv, type Logger } from "@finsentry/core";
import { CascadeScorer, DEFAULT_SENTIMENT_BLEND, loadAccurateScorer, type TextScorer } from "@finsentry/model";
import { ModelLoadError } from "./model-loader.ts";

/** The accurate tier bundled with the repository (docs/accurate-tier.md). */
export const BUNDLED_ACCURATE_DIR = fileURLToPath(new URL("../../../models/accurate", import.meta.url));

/** Default escalation threshold, chosen on the accuracy-vs-throughput curve (docs/benchmarks.md, "Cascade"). */
export const DEFAULT_CASCADE_THRESHOLD = 0.8;

export const TierConfig = z.object({
  /**
   * fast: the fast (registry champion) model alone. cascade: it reads everything and hands the items it is unsure of to
   * the accurate tier. accurate: the accurate tier alone (online learning then still trains the fast model, which does
   * not serve).
   */
  SCORER_TIERS: z.enum(["fast", "cascade", "accurate"]).default("cascade"),
  /** Items whose least fast-tier confidence (sentiment, topic or any entity span) is below this go to the accurate tier. */
  CASCADE_THRESHOLD: z.coerce.number().min(0).max(1.01).default(DEFAULT_CASCADE_THRESHOLD),
  /** The fast tier's weight in an escalated item's sentiment (geometric pooling of both tiers; 0 = the accurate tier's own). */
  CASCADE_SENTIMENT_BLEND: z.coerce.number().min(0).max(1).default(DEFAULT_SENTIMENT_BLEND),
  ACCURATE_MODEL_DIR: z.string().min(1).default(BUNDLED_ACCURATE_DIR),
});
export type TierConfig = z.infer<typeof TierConfig>;

export function loadTierConfig(env: Record<string, string | undefined> = process.env): TierConfig {
  return parseEnv(TierConfig, env, "scorer tier configuration");
}

/**
 * What serves, given the fast model of the moment: the scorer hot-swaps the fast tier (each champion promotion) while
 * one accurate tier, loaded once, stays in place. `serve(fast)` is called at start and on every swap.
 */
export interface ModelTiers {
  readonly mode: TierConfig["SCORER_TIERS"];
  serve(fast: TextScorer): TextScorer;
  close(): Promise<void>;
}

/**
 * Loads the accurate tier when the mode needs it. A missing or invalid accurate directory stops the scorer with one
 * line naming it (SCORER_TIERS=fast runs without one); the model is never replaced by something weaker silently.
 */
export async function loadModelTiers(log: Logger, cfg: TierConfig = loadTierConfig()): Promise<ModelTiers> {
  if (cfg.SCORER_TIERS === "fast") {
    log.info("scoring with the fast model alone (SCORER_TIERS=fast)");
    return { mode: "fast", serve: (fast) => fast, close: async () => {} };
  }
  const dir = cfg.ACCURATE_MODEL_DIR;
  if (!existsSync(join(dir, "manifest.json"))) {
    throw new ModelLoadError(
      `no accurate-tier model at ACCURATE_MODEL_DIR ${dir} (no manifest.json): point it at one, or set SCORER_TIERS=fast`,
    );
  }
  const accurate = await loadAccurateScorer(dir, { log: (l) => log.warn(l) }).catch((err: unknown) => {
    throw new ModelLoadError(`ACCURATE_MODEL_DIR ${dir} holds an invalid model: ${err instanceof Error ? err.message : String(err)}`);
  });
  log.info(
    {
      accurate: accurate.version,
      provider: accurate.provider,
      mode: cfg.SCORER_TIERS,
      threshold: cfg.CASCADE_THRESHOLD,
      sentimentBlend: cfg.CASCADE_SENTIMENT_BLEND,
    },
    "accurate tier loaded",
  );
  if (cfg.SCORER_TIERS === "accurate") {
    return {
      mode: "accurate",
      // The fast model is not needed to serve; it is closed (the learner keeps training it from the registry).
      serve: (fast) => {
        void fast.close();
        return {
          version: accurate.version,
          score: async (t) => (await accurate.score(t)).map((o) => ({ ...o, tier: "accurate" as const })),
          close: async () => {},
        };
      },
      close: () => accurate.close(),
    };
  }
  return {
    mode: "cascade",
    serve: (fast) =>
      new CascadeScorer(fast, accurate, {
        threshold: cfg.CASCADE_THRESHOLD,
        sentimentBlend: cfg.CASCADE_SENTIMENT_BLEND,
        closeAccurate: false,
      }),
    close: () => accurate.close(),
  };
}

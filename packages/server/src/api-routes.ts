import type { FastifyPluginAsync } from "fastify";
import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import type { DbHandle } from "@finsentry/db";
import { alertRoutes, type EngineHandle } from "@finsentry/alerts";
import { labelRoutes } from "@finsentry/labels";
import { driftRoutes, learningRoutes, ModelRegistry, RunStore } from "@finsentry/learning";
import { IngestWriter, StreamRegistry } from "@finsentry/pipeline";
import { webhookRoutes, type WebhookRouteDeps } from "@finsentry/webhooks";
import { entityRoutes } from "./routes-entities.ts";
import { entityRegistryRoutes } from "./routes-entity-registry.ts";
import { itemRoutes } from "./routes-items.ts";
import { streamRoutes, type StreamRouteDeps } from "./routes-streams.ts";

export interface ApiRouteDeps {
  db: DbHandle;
  bus: Bus;
  log: Logger;
  /** Default: a registry over `db` and a writer on `bus` (new streams start at the ingest service's next poll). */
  streams?: StreamRouteDeps;
  /** A local alert engine: rule edits apply at once (else they reach the alerter through its rules poll). */
  alertEngine?: EngineHandle;
  /** Shared with a trainer in the same process; default: new handles over `db`. */
  models?: ModelRegistry;
  runs?: RunStore;
  webhooks?: Omit<WebhookRouteDeps, "db" | "log">;
}

/**
 * Every /api/v1 route plugin, in one list: the api and all-in-one processes serve it, and the auth, OpenAPI and
 * browser tests and bench:api walk the same routes — a route added here is covered by all of them.
 */
export function apiRoutePlugins(d: ApiRouteDeps): FastifyPluginAsync[] {
  const { db, bus, log } = d;
  return [
    async (app) => streamRoutes(app, d.streams ?? { registry: new StreamRegistry(db.db), writer: new IngestWriter(bus) }),
    async (app) => itemRoutes(app, { db: db.db }),
    async (app) => entityRoutes(app, { db }),
    async (app) => entityRegistryRoutes(app, { db: db.db }),
    async (app) => labelRoutes(app, { db: db.db, bus }),
    async (app) => webhookRoutes(app, { db: db.db, log, ...d.webhooks }),
    async (app) => learningRoutes(app, { registry: d.models ?? new ModelRegistry(db.db), runs: d.runs ?? new RunStore(db.db), bus }),
    async (app) => driftRoutes(app, { db }),
    // Registered as a plugin: it sets its own error handler.
    async (app) => void (await app.register(alertRoutes, { db: db.db, bus, ...(d.alertEngine ? { engine: d.alertEngine } : {}) })),
  ];
}

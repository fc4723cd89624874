import type { Db } from "@finsentry/db";
import { createApiKey } from "@finsentry/server";
import { freePort, startService } from "./processes.ts";
import { waitFor } from "./services.ts";

export interface ApiProcess {
  proc: ReturnType<typeof startService>;
  base: string;
  /** A request to the API as an admin (API key); the parsed JSON answer and the status. */
  call<T = Record<string, unknown>>(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; json: T }>;
}

/** Starts apps/api as its own OS process on a free port and waits until it answers /healthz; calls go with an admin key. */
export async function startApiProcess(env: Record<string, string>, db: Db): Promise<ApiProcess> {
  const port = await freePort();
  const proc = startService("api", { ...env, PORT: String(port), HOST: "127.0.0.1" });
  const base = `http://127.0.0.1:${port}`;
  const up = await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok ?? false, 120_000, 500);
  if (!up) throw new Error(`api did not come up:\n${proc.output()}`);
  const { key } = await createApiKey(db, { name: "test", role: "admin", createdBy: "test" });
  return {
    proc,
    base,
    async call(method, path, body, contentType = "application/json") {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": contentType }) },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : null) as never };
    },
  };
}

/** A training run as the API shows it (GET /api/v1/training-runs). */
export interface ApiRun {
  id: string;
  status: string;
  trigger: string;
  error: string | null;
  gate: {
    promote: boolean;
    reasons: string[];
    golden: { champion: Record<string, number>; challenger: Record<string, number> };
    recent: { champion: Record<string, number>; challenger: Record<string, number> };
  } | null;
  model_id: string | null;
  progress_detail: { step?: number; message?: string } | null;
  log: { step?: number; message?: string }[];
}

export const FINISHED = ["promoted", "rejected", "failed"];

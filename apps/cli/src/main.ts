import { readFile } from "node:fs/promises";
import { Command, InvalidArgumentError } from "commander";
import { registerEntityCommands } from "./entities.ts";

/** `finsentry` — talks to a running API (FINSENTRY_URL, FINSENTRY_API_KEY). */
const program = new Command("finsentry")
  .description("finsentry command line")
  .option("--url <url>", "API base URL", process.env.FINSENTRY_URL ?? "http://localhost:3000");

async function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (process.env.FINSENTRY_API_KEY) headers.authorization = `Bearer ${process.env.FINSENTRY_API_KEY}`;
  if (body !== undefined) headers["content-type"] = contentType;
  const url = new URL(path, program.opts().url);
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  }).catch((err: Error & { cause?: { code?: string } }) => {
    console.error(`cannot reach the finsentry API at ${url.origin} (${err.cause?.code ?? err.message}); set --url or FINSENTRY_URL`);
    process.exit(1);
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!res.ok && res.status !== 202) {
    console.error(`${method} ${path} → ${res.status}`);
    console.error(JSON.stringify(parsed, null, 2));
    process.exit(1);
  }
  return parsed;
}

const json = (s: string) => {
  try {
    return JSON.parse(s);
  } catch {
    throw new InvalidArgumentError("not valid JSON");
  }
};

const streams = program.command("streams").description("custom data streams");
streams.command("list").action(async () => console.log(JSON.stringify(await call("GET", "/api/v1/streams"), null, 2)));
streams
  .command("add <id>")
  .description("register a stream; it starts without a restart")
  .option("--kafka-topic <topic>", "consume this Kafka topic (otherwise an HTTP stream)")
  .requiredOption("--mapping <json>", 'field mapping, e.g. \'{"text":"body.title","published_at":"ts"}\'', json)
  .action(async (id: string, o: { kafkaTopic?: string; mapping: unknown }) => {
    const spec = o.kafkaTopic ? { id, kind: "kafka", topic: o.kafkaTopic, mapping: o.mapping } : { id, kind: "http", mapping: o.mapping };
    console.log(JSON.stringify(await call("POST", "/api/v1/streams", spec), null, 2));
  });
streams.command("remove <id>").action(async (id: string) => {
  await call("DELETE", `/api/v1/streams/${encodeURIComponent(id)}`);
  console.log(`removed ${id}`);
});
streams
  .command("push <id> <file>")
  .description("send a JSON, JSON-array or NDJSON file to an HTTP stream; prints per-line errors")
  .action(async (id: string, file: string) => {
    const body = await readFile(file, "utf8");
    const r = await call(
      "POST",
      `/api/v1/streams/${encodeURIComponent(id)}/items`,
      body,
      file.endsWith(".json") ? "application/json" : "application/x-ndjson",
    );
    console.log(JSON.stringify(r, null, 2));
  });

registerEntityCommands(program, call);

await program.parseAsync();

import { createServer, type Server } from "node:http";
import { registry } from "./metrics.ts";

/** /metrics (Prometheus text) and /healthz for services that have no HTTP API of their own. */
export function serveMetrics(port: number, host = "0.0.0.0"): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (req.url === "/healthz") res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

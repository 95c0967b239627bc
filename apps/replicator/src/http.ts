import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "@georep/observability";

export interface Probes {
  /** The process is alive and not wedged. */
  health(): { ok: boolean; detail: Record<string, unknown> };
  /** This instance is doing its job (leader, streaming, consuming). A standby is healthy, not ready. */
  ready(): { ok: boolean; detail: Record<string, unknown> };
}

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** /health, /ready and /metrics for orchestrators and Prometheus. */
export async function serveHttp(options: {
  host: string;
  port: number;
  probes: Probes;
  metrics: Metrics;
}): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown, type = "application/json"): void => {
      res.writeHead(status, { "content-type": type });
      res.end(
        typeof body === "string"
          ? body
          : JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
      );
    };
    switch (req.url) {
      case "/health": {
        const h = options.probes.health();
        reply(h.ok ? 200 : 503, h);
        return;
      }
      case "/ready": {
        const r = options.probes.ready();
        reply(r.ok ? 200 : 503, r);
        return;
      }
      case "/metrics":
        options.metrics.render().then(
          (text) => {
            reply(200, text, options.metrics.registry.contentType);
          },
          (error: unknown) => {
            reply(500, { error: String(error) });
          },
        );
        return;
      default:
        reply(404, { error: "not found; try /health, /ready or /metrics" });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => {
          if (e) reject(e);
          else resolve();
        });
      }),
  };
}
